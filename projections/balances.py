"""Balances and statements, by double entry from transfers; derived accounts (issuance) included."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Uuid

from projections.base import Projection, event_of, handles
from projections.batch import Batch
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
    # Statement filters (kind, phase) and the "as of" figures (at, amount) are read from the indexes
    # alone: counting or summing a busy account's lines then touches no table rows.
    Index("ix_entries_account", "account_id", "seq", "kind", "phase"),
    Index("ix_entries_account_at", "account_id", "at", "seq", "kind", "phase", "amount"),
)

DERIVED_ACCOUNTS = {ISSUANCE_ACCOUNT_ID: "issuance", REDEMPTION_ACCOUNT_ID: "redemption"}

_OPENED: Any = event_of(TimeAccount, "Opened")
_CREATED: Any = event_of(Transfer, "Created")
_POSTED: Any = event_of(Transfer, "Posted")
_VOIDED: Any = event_of(Transfer, "Voided")


class Balances(Projection):
    name = "balances"
    tables = (accounts, transfers, entries)

    def prefetch(self, batch: Batch, events: Sequence[Any]) -> None:
        resolved = [e.originator_id for e in events if type(e) in (_POSTED, _VOIDED)]
        batch.prefetch(transfers, resolved)
        touched = [e.originator_id for e in events if type(e) is _OPENED]
        for e in events:
            if type(e) is _CREATED:
                touched += (e.debit_account_id, e.credit_account_id)
        for transfer_id in resolved:
            t = batch.get(transfers, transfer_id)
            if t is not None:
                touched += (t["debit_account_id"], t["credit_account_id"])
        batch.prefetch(accounts, touched)

    @handles(_OPENED)
    def _opened(self, batch: Batch, e: Any) -> None:
        district = getattr(e, "district", None)
        self._ensure(batch, e.originator_id, owner_id=e.owner_id, kind=e.kind, floor=e.floor, district=district, at=e.at)

    def _ensure(
        self, batch: Batch, account_id: Any, *, owner_id: Any = None, kind: str | None = None, floor: int | None = None,
        district: str | None = None, at: Any,
    ) -> dict[str, Any]:
        """The account's row; an account first seen in a transfer (a pool, issuance) is opened here."""
        row = batch.get(accounts, account_id)
        if row is not None:
            if owner_id is not None:
                row = batch.update(accounts, account_id, owner_id=owner_id, kind=kind, floor=floor, district=district)
            assert row is not None
            return row
        return batch.insert(
            accounts,
            {
                "id": account_id, "owner_id": owner_id, "kind": kind or DERIVED_ACCOUNTS.get(account_id, "unknown"),
                "district": district, "floor": floor, "posted_credits": 0, "posted_debits": 0, "pending_credits": 0, "pending_debits": 0,
                "earned_to_date": 0, "updated_at": at,
            },
        )

    def _bump(self, batch: Batch, account_id: Any, deltas: dict[str, int], at: Any) -> dict[str, Any]:
        """Add the deltas to an account's counters; returns the account's row afterwards."""
        row = self._ensure(batch, account_id, at=at)
        changed = batch.update(accounts, account_id, updated_at=at, **{name: row[name] + value for name, value in deltas.items()})
        assert changed is not None
        return changed

    def _move(
        self, batch: Batch, account_id: Any, side: str, phase: str, amount: int, t: dict[str, Any], at: Any, counterparty_id: Any
    ) -> None:
        """Apply one side of a movement to an account and append its statement line."""
        sign = 1 if side == "credit" else -1
        deltas: dict[str, int] = {}
        if phase == "pending":
            deltas[f"pending_{side}s"] = amount
        elif phase in ("posted", "resolve"):
            deltas[f"posted_{side}s"] = amount
            if t["kind"] in EARNING_KINDS:
                deltas["earned_to_date"] = sign * amount
        row = self._bump(batch, account_id, deltas, at)
        batch.append(
            entries,
            {
                "account_id": account_id, "transfer_id": t["id"], "at": at, "kind": t["kind"],
                "phase": "posted" if phase == "resolve" else phase, "amount": sign * amount,
                "balance": row["posted_credits"] - row["posted_debits"], "pending_credits": row["pending_credits"],
                "pending_debits": row["pending_debits"], "counterparty_id": counterparty_id, "reference": t["reference"],
                "note": t["note"],
            },
        )

    @handles(_CREATED)
    def _created(self, batch: Batch, e: Any) -> None:
        t = batch.insert(transfers, dict(
            id=e.originator_id, debit_account_id=e.debit_account_id, credit_account_id=e.credit_account_id,
            amount=e.amount, posted_amount=0 if e.pending else e.amount, kind=e.kind,
            status="pending" if e.pending else "posted", pending=e.pending, reference=e.reference,
            rules_version=e.rules_version, note=getattr(e, "note", None), relation=getattr(e, "relation", None),
            actor=e.actor, created_at=e.at, expires_at=getattr(e, "expires_at", None),
        ))
        phase = "pending" if e.pending else "posted"
        self._move(batch, e.debit_account_id, "debit", phase, e.amount, t, e.at, e.credit_account_id)
        self._move(batch, e.credit_account_id, "credit", phase, e.amount, t, e.at, e.debit_account_id)

    def _resolve(self, batch: Batch, e: Any, posted_amount: int, status: str) -> None:
        t = batch.update(transfers, e.originator_id, status=status, posted_amount=posted_amount, resolved_at=e.at)
        if t is None:
            raise LookupError(f"transfer {e.originator_id} resolved before it was created")
        sides = ((t["debit_account_id"], "debit", t["credit_account_id"]), (t["credit_account_id"], "credit", t["debit_account_id"]))
        for account_id, side, counterparty in sides:
            self._bump(batch, account_id, {f"pending_{side}s": -t["amount"]}, e.at)
            if posted_amount:
                self._move(batch, account_id, side, "resolve", posted_amount, t, e.at, counterparty)
            else:
                self._move(batch, account_id, side, "voided", t["amount"], t, e.at, counterparty)

    @handles(_POSTED)
    def _posted(self, batch: Batch, e: Any) -> None:
        self._resolve(batch, e, e.amount, "posted")

    @handles(_VOIDED)
    def _voided(self, batch: Batch, e: Any) -> None:
        self._resolve(batch, e, 0, "voided")
