"""Shifts: sign-ups and attendance (签到/签退)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor, may
from api.matching_schemas import FoundShiftSchema, ShiftSearchArgs
from api.names import with_names
from api.schemas import AttendanceArgs, CreatedSchema, MinPositionArgs, ShiftSchema, SignUpArgs
from api.services import services
from projections import matching_queries, queries
from timebank.domain.errors import InvalidInput, NotFound
from timebank.domain.permissions import require

blp = Blueprint("shifts", __name__, url_prefix="/api/shifts", description="Shifts: sign-up, check-in and check-out.")


@blp.route("")
class Shifts(MethodView):
    @blp.arguments(ShiftSearchArgs, location="query")
    @blp.response(200, FoundShiftSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """Find open shifts by district, street, community or station, date, skill, category and text, soonest first"""
        require(actor(), "project.read")
        with services().read(args.pop("min_position", None)) as conn:
            items, pagination_parameters.item_count = matching_queries.search_shifts(
                conn, now=services().timebank.clock(), limit=pagination_parameters.page_size,
                offset=pagination_parameters.first_item, **args,
            )
        return items


@blp.route("/<uuid:shift_id>")
class ShiftById(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, ShiftSchema)
    def get(self, args: dict[str, Any], shift_id: UUID) -> dict[str, Any]:
        """Show a shift; its roster for the organization's organizers, auditors and admins"""
        actor()
        with services().read(args.get("min_position")) as conn:
            found = queries.shift(conn, shift_id, with_roster=True)
            if found is None:
                raise NotFound(f"shift {shift_id} not found", field="shift_id")
            if not may("shift.roster", organization_id=found["organization_id"]):
                found.pop("roster")
            else:
                found["roster"] = with_names(conn, found["roster"])
        return found


@blp.route("/<uuid:shift_id>/signups")
class SignUps(MethodView):
    @blp.arguments(SignUpArgs, required=False)  # every field is optional: no body is {}
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any], shift_id: UUID) -> dict[str, Any]:
        """Sign up for a shift (报名): capacity, no double sign-up, no overlapping shifts"""
        who = actor()
        volunteer_id = args.get("volunteer_id") or who.volunteer_id
        if volunteer_id is None:
            raise InvalidInput("volunteer_id is required unless a volunteer signs up themself", field="volunteer_id")
        services().timebank.sign_up(who, shift_id, volunteer_id)
        return {"id": volunteer_id}


@blp.route("/<uuid:shift_id>/signups/<uuid:volunteer_id>")
class SignUpById(MethodView):
    @blp.response(204)
    def delete(self, shift_id: UUID, volunteer_id: UUID) -> None:
        """Cancel a sign-up before the shift starts"""
        services().timebank.cancel_sign_up(actor(), shift_id, volunteer_id)


@blp.route("/<uuid:shift_id>/check-ins")
class CheckIns(MethodView):
    @blp.arguments(AttendanceArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any], shift_id: UUID) -> dict[str, Any]:
        """Check a volunteer in (organizers)"""
        services().timebank.check_in(actor(), shift_id, args["volunteer_id"], args.get("at"))
        return {"id": args["volunteer_id"]}


@blp.route("/<uuid:shift_id>/check-outs")
class CheckOuts(MethodView):
    @blp.arguments(AttendanceArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any], shift_id: UUID) -> dict[str, Any]:
        """Check a volunteer out (organizers); returns the pending service record's id"""
        return {"id": services().timebank.check_out(actor(), shift_id, args["volunteer_id"], args.get("at"))}

