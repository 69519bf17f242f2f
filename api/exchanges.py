"""Exchanges between members (互助): ask for help, offer it, accept an offer, confirm or cancel."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor, hidden, may
from api.ledger_schemas import (
    AcceptedSchema,
    AcceptOfferArgs,
    CancelExchangeArgs,
    ConfirmExchangeArgs,
    ExchangeListArgs,
    ExchangeSchema,
    RequestExchangeArgs,
)
from api.schemas import CreatedSchema, MinPositionArgs
from api.services import services
from projections import ledger_queries
from timebank.domain.actors import Role

blp = Blueprint("exchanges", __name__, url_prefix="/api/exchanges", description="Members helping members, paid in time credits.")


def _for_reader(exchange: dict[str, Any]) -> dict[str, Any]:
    """Who offered is shown to the requester, the members who offered, and readers; the board sees a count."""
    parties = {exchange["requester_id"], exchange["provider_id"], *(o["provider_id"] for o in exchange.get("offers", []))}
    if not may("exchange.read_offers", party=actor().id in parties):
        exchange = {**exchange, "offers": [], "hold_transfer_id": None}
    return exchange


@blp.route("")
class Exchanges(MethodView):
    @blp.arguments(RequestExchangeArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Ask for help (members); the credits are held only when an offer is accepted"""
        return {"id": services().timebank.request_exchange(actor(), **args)}

    @blp.arguments(ExchangeListArgs, location="query")
    @blp.response(200, ExchangeSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """List the exchange board, newest first: open requests by default"""
        who = actor()
        member = who.id if args["mine"] and who.role is Role.VOLUNTEER else None
        with services().read(args.get("min_position")) as conn:
            items, pagination_parameters.item_count = ledger_queries.exchanges_page(
                conn, status=args["status"], district=args.get("district"), member_id=member,
                limit=pagination_parameters.page_size, offset=pagination_parameters.first_item,
            )
        return [_for_reader(item) for item in items]


@blp.route("/<uuid:exchange_id>")
class ExchangeById(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, ExchangeSchema)
    def get(self, args: dict[str, Any], exchange_id: UUID) -> dict[str, Any]:
        """Show an exchange"""
        actor()
        with services().read(args.get("min_position")) as conn:
            found = ledger_queries.exchange(conn, exchange_id)
        if found is None:
            raise hidden("exchange", exchange_id, "exchange_id")
        return _for_reader(found)


@blp.route("/<uuid:exchange_id>/offers")
class Offers(MethodView):
    @blp.response(201, CreatedSchema)
    def post(self, exchange_id: UUID) -> dict[str, Any]:
        """Offer to help (members other than the requester)"""
        services().timebank.offer_exchange(actor(), exchange_id)
        return {"id": exchange_id}


@blp.route("/<uuid:exchange_id>/accept")
class Accept(MethodView):
    @blp.arguments(AcceptOfferArgs)
    @blp.response(200, AcceptedSchema)
    def post(self, args: dict[str, Any], exchange_id: UUID) -> dict[str, Any]:
        """Accept one offer (the requester): the credits are held by a pending transfer"""
        hold = services().timebank.accept_exchange_offer(actor(), exchange_id, args["provider_id"])
        return {"id": exchange_id, "hold_transfer_id": hold}


@blp.route("/<uuid:exchange_id>/confirm")
class Confirm(MethodView):
    @blp.arguments(ConfirmExchangeArgs, required=False)  # every field is optional: no body is {}
    @blp.response(200, CreatedSchema)
    def post(self, args: dict[str, Any], exchange_id: UUID) -> dict[str, Any]:
        """Confirm the help was received (the requester): the held credits go to the provider"""
        services().timebank.confirm_exchange(actor(), exchange_id, args.get("minutes"))
        return {"id": exchange_id}


@blp.route("/<uuid:exchange_id>/cancel")
class Cancel(MethodView):
    @blp.arguments(CancelExchangeArgs)
    @blp.response(200, CreatedSchema)
    def post(self, args: dict[str, Any], exchange_id: UUID) -> dict[str, Any]:
        """Cancel before the help is confirmed (the requester or the accepted provider); a hold is voided"""
        services().timebank.cancel_exchange(actor(), exchange_id, args["reason"])
        return {"id": exchange_id}
