"""Volunteers: registration and profile."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import require_self_or_reader
from api.schemas import MinPositionArgs, RegisterVolunteerArgs, RegistrationSchema, VolunteerSchema
from api.services import services
from projections import queries
from timebank.domain.errors import NotFound

blp = Blueprint("volunteers", __name__, url_prefix="/api/volunteers", description="Volunteers (志愿者): real-name registration.")


@blp.route("")
class Volunteers(MethodView):
    @blp.arguments(RegisterVolunteerArgs)
    @blp.response(201, RegistrationSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Register a volunteer (one person, one account)

        No token needed. Returns the volunteer number and the volunteer's access token, once.
        """
        reg = services().timebank.register_volunteer(**args)
        return {"id": reg.volunteer_id, "volunteer_number": reg.volunteer_number, "access_token": reg.access_token}


@blp.route("/<uuid:volunteer_id>")
class VolunteerById(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, VolunteerSchema)
    def get(self, args: dict[str, Any], volunteer_id: UUID) -> dict[str, Any]:
        """Show a volunteer (themself, auditors, admins)"""
        require_self_or_reader(volunteer_id)
        with services().read(args.get("min_position")) as conn:
            found = queries.volunteer(conn, volunteer_id)
        if found is None:
            raise NotFound(f"volunteer {volunteer_id} not found", field="volunteer_id")
        return found
