"""Time accounts: balance and statement."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import require_self_or_reader
from api.schemas import AccountSchema, MinPositionArgs, StatementEntrySchema
from api.services import services
from projections import queries
from timebank.domain.errors import NotFound

blp = Blueprint("accounts", __name__, url_prefix="/api/accounts", description="Time accounts (时间银行): balances in credit-minutes.")


@blp.route("/<uuid:volunteer_id>")
class AccountById(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, AccountSchema)
    def get(self, args: dict[str, Any], volunteer_id: UUID) -> dict[str, Any]:
        """Show a volunteer's balance: available, pending and earned to date"""
        require_self_or_reader(volunteer_id)
        with services().read(args.get("min_position")) as conn:
            found = queries.account(conn, volunteer_id)
        if found is None:
            raise NotFound(f"account of volunteer {volunteer_id} not found", field="volunteer_id")
        return found


@blp.route("/<uuid:volunteer_id>/statement")
class Statement(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, StatementEntrySchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], volunteer_id: UUID, pagination_parameters: Any) -> list[dict[str, Any]]:
        """List a volunteer's account movements, newest first, with the running balance"""
        require_self_or_reader(volunteer_id)
        with services().read(args.get("min_position")) as conn:
            items, pagination_parameters.item_count = queries.statement(
                conn, volunteer_id, pagination_parameters.page_size, pagination_parameters.first_item
            )
        return items
