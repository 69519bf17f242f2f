"""Health: liveness and how far the views have got."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.auth import public
from api.schemas import MinPositionArgs
from api.services import services

blp = Blueprint("health", __name__, url_prefix="/api/health", description="Liveness and projection progress.")


class HealthSchema(Schema):
    status = fields.Str(metadata={"description": "Always ok when the service answers."})
    event_position = fields.Int(metadata={"description": "The newest position in the event log."})
    views = fields.Dict(keys=fields.Str(), values=fields.Int(), metadata={"description": "Each projection's position."})


@blp.route("")
class Health(MethodView):
    @public  # load balancers and monitors ask without a token
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, HealthSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Show liveness and how far each view has got (no token needed)

        Like every read it takes min_position, but never waits: it reports where the views are.
        """
        found = services()
        return {
            "status": "ok",
            "event_position": found.timebank.recorder.max_notification_id() or 0,
            "views": found.projector.positions(),
        }
