"""The incentive catalog (礼遇): publish, list, redeem, and use a redemption code once."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor
from api.incentive_schemas import (
    CodeUseSchema,
    IncentiveListArgs,
    IncentiveSchema,
    PublishIncentiveArgs,
    RedemptionSchema,
    UseCodeArgs,
)
from api.schemas import CreatedSchema, MinPositionArgs
from api.services import services
from projections import incentives, star_levels
from timebank.clock import local_date
from timebank.domain.errors import NotFound
from timebank.domain.permissions import require

blp = Blueprint("incentives", __name__, url_prefix="/api/incentives", description="Incentives (礼遇) earned by service hours.")


@blp.route("")
class Incentives(MethodView):
    @blp.arguments(PublishIncentiveArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Publish an incentive (admins; organizers of a verified organization for it)"""
        return {"id": services().timebank.publish_incentive(actor(), **args)}

    @blp.arguments(IncentiveListArgs, location="query")
    @blp.response(200, IncentiveSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """List the incentives, newest first (members)"""
        require(actor(), "incentive.read")
        today = local_date(services().timebank.clock())
        with services().read(args.get("min_position")) as conn:
            items, pagination_parameters.item_count = incentives.incentives_page(
                conn, available_on=today if args["available"] else None,
                limit=pagination_parameters.page_size, offset=pagination_parameters.first_item,
            )
        return items


@blp.route("/<uuid:incentive_id>")
class IncentiveById(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, IncentiveSchema)
    def get(self, args: dict[str, Any], incentive_id: UUID) -> dict[str, Any]:
        """Show an incentive (members)"""
        require(actor(), "incentive.read")
        with services().read(args.get("min_position")) as conn:
            found = incentives.incentive(conn, incentive_id)
        if found is None:
            raise NotFound(f"incentive {incentive_id} not found", field="incentive_id")
        return found


@blp.route("/<uuid:incentive_id>/redemptions")
class Redemptions(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(201, RedemptionSchema)
    def post(self, args: dict[str, Any], incentive_id: UUID) -> dict[str, Any]:
        """Redeem an incentive (volunteers): eligibility, validity, stock and credits are checked; the code is shown once

        Counted hours are read from the star-level view; `min_position` makes it include a recent confirmation.
        """
        who, app = actor(), services().timebank
        with services().read(args.get("min_position")) as conn:
            counted = star_levels.counted_minutes(conn, who.id, app.rules, local_date(app.clock())) if who.id else 0
        redemption = app.redeem_incentive(who, incentive_id, counted)
        return {"id": redemption.id, "code": redemption.code, "transfer_id": redemption.transfer_id}


@blp.route("/<uuid:incentive_id>/redemptions/use")
class UseCode(MethodView):
    @blp.arguments(UseCodeArgs)
    @blp.response(200, CodeUseSchema)
    def post(self, args: dict[str, Any], incentive_id: UUID) -> dict[str, Any]:
        """Verify a redemption code and mark it used, once (the provider: the publishing organization's organizers, or admins)"""
        use = services().timebank.use_redemption_code(actor(), incentive_id, args["code"])
        return {"redemption_id": use.redemption_id, "volunteer_id": use.volunteer_id, "status": "used"}
