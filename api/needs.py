"""Needs (需求): posted by organizations for a community; searched by volunteers; matched."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor, may, require_readable
from api.matching_schemas import (
    CandidatesArgs,
    CandidatesSchema,
    CloseNeedArgs,
    NeedSchema,
    NeedSearchArgs,
    PostNeedArgs,
    ProposalSchema,
    UpdateNeedArgs,
)
from api.matchmaking import candidates
from api.schemas import CreatedSchema, MinPositionArgs
from api.services import services
from projections import matching_queries
from timebank.domain.errors import NotFound
from timebank.domain.permissions import require

blp = Blueprint("needs", __name__, url_prefix="/api/needs", description="Needs (需求) and their candidates.")


def _need(conn: Any, need_id: UUID) -> dict[str, Any]:
    found = matching_queries.need(conn, need_id)
    if found is None:
        raise NotFound(f"need {need_id} not found", field="need_id")
    return found


@blp.route("")
class Needs(MethodView):
    @blp.arguments(PostNeedArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Post a need for a registered community (organizers of a verified organization); its shift is scheduled with it"""
        return {"id": services().timebank.post_need(actor(), **args)}

    @blp.arguments(NeedSearchArgs, location="query")
    @blp.response(200, NeedSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """Search needs by place, date, skill, category and text, soonest first (open ones unless status= says otherwise)"""
        require(actor(), "project.read")
        with services().read(args.pop("min_position", None)) as conn:
            items, pagination_parameters.item_count = matching_queries.search_needs(
                conn, now=services().timebank.clock(), limit=pagination_parameters.page_size,
                offset=pagination_parameters.first_item, **args,
            )
        return items


@blp.route("/<uuid:need_id>")
class NeedById(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, NeedSchema)
    def get(self, args: dict[str, Any], need_id: UUID) -> dict[str, Any]:
        """Show a need"""
        require(actor(), "project.read")
        with services().read(args.get("min_position")) as conn:
            return _need(conn, need_id)

    @blp.arguments(UpdateNeedArgs, required=False)  # every field is optional
    @blp.response(204)
    def patch(self, args: dict[str, Any], need_id: UUID) -> None:
        """Change an open need's content, requirements, age limits, slots or time (its organizers)"""
        services().timebank.update_need(actor(), need_id, **args)


@blp.route("/<uuid:need_id>/close")
class CloseNeed(MethodView):
    @blp.arguments(CloseNeedArgs)
    @blp.response(204)
    def post(self, args: dict[str, Any], need_id: UUID) -> None:
        """Close an open need (its organizers): no more proposals"""
        services().timebank.close_need(actor(), need_id, args["reason"])


@blp.route("/<uuid:need_id>/fill")
class FillNeed(MethodView):
    @blp.response(204)
    def post(self, need_id: UUID) -> None:
        """Mark an open need filled (its organizers); accepting the last slot's proposal does it by itself"""
        services().timebank.fill_need(actor(), need_id)


@blp.route("/<uuid:need_id>/candidates")
class Candidates(MethodView):
    @blp.arguments(CandidatesArgs, location="query")
    @blp.response(200, CandidatesSchema)
    def get(self, args: dict[str, Any], need_id: UUID) -> dict[str, Any]:
        """Rank eligible volunteers for a need with the parts of their scores; explain one by volunteer_id= (its organizers, auditors, admins)"""
        with services().read(args.get("min_position")) as conn:
            need = _need(conn, need_id)
            require_readable("need.candidates", "need", need_id, "need_id", organization_id=need["organization_id"])
            return candidates(services(), conn, need, services().timebank.clock(), args["limit"], args.get("volunteer_id"))


@blp.route("/<uuid:need_id>/proposals")
class NeedProposals(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, ProposalSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], need_id: UUID, pagination_parameters: Any) -> list[dict[str, Any]]:
        """List a need's proposals, best first (its organizers, auditors, admins)"""
        with services().read(args.get("min_position")) as conn:
            need = _need(conn, need_id)
            if not may("proposal.read", organization_id=need["organization_id"]):
                raise NotFound(f"need {need_id} not found", field="need_id")
            items, pagination_parameters.item_count = matching_queries.proposals_page(
                conn, need_id=need_id, limit=pagination_parameters.page_size, offset=pagination_parameters.first_item
            )
        return items
