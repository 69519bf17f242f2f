"""The credit ledger: time accounts and two-phase transfers by double entry (after TigerBeetle).

Amounts are integer credit-minutes. An account's available balance is
posted credits - posted debits - pending debits; pending credits are visible but not spendable.
System accounts that every command would touch (issuance) are *derived*: they are not aggregates,
their balance is minus what they issued, kept by a projection and checked by reconciliation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.errors import Conflict, InvalidInput, RuleViolation
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID, REDEMPTION_ACCOUNT_ID, natural_id
from timebank.domain.places import BEIJING_DISTRICTS

# Issuance is debited by every credit earned; redemption is credited by every credit spent on
# services or incentives. Neither has a floor to enforce, so neither is an aggregate.
DERIVED_ACCOUNT_IDS = frozenset({ISSUANCE_ACCOUNT_ID, REDEMPTION_ACCOUNT_ID})

# Kinds of account.
VOLUNTEER = "volunteer"
ORGANIZATION = "organization"
POOL = "pool"  # a district's community pool (社区互助池): receives donations and overflow, funds grants

# Reason codes of transfers.
SERVICE_CREDIT = "service_credit"
CORRECTION = "correction"
REVOCATION = "revocation"
EXCHANGE = "exchange"  # member A serves member B; B pays A
GIFT = "gift"  # to a relative (which relations: a rule)
DONATION = "donation"  # to a community pool or an organization
REDEMPTION = "redemption"  # spent on services or incentives (age gate: a rule)
GRANT = "grant"  # a pool or an organization funds a volunteer
CAP_OVERFLOW = "cap_overflow"  # credits above the storage cap go to the district pool
KINDS = (SERVICE_CREDIT, CORRECTION, REVOCATION, EXCHANGE, GIFT, DONATION, REDEMPTION, GRANT, CAP_OVERFLOW)
# Reversals of credits the system itself issued are never refused by the floor: the legal record
# must stay correctable. They may leave a balance below the floor, which then blocks spending.
SYSTEM_REVERSALS = frozenset({CORRECTION, REVOCATION})


def pool_owner_id(district: str) -> UUID:
    return natural_id("pool", district)


def pool_account_id(district: str) -> UUID:
    return TimeAccount.create_id(pool_owner_id(district))


class TimeAccount(Aggregate):
    @staticmethod
    def create_id(owner_id: UUID) -> UUID:
        return natural_id("account", str(owner_id))

    @event("Opened")
    def __init__(self, owner_id: UUID, kind: str, floor: int | None, actor: str, at: datetime, district: str | None = None) -> None:
        """`floor` None follows the rules in force; a number is this account's own floor."""
        self.owner_id = owner_id
        self.kind = kind
        self.floor = floor
        self.district = district
        self.posted_credits = 0
        self.posted_debits = 0
        self.pending_credits = 0
        self.pending_debits = 0
        self.open_pending: dict[str, list[object]] = {}  # transfer id -> [side, amount]

    def __deepcopy__(self, memo: dict[int, Any]) -> TimeAccount:
        """The aggregate cache copies an account on every load. Every attribute but two holds an
        immutable value, so a copy shares those and copies the open holds and the pending events:
        the library's generic deep copy walked every hold, and a busy account can hold hundreds."""
        copied = object.__new__(type(self))
        copied.__dict__.update(self.__dict__)
        copied.open_pending = {k: list(v) for k, v in self.open_pending.items()}
        copied.__dict__["_pending_events"] = list(self.__dict__["_pending_events"])
        memo[id(self)] = copied
        return copied

    @property
    def available(self) -> int:
        return self.posted_credits - self.posted_debits - self.pending_debits

    @property
    def balance(self) -> int:
        """Posted balance: what the account holds, pending movements aside."""
        return self.posted_credits - self.posted_debits

    def floor_under(self, default_floor: int) -> int:
        return self.floor if self.floor is not None else default_floor

    def apply_transfer(
        self, transfer_id: UUID, side: str, amount: int, pending: bool, kind: str, counterparty_id: UUID, actor: str, at: datetime,
        default_floor: int = 0,
    ) -> None:
        floor = self.floor_under(default_floor)
        if side == "debit" and kind not in SYSTEM_REVERSALS and self.available - amount < floor:
            spendable = max(self.available - floor, 0)
            raise RuleViolation(
                f"insufficient credits: {spendable} credit-minutes available, {amount} needed",
                field="minutes",
                available=spendable,
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


# Every district has a pool; it is opened by the first transfer that touches it.
POOL_DISTRICTS: dict[UUID, str] = {pool_account_id(d): d for d in BEIJING_DISTRICTS}


def open_pool(district: str, actor: str, at: datetime) -> TimeAccount:
    return TimeAccount(owner_id=pool_owner_id(district), kind=POOL, floor=None, actor=actor, at=at, district=district)


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
        note: str | None = None,
        relation: str | None = None,
        expires_at: datetime | None = None,
        request_digest: str | None = None,
    ) -> None:
        self.debit_account_id = debit_account_id
        self.credit_account_id = credit_account_id
        self.amount = amount
        self.kind = kind
        self.reference = reference
        self.rules_version = rules_version
        self.status = "pending" if pending else "posted"
        self.posted_amount = 0 if pending else amount
        self.note = note
        self.relation = relation
        self.expires_at = expires_at
        self.request_digest = request_digest  # what the client asked for: a retry must ask the same
        self.created_by = actor
        self.created_at = at
        self.resolved_at: datetime | None = None

    def is_timed_out(self, now: datetime) -> bool:
        """Pending past its timeout: nobody may post it any more, and the clock voids it."""
        return self.status == "pending" and self.expires_at is not None and self.expires_at <= now

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
        self.resolved_at = at

    @event("Voided")
    def _voided(self, reason: str, actor: str, at: datetime) -> None:
        self.status = "voided"
        self.resolved_at = at


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
    default_floor: int = 0,
    note: str | None = None,
    relation: str | None = None,
    expires_at: datetime | None = None,
    request_digest: str | None = None,
) -> Transfer:
    """Double entry: one Transfer and both sides, or an error before anything changed.

    `debit`/`credit` are the account aggregates, or None for a derived account. The floor is
    checked before the Transfer exists, so a refusal leaves no object behind to be saved.
    """
    if amount <= 0:
        raise InvalidInput("a transfer moves a positive number of credit-minutes", field="minutes")
    if debit_account_id == credit_account_id:
        raise RuleViolation("an account cannot transfer to itself", field="credit_account_id")
    for account, account_id in ((debit, debit_account_id), (credit, credit_account_id)):
        if (account is None) != (account_id in DERIVED_ACCOUNT_IDS):
            raise ValueError(f"account {account_id}: pass the aggregate unless the account is derived")
    if debit is not None:
        debit.apply_transfer(transfer_id, "debit", amount, pending, kind, credit_account_id, actor, at, default_floor)
    if credit is not None:
        credit.apply_transfer(transfer_id, "credit", amount, pending, kind, debit_account_id, actor, at, default_floor)
    return Transfer(
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
        note=note,
        relation=relation,
        expires_at=expires_at,
        request_digest=request_digest,
    )


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
