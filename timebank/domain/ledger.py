"""The credit ledger: time accounts and two-phase transfers by double entry (after TigerBeetle).

Amounts are integer credit-minutes. An account's available balance is
posted credits - posted debits - pending debits; pending credits are visible but not spendable.
System accounts that every command would touch (issuance) are *derived*: they are not aggregates,
their balance is minus what they issued, kept by a projection and checked by reconciliation.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.errors import Conflict, InvalidInput, RuleViolation
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID, natural_id

DERIVED_ACCOUNT_IDS = frozenset({ISSUANCE_ACCOUNT_ID})

# Reason codes of transfers.
SERVICE_CREDIT = "service_credit"
CORRECTION = "correction"
REVOCATION = "revocation"
# Reversals of credits the system itself issued are never refused by the floor: the legal record
# must stay correctable. They may leave a balance below the floor, which then blocks spending.
SYSTEM_REVERSALS = frozenset({CORRECTION, REVOCATION})


class TimeAccount(Aggregate):
    @staticmethod
    def create_id(owner_id: UUID) -> UUID:
        return natural_id("account", str(owner_id))

    @event("Opened")
    def __init__(self, owner_id: UUID, kind: str, floor: int, actor: str, at: datetime) -> None:
        self.owner_id = owner_id
        self.kind = kind
        self.floor = floor
        self.posted_credits = 0
        self.posted_debits = 0
        self.pending_credits = 0
        self.pending_debits = 0
        self.open_pending: dict[str, list[object]] = {}  # transfer id -> [side, amount]

    @property
    def available(self) -> int:
        return self.posted_credits - self.posted_debits - self.pending_debits

    def apply_transfer(
        self, transfer_id: UUID, side: str, amount: int, pending: bool, kind: str, counterparty_id: UUID, actor: str, at: datetime
    ) -> None:
        if side == "debit" and kind not in SYSTEM_REVERSALS and self.available - amount < self.floor:
            raise RuleViolation(
                f"insufficient credits: {self.available} credit-minutes available, {amount} needed",
                field="minutes",
                available=self.available,
            )
        self._transfer_applied(
            transfer_id=transfer_id, side=side, amount=amount, pending=pending, kind=kind, counterparty_id=counterparty_id,
            actor=actor, at=at,
        )

    @event("TransferApplied")
    def _transfer_applied(
        self, transfer_id: UUID, side: str, amount: int, pending: bool, kind: str, counterparty_id: UUID, actor: str, at: datetime
    ) -> None:
        if pending:
            self.open_pending[str(transfer_id)] = [side, amount]
            if side == "debit":
                self.pending_debits += amount
            else:
                self.pending_credits += amount
        elif side == "debit":
            self.posted_debits += amount
        else:
            self.posted_credits += amount

    def resolve_pending(self, transfer_id: UUID, posted_amount: int, actor: str, at: datetime) -> None:
        """Post (all or part of) a pending transfer, or void it with posted_amount 0."""
        if str(transfer_id) not in self.open_pending:
            raise Conflict(f"transfer {transfer_id} is not pending on this account")
        self._pending_resolved(transfer_id=transfer_id, posted_amount=posted_amount, actor=actor, at=at)

    @event("PendingResolved")
    def _pending_resolved(self, transfer_id: UUID, posted_amount: int, actor: str, at: datetime) -> None:
        side, amount = self.open_pending.pop(str(transfer_id))
        assert isinstance(amount, int)
        if side == "debit":
            self.pending_debits -= amount
            self.posted_debits += posted_amount
        else:
            self.pending_credits -= amount
            self.posted_credits += posted_amount


class Transfer(Aggregate):
    """One movement of credits; its id is chosen by the caller, so a retry cannot move twice."""

    @staticmethod
    def create_id(transfer_id: UUID) -> UUID:
        return transfer_id

    @event("Created")
    def __init__(
        self,
        transfer_id: UUID,
        debit_account_id: UUID,
        credit_account_id: UUID,
        amount: int,
        kind: str,
        pending: bool,
        reference: str | None,
        rules_version: str,
        actor: str,
        at: datetime,
    ) -> None:
        self.debit_account_id = debit_account_id
        self.credit_account_id = credit_account_id
        self.amount = amount
        self.kind = kind
        self.reference = reference
        self.rules_version = rules_version
        self.status = "pending" if pending else "posted"
        self.posted_amount = 0 if pending else amount

    def resolve(self, posted_amount: int, reason: str, actor: str, at: datetime) -> None:
        if self.status != "pending":
            raise Conflict(f"transfer {self.id} is already {self.status}")
        if not 0 <= posted_amount <= self.amount:
            raise InvalidInput(f"a pending transfer of {self.amount} can post 0..{self.amount}", field="amount")
        if posted_amount:
            self._posted(amount=posted_amount, actor=actor, at=at)
        else:
            self._voided(reason=reason, actor=actor, at=at)

    @event("Posted")
    def _posted(self, amount: int, actor: str, at: datetime) -> None:
        self.status = "posted"
        self.posted_amount = amount

    @event("Voided")
    def _voided(self, reason: str, actor: str, at: datetime) -> None:
        self.status = "voided"


def open_transfer(
    transfer_id: UUID,
    debit: TimeAccount | None,
    credit: TimeAccount | None,
    *,
    debit_account_id: UUID,
    credit_account_id: UUID,
    amount: int,
    kind: str,
    pending: bool,
    reference: str | None,
    rules_version: str,
    actor: str,
    at: datetime,
) -> Transfer:
    """Double entry: one Transfer and both sides, or an error before anything changed.

    `debit`/`credit` are the account aggregates, or None for a derived account.
    """
    if amount <= 0:
        raise InvalidInput("a transfer moves a positive number of credit-minutes", field="minutes")
    if debit_account_id == credit_account_id:
        raise RuleViolation("an account cannot transfer to itself", field="credit_account_id")
    for account, account_id in ((debit, debit_account_id), (credit, credit_account_id)):
        if (account is None) != (account_id in DERIVED_ACCOUNT_IDS):
            raise ValueError(f"account {account_id}: pass the aggregate unless the account is derived")
    transfer = Transfer(
        transfer_id=transfer_id,
        debit_account_id=debit_account_id,
        credit_account_id=credit_account_id,
        amount=amount,
        kind=kind,
        pending=pending,
        reference=reference,
        rules_version=rules_version,
        actor=actor,
        at=at,
    )
    if debit is not None:
        debit.apply_transfer(transfer_id, "debit", amount, pending, kind, credit_account_id, actor, at)
    if credit is not None:
        credit.apply_transfer(transfer_id, "credit", amount, pending, kind, debit_account_id, actor, at)
    return transfer


def resolve_transfer(
    transfer: Transfer,
    debit: TimeAccount | None,
    credit: TimeAccount | None,
    *,
    posted_amount: int,
    reason: str,
    actor: str,
    at: datetime,
) -> None:
    """Post or void a pending transfer on the transfer and both accounts, exactly once."""
    transfer.resolve(posted_amount, reason, actor, at)
    for account in (debit, credit):
        if account is not None:
            account.resolve_pending(transfer.id, posted_amount, actor, at)
