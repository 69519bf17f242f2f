"""Transfers: move credits between accounts by double entry; linked batches; two-phase post and void."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor, hidden
from api.ledger_schemas import (
    IdempotencyKeyHeader,
    LinkedTransfersArgs,
    LinkedTransfersSchema,
    PostTransferArgs,
    TransferArgs,
    TransferSchema,
    VoidTransferArgs,
)
from api.schemas import MinPositionArgs
from api.services import services
from projections import ledger_queries
from timebank.application import TransferRequest, TransferResult

blp = Blueprint("transfers", __name__, url_prefix="/api/transfers", description="Transfers of time credits (double entry, two-phase).")

REPLAYED_HEADER = "Idempotent-Replayed"


def _replayed(results: list[TransferResult]) -> dict[str, str]:
    return {REPLAYED_HEADER: "true"} if results and all(r.replayed for r in results) else {}


@blp.route("")
class Transfers(MethodView):
    @blp.arguments(IdempotencyKeyHeader, location="headers")
    @blp.arguments(TransferArgs)
    @blp.response(201, TransferSchema, headers={REPLAYED_HEADER: {"description": "true when an earlier request did the work.", "schema": {"type": "string"}}})
    def post(self, headers: dict[str, Any], args: dict[str, Any]) -> Any:
        """Move credits: exchange, gift, donation, redemption, grant or correction; pending to hold them"""
        result = services().timebank.transfer(actor(), TransferRequest(**args), headers.get("idempotency_key"))
        return result.transfer, 201, _replayed([result])


@blp.route("/batch")
class LinkedTransfers(MethodView):
    @blp.arguments(IdempotencyKeyHeader, location="headers")
    @blp.arguments(LinkedTransfersArgs)
    @blp.response(201, LinkedTransfersSchema)
    def post(self, headers: dict[str, Any], args: dict[str, Any]) -> Any:
        """Make linked transfers: all are written together or none is"""
        requests = [TransferRequest(**item) for item in args["transfers"]]
        results = services().timebank.transfer_linked(actor(), requests, headers.get("idempotency_key"))
        return {"transfers": [r.transfer for r in results]}, 201, _replayed(results)


@blp.route("/<uuid:transfer_id>")
class TransferById(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, TransferSchema)
    def get(self, args: dict[str, Any], transfer_id: UUID) -> dict[str, Any]:
        """Show a transfer (its parties, whoever made it, auditors, admins)"""
        who = actor()
        with services().read(args.get("min_position")) as conn:
            found = ledger_queries.transfer(conn, transfer_id)
            owners = [] if found is None else [
                (owner[1], owner[2]) for a in ("debit_account_id", "credit_account_id")
                if (owner := ledger_queries.account_owner(conn, found[a])) is not None
            ]
        if found is None or not services().timebank.may_read_transfer(who, found["created_by"], owners):
            raise hidden("transfer", transfer_id, "transfer_id")
        return found


@blp.route("/<uuid:transfer_id>/post")
class PostTransfer(MethodView):
    @blp.arguments(PostTransferArgs, required=False)  # every field is optional: no body is {}
    @blp.response(200, TransferSchema)
    def post(self, args: dict[str, Any], transfer_id: UUID) -> dict[str, Any]:
        """Post a pending transfer, fully or in part (whoever made it, or an admin)"""
        return services().timebank.post_transfer(actor(), transfer_id, args.get("minutes"))


@blp.route("/<uuid:transfer_id>/void")
class VoidTransfer(MethodView):
    @blp.arguments(VoidTransferArgs, required=False)  # every field is optional: no body is {}
    @blp.response(200, TransferSchema)
    def post(self, args: dict[str, Any], transfer_id: UUID) -> dict[str, Any]:
        """Void a pending transfer: the held credits are free again (whoever made it, the payee, or an admin)"""
        return services().timebank.void_transfer(actor(), transfer_id, args["reason"])
