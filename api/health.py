"""Health: liveness, readiness (database and projector lag) and the metrics endpoint."""

from __future__ import annotations

from typing import Any

import flask
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.auth import public
from api.observability import Metrics
from api.schemas import MinPositionArgs
from api.services import Services, services

RETRY_AFTER_SECONDS = 5
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


# Probes and metrics for load balancers, orchestrators and Prometheus: outside /api, not rate limited,
# not in the OpenAPI document, no token.
probes = flask.Blueprint("probes", __name__)


@probes.get("/healthz")
def healthz() -> flask.Response:
    """Liveness: the process answers. Touches no database (a slow database must not get workers restarted)."""
    return flask.jsonify({"status": "ok"})


def readiness(found: Services) -> tuple[int, dict[str, Any]]:
    """Whether this worker should get traffic: the event store and the read models answer a cheap
    query each, and no view is more than `ready_max_lag` log positions behind the log's head."""
    bound = found.settings.ready_max_lag
    try:
        head = found.timebank.recorder.max_notification_id() or 0
        views = found.projector.positions()
    except Exception as error:  # noqa: BLE001 - whatever the driver raises, the answer is "not ready"
        return 503, {"status": "unavailable", "reason": f"database unreachable ({type(error).__name__})"}
    lag = {name: max(0, head - position) for name, position in sorted(views.items())}
    body: dict[str, Any] = {"status": "ready", "event_position": head, "max_lag": bound, "lag": lag}
    behind = {name: n for name, n in lag.items() if n > bound}
    if behind:
        worst = max(behind, key=lambda name: behind[name])
        body.update(status="lagging", reason=f"{len(behind)} view(s) behind by more than {bound} positions; "
                                                f"{worst} is {behind[worst]} behind (is `timebank projector` running?)")
        return 503, body
    return 200, body


@probes.get("/readyz")
def readyz() -> flask.Response:
    """Readiness: 200 with each view's lag, or 503 with Retry-After and the reason."""
    status, body = readiness(services())
    response = flask.jsonify(body)
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@probes.get("/metrics")
def metrics() -> flask.Response:
    """Prometheus text format (api/observability.py)."""
    found: Metrics = flask.current_app.extensions["timebank.metrics"]
    return found.exposition()
