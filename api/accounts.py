"""Time accounts (时间银行): balances now and as of any moment, statements with CSV export, totals, pools."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any
from uuid import UUID

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import Connection

from api.auth import actor, hidden
from api.ledger_schemas import (
    AccountArgs,
    AccountListArgs,
    AccountSchema,
    KindTotalSchema,
    StatementArgs,
    StatementEntrySchema,
    TotalsArgs,
)
from api.schemas import MinPositionArgs
from api.services import services
from api.streams import csv_chunks
from projections import ledger_queries
from projections.labels import account_labels
from timebank.clock import BEIJING
from timebank.domain.permissions import require

blp = Blueprint("accounts", __name__, url_prefix="/api/accounts", description="Time accounts (时间银行): balances in credit-minutes.")

CSV_COLUMNS = ("seq", "at", "transfer_id", "kind", "phase", "amount", "amount_hours", "balance", "balance_hours",
               "pending_credits", "pending_debits", "counterparty", "counterparty_id", "reference", "note")
LABEL_BATCH = 500  # lines whose counterparties are named with one query


def hours_and_minutes(minutes: int) -> str:
    """Credit-minutes as a person reads them: 150 -> "2 h 30 min", -60 -> "-1 h", 0 -> "0 min"."""
    sign, rest = ("-" if minutes < 0 else ""), abs(minutes)
    hours, mins = divmod(rest, 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{mins} min"] if mins or not hours else [])
    return sign + " ".join(parts)


def csv_line(line: dict[str, Any], labels: dict[UUID, str]) -> list[Any]:
    """One statement line as CSV cells: times in Beijing time (+08:00), amounts also in hours and minutes."""
    cells = {
        **line,
        "at": line["at"].astimezone(BEIJING).isoformat(),
        "amount_hours": hours_and_minutes(line["amount"]),
        "balance_hours": hours_and_minutes(line["balance"]) if line["balance"] is not None else None,
        "counterparty": labels.get(line["counterparty_id"]) if line["counterparty_id"] else None,
    }
    return ["" if cells[c] is None else cells[c] for c in CSV_COLUMNS]


def csv_lines(conn: Connection, lines: Iterator[dict[str, Any]]) -> Iterator[list[Any]]:
    """The lines as CSV rows, naming counterparties a batch of lines at a time (the export stays streamed)."""
    labels: dict[UUID, str] = {}
    while batch := list(islice(lines, LABEL_BATCH)):
        labels.update(account_labels(conn, {line["counterparty_id"] for line in batch if line["counterparty_id"]} - set(labels)))
        for line in batch:
            yield csv_line(line, labels)


def readable_account(some_id: UUID, min_position: int | None) -> UUID:
    """The account named by its id or its owner's id, if this reader may see it (else 404). Who owns
    it comes from the view; whether the reader organizes an owning organization, from the registry."""
    who = actor()
    with services().read(min_position) as conn:
        found = ledger_queries.account_owner(conn, some_id)
    if found is None or not services().timebank.may_read_account(who, found[1], found[2]):
        raise hidden("account", some_id, "account_id")
    return found[0]


@blp.route("")
class Accounts(MethodView):
    @blp.arguments(AccountListArgs, location="query")
    @blp.response(200, AccountSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """List all accounts (auditors and admins)"""
        require(actor(), "account.list")
        with services().read(args.get("min_position")) as conn:
            items, pagination_parameters.item_count = ledger_queries.accounts_page(
                conn, args.get("kind"), pagination_parameters.page_size, pagination_parameters.first_item
            )
        return items


@blp.route("/pools")
class Pools(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, AccountSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """List every district's community pool and what it holds (public to members)"""
        actor()
        with services().read(args.get("min_position")) as conn:
            return ledger_queries.pools(conn)


@blp.route("/system")
class SystemAccounts(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, AccountSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """List the system accounts: issuance (pays for service) and redemption (receives what is redeemed)"""
        actor()
        with services().read(args.get("min_position")) as conn:
            return ledger_queries.system_accounts(conn)


@blp.route("/<uuid:account_id>")
class AccountById(MethodView):
    @blp.arguments(AccountArgs, location="query")
    @blp.response(200, AccountSchema)
    def get(self, args: dict[str, Any], account_id: UUID) -> dict[str, Any]:
        """Show an account (by its id or its owner's): balance, available, pending; with as_of, at any past moment"""
        found_id = readable_account(account_id, args.get("min_position"))
        with services().read() as conn:
            found = ledger_queries.account(conn, found_id, args.get("as_of"))
        if found is None:
            raise hidden("account", account_id, "account_id")
        return found


@blp.route("/<uuid:account_id>/statement")
class Statement(MethodView):
    @blp.arguments(StatementArgs, location="query")
    @blp.response(200, StatementEntrySchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], account_id: UUID, pagination_parameters: Any) -> list[dict[str, Any]]:
        """List an account's movements, newest first, with the running balance; filter by kind, phase and time"""
        found_id = readable_account(account_id, args.pop("min_position", None))
        with services().read() as conn:
            items, pagination_parameters.item_count = ledger_queries.statement(
                conn, found_id, **args, limit=pagination_parameters.page_size, offset=pagination_parameters.first_item
            )
        return items


@blp.route("/<uuid:account_id>/statement.csv")
class StatementCsv(MethodView):
    @blp.arguments(StatementArgs, location="query")
    @blp.alt_response(200, success=True, content_type="text/csv", description=(
        "The statement as CSV (UTF-8 with a BOM, for Excel), newest line first like the JSON, with the running balance; "
        "times in Beijing time (+08:00), amounts in credit-minutes and in hours and minutes, the counterparty by "
        "volunteer number, organization name, pool district or system account."))
    def get(self, args: dict[str, Any], account_id: UUID) -> Response:
        """Export an account's statement as CSV (same filters as the statement)"""
        found_id = readable_account(account_id, args.pop("min_position", None))
        engine = services().engine

        def rows() -> Iterator[list[Any]]:
            with engine.connect() as conn, engine.connect() as names:
                yield from csv_lines(names, ledger_queries.statement_lines(conn, found_id, **args))

        return Response(
            stream_with_context(csv_chunks(CSV_COLUMNS, rows(), bom=True)), mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="statement-{found_id}.csv"'},
        )


@blp.route("/<uuid:account_id>/totals")
class Totals(MethodView):
    @blp.arguments(TotalsArgs, location="query")
    @blp.response(200, KindTotalSchema(many=True))
    def get(self, args: dict[str, Any], account_id: UUID) -> list[dict[str, Any]]:
        """Sum an account's posted credits and debits per kind of transfer"""
        found_id = readable_account(account_id, args.pop("min_position", None))
        with services().read() as conn:
            return ledger_queries.totals(conn, found_id, args.get("since"), args.get("until"))
