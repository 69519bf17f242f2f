"""Balances and statements, by double entry from transfers; derived accounts (issuance) included."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Boolean, Column, Connection, Index, Integer, String, Table, Uuid, bindparam, insert, select, update

from projections.base import Projection, event_of, handles
from projections.db import UTCDateTime, metadata
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID, REDEMPTION_ACCOUNT_ID
from timebank.domain.ledger import CORRECTION, REVOCATION, SERVICE_CREDIT, TimeAccount, Transfer

# Kinds whose posted amounts count towards "earned to date" (net of corrections and revocations).
EARNING_KINDS = (SERVICE_CREDIT, CORRECTION, REVOCATION)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner_id", Uuid, unique=True),
    Column("kind", String(20), nullable=False),
    Column("district", String(40)),
    Column("floor", Integer),  # the account's own floor; NULL follows the rules in force
    Column("posted_credits", Integer, nullable=False),
    Column("posted_debits", Integer, nullable=False),
    Column("pending_credits", Integer, nullable=False),
    Column("pending_debits", Integer, nullable=False),
    Column("earned_to_date", Integer, nullable=False),
    Column("updated_at", UTCDateTime),
)

transfers = Table(
    "transfers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("debit_account_id", Uuid, nullable=False),
    Column("credit_account_id", Uuid, nullable=False),
    Column("amount", Integer, nullable=False),
    Column("posted_amount", Integer, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("status", String(10), nullable=False),
    Column("pending", Boolean, nullable=False),
    Column("reference", String(80)),
    Column("rules_version", String(40), nullable=False),
    Column("note", String(500)),
    Column("relation", String(20)),
    Column("actor", String(80), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Index("ix_transfers_pending_expiry", "status", "expires_at"),
    Index("ix_transfers_reference", "reference"),
)

# One line per account per movement, in log order: what a statement lists.
entries = Table(
    "statement_entries",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Uuid, nullable=False),
    Column("transfer_id", Uuid, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("phase", String(10), nullable=False),  # pending | posted | voided
    Column("amount", Integer, nullable=False),  # signed: + credit, - debit; posted phase changes the balance
    Column("balance", Integer, nullable=False),  # posted balance after this line
    Column("pending_credits", Integer, nullable=False),  # after this line, so any past moment is one row
    Column("pending_debits", Integer, nullable=False),
    Column("counterparty_id", Uuid, nullable=False),
    Column("reference", String(80)),
    Column("note", String(500)),
    Index("ix_entries_account", "account_id", "seq"),
    Index("ix_entries_account_at", "account_id", "at"),
)

DERIVED_ACCOUNTS = {ISSUANCE_ACCOUNT_ID: "issuance", REDEMPTION_ACCOUNT_ID: "redemption"}

# Statements built once and executed with parameters: building a statement per event (and its
# cache key) cost more than executing it.
_EXISTS = select(accounts.c.id).where(accounts.c.id == bindparam("aid"))
_SET_OWNER = update(accounts).where(accounts.c.id == bindparam("aid")).values(
    owner_id=bindparam("o"), kind=bindparam("k"), floor=bindparam("f"), district=bindparam("d")
)
_INSERT_ACCOUNT = insert(accounts)
_INSERT_ENTRY = insert(entries)


@functools.cache
def _bump_statement(columns: tuple[str, ...]) -> Any:
    c = accounts.c
    values: dict[str, Any] = {name: c[name] + bindparam(f"d_{name}", type_=Integer) for name in columns}
    values["updated_at"] = bindparam("at", type_=UTCDateTime)
    return (
        update(accounts).where(c.id == bindparam("aid")).values(values)
        .returning(c.posted_credits, c.posted_debits, c.pending_credits, c.pending_debits)
    )


def _bump(conn: Connection, account_id: Any, deltas: dict[str, int], at: Any) -> Any:
    """Add the deltas to an account's counters; returns its counters afterwards."""
    params = {"aid": account_id, "at": at, **{f"d_{name}": value for name, value in deltas.items()}}
    return conn.execute(_bump_statement(tuple(sorted(deltas))), params).one()


class _Row:
    """Attribute access to a dict, so a new transfer and a loaded row read alike."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


class Balances(Projection):
    name = "balances"
    tables = (accounts, transfers, entries)

    @handles(event_of(TimeAccount, "Opened"))
    def _opened(self, conn: Connection, e: Any) -> None:
        district = getattr(e, "district", None)
        self._ensure(conn, e.originator_id, owner_id=e.owner_id, kind=e.kind, floor=e.floor, district=district, at=e.at)

    def _ensure(
        self, conn: Connection, account_id: Any, *, owner_id: Any = None, kind: str | None = None, floor: int | None = None,
        district: str | None = None, at: Any,
    ) -> None:
        if conn.execute(_EXISTS, {"aid": account_id}).first():
            if owner_id is not None:
                conn.execute(_SET_OWNER, {"aid": account_id, "o": owner_id, "k": kind, "f": floor, "d": district})
            return
        conn.execute(
            _INSERT_ACCOUNT,
            {
                "id": account_id, "owner_id": owner_id, "kind": kind or DERIVED_ACCOUNTS.get(account_id, "unknown"),
                "district": district, "floor": floor, "posted_credits": 0, "posted_debits": 0, "pending_credits": 0, "pending_debits": 0,
                "earned_to_date": 0, "updated_at": at,
            },
        )

    def _move(
        self, conn: Connection, account_id: Any, side: str, phase: str, amount: int, t: Any, at: Any, counterparty_id: Any
    ) -> None:
        """Apply one side of a movement to an account and append its statement line."""
        self._ensure(conn, account_id, at=at)
        sign = 1 if side == "credit" else -1
        deltas: dict[str, int] = {}
        if phase == "pending":
            deltas[f"pending_{side}s"] = amount
        elif phase in ("posted", "resolve"):
            deltas[f"posted_{side}s"] = amount
            if t.kind in EARNING_KINDS:
                deltas["earned_to_date"] = sign * amount
        row = _bump(conn, account_id, deltas, at)
        conn.execute(
            _INSERT_ENTRY,
            {
                "account_id": account_id, "transfer_id": t.id, "at": at, "kind": t.kind,
                "phase": "posted" if phase == "resolve" else phase, "amount": sign * amount,
                "balance": row.posted_credits - row.posted_debits, "pending_credits": row.pending_credits,
                "pending_debits": row.pending_debits, "counterparty_id": counterparty_id, "reference": t.reference,
                "note": t.note,
            },
        )

    @handles(event_of(Transfer, "Created"))
    def _created(self, conn: Connection, e: Any) -> None:
        row = dict(
            id=e.originator_id, debit_account_id=e.debit_account_id, credit_account_id=e.credit_account_id,
            amount=e.amount, posted_amount=0 if e.pending else e.amount, kind=e.kind,
            status="pending" if e.pending else "posted", pending=e.pending, reference=e.reference,
            rules_version=e.rules_version, note=getattr(e, "note", None), relation=getattr(e, "relation", None),
            actor=e.actor, created_at=e.at, expires_at=getattr(e, "expires_at", None),
        )
        conn.execute(insert(transfers), row)
        t = _Row(row)
        phase = "pending" if e.pending else "posted"
        self._move(conn, e.debit_account_id, "debit", phase, e.amount, t, e.at, e.credit_account_id)
        self._move(conn, e.credit_account_id, "credit", phase, e.amount, t, e.at, e.debit_account_id)

    def _resolve(self, conn: Connection, e: Any, posted_amount: int, status: str) -> None:
        t = conn.execute(select(transfers).where(transfers.c.id == e.originator_id)).one()
        conn.execute(
            update(transfers).where(transfers.c.id == t.id).values(status=status, posted_amount=posted_amount, resolved_at=e.at)
        )
        sides = ((t.debit_account_id, "debit", t.credit_account_id), (t.credit_account_id, "credit", t.debit_account_id))
        for account_id, side, counterparty in sides:
            _bump(conn, account_id, {f"pending_{side}s": -t.amount}, e.at)
            if posted_amount:
                self._move(conn, account_id, side, "resolve", posted_amount, t, e.at, counterparty)
            else:
                self._move(conn, account_id, side, "voided", t.amount, t, e.at, counterparty)

    @handles(event_of(Transfer, "Posted"))
    def _posted(self, conn: Connection, e: Any) -> None:
        self._resolve(conn, e, e.amount, "posted")

    @handles(event_of(Transfer, "Voided"))
    def _voided(self, conn: Connection, e: Any) -> None:
        self._resolve(conn, e, 0, "voided")
