"""Use cases of the time bank: transfers (single, linked, two-phase), gifts, donations, redemptions, grants.

Every movement is a Transfer with a client-chosen id: a retry with the same id and the same request
returns the first result and moves nothing; the same id with another request is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from timebank.application.base import retrying
from timebank.application.registry import Registry
from timebank.clock import local_date
from timebank.domain.actors import Actor, Role
from timebank.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, RuleViolation
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID, REDEMPTION_ACCOUNT_ID, natural_id
from timebank.domain.ledger import (
    CAP_OVERFLOW,
    CORRECTION,
    DERIVED_ACCOUNT_IDS,
    DONATION,
    EXCHANGE,
    GIFT,
    GRANT,
    ORGANIZATION,
    POOL,
    POOL_DISTRICTS,
    REDEMPTION,
    VOLUNTEER,
    TimeAccount,
    Transfer,
    open_pool,
    open_transfer,
    pool_account_id,
    resolve_transfer,
)
from timebank.domain.rules import RuleSet
from timebank.domain.volunteer import Volunteer, age_on

# Kinds a client may ask for; the others (service credits, revocations, overflow) follow other commands.
REQUESTABLE_KINDS = (EXCHANGE, GIFT, DONATION, REDEMPTION, GRANT, CORRECTION)
MAX_LINKED_TRANSFERS = 100
MAX_PENDING_TIMEOUT_SECONDS = 90 * 24 * 3600
# References of transfers that another object resolves: clients may not post or void them directly.
OWNED_REFERENCES = ("service-record:", "exchange:")


@dataclass(frozen=True)
class TransferRequest:
    """What a client asks to move. `transfer_id` None: the Idempotency-Key or a fresh id decides."""

    debit_account_id: UUID
    credit_account_id: UUID
    minutes: int
    kind: str
    note: str | None = None
    relation: str | None = None
    pending: bool = False
    timeout_seconds: int | None = None
    transfer_id: UUID | None = None

    def digest(self) -> str:
        body = {k: (str(v) if isinstance(v, UUID) else v) for k, v in asdict(self).items() if k != "transfer_id"}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class TransferResult:
    transfer: dict[str, Any]
    replayed: bool  # True: an earlier request with this id did the work; nothing moved now


def transfer_view(transfer: Transfer) -> dict[str, Any]:
    """A transfer as plain values, straight from the aggregate (so a command can answer at once)."""
    return {
        "id": transfer.id,
        "debit_account_id": transfer.debit_account_id,
        "credit_account_id": transfer.credit_account_id,
        "minutes": transfer.amount,
        "posted_minutes": transfer.posted_amount,
        "kind": transfer.kind,
        "status": transfer.status,
        "note": transfer.note,
        "relation": transfer.relation,
        "reference": transfer.reference,
        "rules_version": transfer.rules_version,
        "expires_at": transfer.expires_at,
        "created_by": transfer.created_by,
        "created_at": transfer.created_at,
        "resolved_at": transfer.resolved_at,
    }


def idempotency_transfer_id(actor: Actor, key: str, index: int = 0) -> UUID:
    """Keys are scoped by actor, so two clients cannot collide (or probe each other's keys)."""
    return natural_id("idempotency-key", actor.ref, key, str(index))


class Ledger(Registry):
    """The time bank's own use cases, and the account helpers the record use cases share."""

    # Accounts ------------------------------------------------------------------
    def _load_account(self, account_id: UUID, loaded: dict[UUID, TimeAccount], field: str, now: datetime) -> TimeAccount | None:
        """The account aggregate (None for a derived account); a district pool opens on first use."""
        if account_id in DERIVED_ACCOUNT_IDS:
            return None
        if account_id in loaded:
            return loaded[account_id]
        try:
            account: Any = self.repository.get(account_id)
        except AggregateNotFoundError:
            if account_id not in POOL_DISTRICTS:
                raise NotFound(f"account {account_id} not found", field=field) from None
            account = open_pool(POOL_DISTRICTS[account_id], "system:ledger", now)
        if not isinstance(account, TimeAccount):
            raise NotFound(f"account {account_id} not found", field=field)
        loaded[account_id] = account
        return account

    def account_owner_kind(self, account_id: UUID) -> tuple[str, UUID | None]:
        """(kind, owner id) of an account, for access checks; derived accounts have no owner."""
        if account_id == ISSUANCE_ACCOUNT_ID:
            return "issuance", None
        if account_id == REDEMPTION_ACCOUNT_ID:
            return "redemption", None
        if account_id in POOL_DISTRICTS:
            return POOL, None
        try:
            account: Any = self.repository.get(account_id)
        except AggregateNotFoundError:
            raise NotFound(f"account {account_id} not found", field="account_id") from None
        if not isinstance(account, TimeAccount):
            raise NotFound(f"account {account_id} not found", field="account_id")
        return account.kind, account.owner_id

    def may_act_for_account(self, actor: Actor, account_id: UUID) -> bool:
        """Owners act for volunteer accounts, organizers for their organization's; admins for pools."""
        try:
            kind, owner = self.account_owner_kind(account_id)
        except NotFound:
            return False
        if kind == VOLUNTEER:
            return actor.role is Role.VOLUNTEER and actor.id == owner
        if kind == ORGANIZATION:
            return owner is not None and self.is_organizer(actor, owner)
        return actor.role is Role.ADMIN

    def may_read_account(self, actor: Actor, account_id: UUID) -> bool:
        if actor.role in (Role.ADMIN, Role.AUDITOR):
            return True
        if account_id in POOL_DISTRICTS or account_id in DERIVED_ACCOUNT_IDS:
            return True  # pools and system accounts are public: what a district holds, what was issued and redeemed
        return self.may_act_for_account(actor, account_id)

    def _overflows(self, accounts: Iterable[TimeAccount], rules: RuleSet, cause: UUID, loaded: dict[UUID, TimeAccount], now: datetime) -> list[Aggregate]:
        """Move credits above the storage cap from volunteer accounts to their district's pool."""
        cap = rules.storage_cap_minutes
        if cap is None:
            return []
        moved: list[Aggregate] = []
        for account in list(accounts):
            if account.kind != VOLUNTEER or account.balance <= cap or account.district not in _DISTRICT_POOLS:
                continue
            pool = self._load_account(_DISTRICT_POOLS[account.district], loaded, "credit_account_id", now)
            moved.append(open_transfer(
                natural_id("cap-overflow", str(cause), str(account.id)), account, pool,
                debit_account_id=account.id, credit_account_id=_DISTRICT_POOLS[account.district],
                amount=account.balance - cap, kind=CAP_OVERFLOW, pending=False, reference=f"transfer:{cause}",
                rules_version=rules.version, actor="system:ledger", at=now, default_floor=rules.account_floor,
                note=f"storage cap of {cap} credit-minutes",
            ))
        return moved

    # Transfers -----------------------------------------------------------------
    @retrying
    def transfer(self, actor: Actor, request: TransferRequest, idempotency_key: str | None = None) -> TransferResult:
        """One transfer; both sides are written in one atomic save."""
        return self._transfer_all(actor, [request], idempotency_key, linked=False)[0]

    @retrying
    def transfer_linked(self, actor: Actor, requests: Sequence[TransferRequest], idempotency_key: str | None = None) -> list[TransferResult]:
        """Linked transfers: all succeed together or none is written (an error names the entry)."""
        if not requests:
            raise InvalidInput("a batch needs at least one transfer", field="transfers")
        if len(requests) > MAX_LINKED_TRANSFERS:
            raise InvalidInput(f"a batch links at most {MAX_LINKED_TRANSFERS} transfers", field="transfers")
        return self._transfer_all(actor, list(requests), idempotency_key, linked=True)

    def _transfer_all(self, actor: Actor, requests: list[TransferRequest], key: str | None, linked: bool) -> list[TransferResult]:
        now = self._now()
        rules = self._rules_on(local_date(now), "kind")
        prefixes = [f"transfers.{i}." if linked else "" for i in range(len(requests))]
        ids = [
            r.transfer_id or (idempotency_transfer_id(actor, key, i) if key else uuid4()) for i, r in enumerate(requests)
        ]
        if len(set(ids)) != len(ids):
            raise InvalidInput("each linked transfer needs its own transfer_id", field="transfers")
        existing = [self._earlier(actor, tid, r, p) for tid, r, p in zip(ids, requests, prefixes, strict=True)]
        if all(t is not None for t in existing):
            return [TransferResult(transfer_view(t), replayed=True) for t in existing if t is not None]
        for t, p in zip(existing, prefixes, strict=True):
            if t is not None:
                raise Conflict("this transfer_id was already used by another batch", field=f"{p}transfer_id")
        loaded: dict[UUID, TimeAccount] = {}
        transfers = [
            self._open_requested(actor, tid, r, rules, loaded, now, p) for tid, r, p in zip(ids, requests, prefixes, strict=True)
        ]
        overflow = self._overflows(loaded.values(), rules, ids[0], loaded, now)
        self.save(*transfers, *overflow, *loaded.values())
        return [TransferResult(transfer_view(t), replayed=False) for t in transfers]

    def _earlier(self, actor: Actor, transfer_id: UUID, request: TransferRequest, prefix: str) -> Transfer | None:
        """The transfer an earlier request with this id made, if it asked for the same thing."""
        try:
            found: Any = self.repository.get(transfer_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(found, Transfer) or found.request_digest != request.digest() or found.created_by != actor.ref:
            raise Conflict(
                f"transfer_id {transfer_id} was already used for a different request; choose a new id", field=f"{prefix}transfer_id"
            )
        return found

    def _open_requested(
        self, actor: Actor, transfer_id: UUID, r: TransferRequest, rules: RuleSet, loaded: dict[UUID, TimeAccount], now: datetime, p: str
    ) -> Transfer:
        if r.kind not in REQUESTABLE_KINDS:
            raise InvalidInput(f"kind must be one of: {', '.join(REQUESTABLE_KINDS)}", field=f"{p}kind")
        if r.minutes <= 0:
            raise InvalidInput("a transfer moves a positive number of credit-minutes", field=f"{p}minutes")
        if r.debit_account_id == r.credit_account_id:
            raise RuleViolation("an account cannot transfer to itself", field=f"{p}credit_account_id")
        if r.timeout_seconds is not None and not r.pending:
            raise InvalidInput("timeout_seconds applies to pending transfers only", field=f"{p}timeout_seconds")
        if r.timeout_seconds is not None and not 1 <= r.timeout_seconds <= MAX_PENDING_TIMEOUT_SECONDS:
            raise InvalidInput(f"timeout_seconds must be 1..{MAX_PENDING_TIMEOUT_SECONDS}", field=f"{p}timeout_seconds")
        debit = self._load_account(r.debit_account_id, loaded, f"{p}debit_account_id", now)
        credit = self._load_account(r.credit_account_id, loaded, f"{p}credit_account_id", now)
        self._check_kind(actor, r, debit, credit, rules, now, p)
        try:
            return self._open(transfer_id, r, debit, credit, rules, actor, now)
        except DomainError as error:  # the floor speaks of "minutes": say which entry of a batch
            if p and error.field and not error.field.startswith(p):
                error.field = p + error.field
            raise

    @staticmethod
    def _open(
        transfer_id: UUID, r: TransferRequest, debit: TimeAccount | None, credit: TimeAccount | None, rules: RuleSet, actor: Actor,
        now: datetime,
    ) -> Transfer:
        return open_transfer(
            transfer_id, debit, credit, debit_account_id=r.debit_account_id, credit_account_id=r.credit_account_id,
            amount=r.minutes, kind=r.kind, pending=r.pending, reference=None, rules_version=rules.version,
            actor=actor.ref, at=now, default_floor=rules.account_floor, note=r.note, relation=r.relation,
            expires_at=now + timedelta(seconds=r.timeout_seconds) if r.timeout_seconds else None,
            request_digest=r.digest(),
        )

    def _check_kind(
        self, actor: Actor, r: TransferRequest, debit: TimeAccount | None, credit: TimeAccount | None, rules: RuleSet, now: datetime, p: str
    ) -> None:
        """Who may move what to whom, by kind: the rules of DOMAIN.md's time bank."""
        if r.relation is not None and r.kind != GIFT:
            raise InvalidInput("relation is declared for gifts only", field=f"{p}relation")
        if r.kind == CORRECTION:
            if actor.role is not Role.ADMIN:
                raise Forbidden("only an admin corrects the ledger by hand", field=f"{p}kind")
            if not (r.note or "").strip():
                raise InvalidInput("a correction needs a note saying why", field=f"{p}note")
            if REDEMPTION_ACCOUNT_ID in (r.debit_account_id, r.credit_account_id):
                raise RuleViolation("corrections move credits between accounts and issuance", field=f"{p}credit_account_id")
            return
        if debit is None:
            raise RuleViolation("a system account cannot be debited by this kind of transfer", field=f"{p}debit_account_id")
        if r.kind == GRANT:
            if debit.kind not in (POOL, ORGANIZATION):
                raise RuleViolation("grants come from a community pool or an organization", field=f"{p}debit_account_id")
            if not self.may_act_for_account(actor, debit.id):
                raise Forbidden("only organizers grant from their organization's account, and admins from a pool", field=f"{p}debit_account_id")
            self._require_kind(credit, (VOLUNTEER,), "grants go to a volunteer's account", f"{p}credit_account_id")
            return
        if debit.kind != VOLUNTEER or actor.role is not Role.VOLUNTEER or debit.owner_id != actor.id:
            raise Forbidden("members spend only from their own account", field=f"{p}debit_account_id")
        if r.kind == EXCHANGE:
            self._require_kind(credit, (VOLUNTEER,), "exchanges pay another member", f"{p}credit_account_id")
        elif r.kind == GIFT:
            self._require_kind(credit, (VOLUNTEER,), "gifts go to a relative's account", f"{p}credit_account_id")
            if r.relation not in rules.gift_relations:
                raise RuleViolation(
                    f"gifts are allowed to: {', '.join(rules.gift_relations)} (rules {rules.version})", field=f"{p}relation"
                )
        elif r.kind == DONATION:
            self._require_kind(credit, (POOL, ORGANIZATION), "donations go to a community pool or an organization", f"{p}credit_account_id")
        elif r.kind == REDEMPTION:
            if r.credit_account_id != REDEMPTION_ACCOUNT_ID:
                raise RuleViolation("redemptions go to the redemption account", field=f"{p}credit_account_id")
            volunteer = self._get(Volunteer, debit.owner_id, f"{p}debit_account_id", "volunteer")
            personal = self.personal_data_of(volunteer)
            if personal is None:
                raise RuleViolation("this volunteer's personal data is erased; the age gate of redemptions cannot be checked", field=f"{p}kind")
            age = age_on(date.fromisoformat(personal["birth_date"]), local_date(now))
            if age < rules.redemption_min_age:
                raise RuleViolation(
                    f"credits are redeemed from age {rules.redemption_min_age} (rules {rules.version}); "
                    "until then they can be gifted or donated",
                    field=f"{p}kind",
                )

    @staticmethod
    def _require_kind(account: TimeAccount | None, kinds: tuple[str, ...], message: str, field: str) -> None:
        if account is None or account.kind not in kinds:
            raise RuleViolation(message, field=field)

    # Two-phase -----------------------------------------------------------------
    def get_transfer(self, transfer_id: UUID, field: str = "transfer_id") -> Transfer:
        return self._get(Transfer, transfer_id, field, "transfer")

    def may_read_transfer(self, actor: Actor, transfer: Transfer) -> bool:
        return self.may_see_transfer(actor, transfer.created_by, transfer.debit_account_id, transfer.credit_account_id)

    def may_see_transfer(self, actor: Actor, created_by: str, debit_account_id: UUID, credit_account_id: UUID) -> bool:
        """Its parties, whoever made it, auditors and admins."""
        return (
            actor.role in (Role.ADMIN, Role.AUDITOR)
            or created_by == actor.ref
            or any(self.may_act_for_account(actor, a) for a in (debit_account_id, credit_account_id))
        )

    @retrying
    def post_transfer(self, actor: Actor, transfer_id: UUID, minutes: int | None = None) -> dict[str, Any]:
        """Post a pending transfer, fully or in part (the rest goes back to the payer)."""
        transfer = self._pending_for(actor, transfer_id, may_void_as_payee=False)
        amount = transfer.amount if minutes is None else minutes
        if not 1 <= amount <= transfer.amount:
            raise InvalidInput(f"post 1..{transfer.amount} credit-minutes of this transfer", field="minutes")
        return self._resolved(transfer, amount, "posted", actor.ref)

    @retrying
    def void_transfer(self, actor: Actor, transfer_id: UUID, reason: str) -> dict[str, Any]:
        """Void a pending transfer: nothing moves, the held credits are free again."""
        transfer = self._pending_for(actor, transfer_id, may_void_as_payee=True)
        return self._resolved(transfer, 0, reason or "voided", actor.ref)

    @retrying
    def expire_transfer(self, transfer_id: UUID, actor: Actor) -> bool:
        """The clock voids a pending transfer whose timeout has passed; False if there is nothing to do."""
        transfer = self.get_transfer(transfer_id)
        now = self._now()
        if transfer.status != "pending" or transfer.expires_at is None or transfer.expires_at > now:
            return False
        self._resolved(transfer, 0, "expired", actor.ref)
        return True

    def _pending_for(self, actor: Actor, transfer_id: UUID, *, may_void_as_payee: bool) -> Transfer:
        transfer = self.get_transfer(transfer_id)
        if not self.may_read_transfer(actor, transfer):
            raise NotFound(f"transfer {transfer_id} not found", field="transfer_id")
        if (transfer.reference or "").startswith(OWNED_REFERENCES):
            raise Conflict(f"transfer {transfer_id} is resolved by its {transfer.reference.split(':')[0]}", field="transfer_id")  # type: ignore[union-attr]
        payee = may_void_as_payee and self.may_act_for_account(actor, transfer.credit_account_id)
        if not (actor.role is Role.ADMIN or transfer.created_by == actor.ref or payee):
            raise Forbidden("only whoever created a pending transfer (or an admin) may post it; the payee may also void it")
        if transfer.status != "pending":
            raise Conflict(f"transfer {transfer_id} is already {transfer.status}", field="transfer_id")
        if transfer.expires_at is not None and transfer.expires_at <= self._now():
            raise Conflict(f"transfer {transfer_id} timed out at {transfer.expires_at.isoformat()}", field="transfer_id")
        return transfer

    def _resolved(self, transfer: Transfer, amount: int, reason: str, actor: str) -> dict[str, Any]:
        self.save(*self._resolve(transfer, amount, reason, actor, self._now()))
        return transfer_view(transfer)

    def _resolve(self, transfer: Transfer, amount: int, reason: str, actor: str, now: datetime) -> list[Aggregate]:
        """Post (amount > 0) or void a pending transfer on both sides; returns what to save."""
        loaded: dict[UUID, TimeAccount] = {}
        debit = self._load_account(transfer.debit_account_id, loaded, "debit_account_id", now)
        credit = self._load_account(transfer.credit_account_id, loaded, "credit_account_id", now)
        resolve_transfer(transfer, debit, credit, posted_amount=amount, reason=reason, actor=actor, at=now)
        overflow = self._overflows(loaded.values(), self._rules_on(local_date(now), "transfer_id"), transfer.id, loaded, now) if amount else []
        return [transfer, *overflow, *loaded.values()]


_DISTRICT_POOLS = {district: pool_account_id(district) for district in POOL_DISTRICTS.values()}
