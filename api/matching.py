"""Assignment runs and their proposals (推荐): organizers accept or decline, volunteers may decline."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor
from api.matching_schemas import DeclineArgs, MatchingRunArgs, MatchingRunSchema, ProposalSchema
from api.matchmaking import run_matching
from api.schemas import MinPositionArgs
from api.services import services
from timebank.domain.permissions import require

blp = Blueprint("matching", __name__, url_prefix="/api", description="Optimal assignment runs and proposals.")


@blp.route("/matching/runs")
class Runs(MethodView):
    @blp.arguments(MatchingRunArgs, required=False)  # every field is optional: no body is {}
    @blp.response(201, MatchingRunSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Run an assignment (admins): proposals for the open slots of open needs, maximising the total score per district"""
        who = actor()
        require(who, "matching.run")
        return run_matching(services(), who, services().timebank.clock(), args.get("district"))


@blp.route("/proposals/<uuid:proposal_id>")
class ProposalById(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, ProposalSchema)
    def get(self, args: dict[str, Any], proposal_id: UUID) -> dict[str, Any]:
        """Show a proposal (its volunteer, the need's organizers, auditors, admins)"""
        found = services().timebank.proposal_for(actor(), proposal_id)
        return {"id": found.id, **{k: getattr(found, k) for k in ("need_id", "volunteer_id", "organization_id", "run_id", "score", "parts", "status")}}


@blp.route("/proposals/<uuid:proposal_id>/accept")
class Accept(MethodView):
    @blp.response(204)
    def post(self, proposal_id: UUID) -> None:
        """Accept a proposal (the need's organizers): the volunteer is signed up to the need's shift"""
        services().timebank.accept_proposal(actor(), proposal_id)


@blp.route("/proposals/<uuid:proposal_id>/decline")
class Decline(MethodView):
    @blp.arguments(DeclineArgs, required=False)  # every field is optional: no body is {}
    @blp.response(204)
    def post(self, args: dict[str, Any], proposal_id: UUID) -> None:
        """Decline a proposal (its volunteer or the need's organizers): the pair is never proposed again"""
        services().timebank.decline_proposal(actor(), proposal_id, args["reason"])
