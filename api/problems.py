"""Problem lists (问题清单): 建账 by inspectors, 整改 by the responsible unit, 复查 and 销账 by inspectors."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.aggregates import describe
from api.auth import actor, hidden, public
from api.office_schemas import (
    BulletinArgs,
    BulletinSchema,
    CloseProblemArgs,
    ProblemListArgs,
    ProblemSchema,
    RecheckArgs,
    RecordProblemArgs,
    RectifyArgs,
)
from api.schemas import CreatedSchema, EventSchema, MinPositionArgs
from api.services import services
from projections import office_queries
from timebank.domain.errors import Forbidden

blp = Blueprint("problems", __name__, url_prefix="/api/problems", description="Problem lists (问题清单): 建账, 整改, 复查, 销账.")


@blp.route("")
class Problems(MethodView):
    @blp.arguments(RecordProblemArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Record a problem against a member unit, with a deadline (建账; inspectors)"""
        return {"id": services().timebank.record_problem(actor(), **args)}

    @blp.arguments(ProblemListArgs, location="query")
    @blp.response(200, ProblemSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """List problems by area, unit and status, oldest first, with their ages (the office, auditors, inspectors; a unit: its own)"""
        who, found = actor(), services()
        unit = args.get("organization_id")
        if unit is None and not found.timebank.may_read_problems_of(who, None):
            raise Forbidden("pass organization_id: a unit's organizers read their own unit's problems")
        if unit is not None and not found.timebank.may_read_problems_of(who, unit):
            raise hidden("member unit", unit, "organization_id")
        with found.read(args.get("min_position")) as conn:
            items, pagination_parameters.item_count = office_queries.problems_page(
                conn, now=found.timebank.clock(), status=args["status"], district=args.get("district"),
                area_level=args.get("area_level"), organization_id=unit, overdue=args.get("overdue"),
                limit=pagination_parameters.page_size, offset=pagination_parameters.first_item,
            )
        return items


@blp.route("/bulletin")
class Bulletin(MethodView):
    @public
    @blp.arguments(BulletinArgs, location="query")
    @blp.response(200, BulletinSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Show the public bulletin (通报): problems by district and unit, ages and closure times, no personal data"""
        found = services()
        with found.read(args.get("min_position")) as conn:
            return office_queries.bulletin(conn, now=found.timebank.clock(), year=args.get("year"))


@blp.route("/<uuid:problem_id>")
class ProblemById(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, ProblemSchema)
    def get(self, args: dict[str, Any], problem_id: UUID) -> dict[str, Any]:
        """Show a problem (the office, auditors, inspectors and the responsible unit's organizers)"""
        who, found = actor(), services()
        with found.read(args.get("min_position")) as conn:
            row = office_queries.problem(conn, problem_id, found.timebank.clock())
        if row is None or not found.timebank.may_read_problems_of(who, row["organization_id"]):
            raise hidden("problem", problem_id, "problem_id")
        return row


@blp.route("/<uuid:problem_id>/history")
class ProblemHistory(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, EventSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], problem_id: UUID, pagination_parameters: Any) -> list[dict[str, Any]]:
        """List a problem's steps, oldest first, each with its actor (from the event log, always current)"""
        events = services().timebank.problem_history(actor(), problem_id)
        pagination_parameters.item_count = len(events)
        first = pagination_parameters.first_item
        return [describe(e) for e in events[first : first + pagination_parameters.page_size]]


@blp.route("/<uuid:problem_id>/rectification")
class Rectification(MethodView):
    @blp.arguments(RectifyArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any], problem_id: UUID) -> dict[str, Any]:
        """Record the rectification, with evidence (整改; the responsible unit's organizers)"""
        services().timebank.rectify_problem(actor(), problem_id, args["description"], args["evidence_digests"])
        return {"id": problem_id}


@blp.route("/<uuid:problem_id>/recheck")
class Recheck(MethodView):
    @blp.arguments(RecheckArgs)
    @blp.response(200, CreatedSchema)
    def post(self, args: dict[str, Any], problem_id: UUID) -> dict[str, Any]:
        """Re-check the rectification: passed, or reopened with the reason (复查; inspectors)"""
        services().timebank.recheck_problem(actor(), problem_id, args["outcome"], args["note"])
        return {"id": problem_id}


@blp.route("/<uuid:problem_id>/close")
class Close(MethodView):
    @blp.arguments(CloseProblemArgs, required=False)
    @blp.response(200, CreatedSchema)
    def post(self, args: dict[str, Any], problem_id: UUID) -> dict[str, Any]:
        """Close a problem whose rectification passed its re-check (销账; inspectors)"""
        services().timebank.close_problem(actor(), problem_id, args.get("note", ""))
        return {"id": problem_id}
