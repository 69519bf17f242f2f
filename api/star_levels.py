"""Star levels (星级): the level a volunteer holds and why; five-star nominations, objections and decisions."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor, require_readable
from api.schemas import CreatedSchema, MinPositionArgs
from api.services import services
from api.star_schemas import (
    NominatedSchema,
    NominationArgs,
    ObjectionArgs,
    ObjectionCreatedSchema,
    ObjectionDecisionArgs,
    StarLevelSchema,
)
from projections import star_levels
from timebank.clock import local_date

blp = Blueprint(
    "star_levels", __name__, url_prefix="/api/volunteers/<uuid:volunteer_id>/star-level",
    description="Star levels (星级) by confirmed hours; five stars by nomination and public notice.",
)


@blp.route("")
class StarLevel(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, StarLevelSchema)
    def get(self, args: dict[str, Any], volunteer_id: UUID) -> dict[str, Any]:
        """Show the volunteer's star level and why: hours counted and excluded, rule version, next threshold"""
        require_readable("star_level.read", "volunteer", volunteer_id, "volunteer_id", about=volunteer_id)
        app = services().timebank
        with services().read(args.get("min_position")) as conn:
            return star_levels.explanation(conn, volunteer_id, app.rules, local_date(app.clock()))


@blp.route("/nominations")
class Nominations(MethodView):
    @blp.arguments(NominationArgs)
    @blp.response(201, NominatedSchema)
    def post(self, args: dict[str, Any], volunteer_id: UUID) -> dict[str, Any]:
        """Nominate a four-star volunteer for five stars (organizers of a verified organization); the public notice starts"""
        ends = services().timebank.nominate_five_stars(actor(), volunteer_id, args["organization_id"], args["reason"])
        return {"volunteer_id": volunteer_id, "notice_ends_on": ends}


@blp.route("/objections")
class Objections(MethodView):
    @blp.arguments(ObjectionArgs)
    @blp.response(201, ObjectionCreatedSchema)
    def post(self, args: dict[str, Any], volunteer_id: UUID) -> dict[str, Any]:
        """Object to a five-star nomination during its public notice (members)"""
        return {"id": services().timebank.object_to_five_stars(actor(), volunteer_id, args["reason"])}


@blp.route("/objections/<uuid:objection_id>/decision")
class ObjectionDecision(MethodView):
    @blp.arguments(ObjectionDecisionArgs)
    @blp.response(200, CreatedSchema)
    def post(self, args: dict[str, Any], volunteer_id: UUID, objection_id: UUID) -> dict[str, Any]:
        """Uphold (the nomination fails) or dismiss an objection (admins)"""
        services().timebank.decide_five_star_objection(actor(), volunteer_id, objection_id, args["upheld"], args["reason"])
        return {"id": objection_id}
