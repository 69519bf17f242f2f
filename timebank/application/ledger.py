"""Use cases of the time bank: transfers (single, linked, two-phase), gifts, donations, redemptions, grants.

Every movement is a Transfer with a client-chosen id: a retry with the same id and the same request
returns the first result and moves nothing; the same id with another request is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from timebank.application.base import TimeBankBase, retrying
from timebank.clock import local_date
from timebank.domain.actors import Actor
from timebank.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from timebank.domain.ids import natural_id
from timebank.domain.ledger import TimeAccount, Transfer, open_transfer
from timebank.domain.permissions import require
from timebank.domain.rules import RuleSet
from timebank.domain.transfer_rules import OWNED_REFERENCES, Movement, check_kind, check_shape
from timebank.domain.volunteer import Volunteer, age_on

MAX_LINKED_TRANSFERS = 100


@dataclass(frozen=True)
class TransferRequest(Movement):
    """What a client asks to move. `transfer_id` None: the Idempotency-Key or a fresh id decides."""

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


class Ledger(TimeBankBase):
    """The time bank's own use cases: transfers, linked transfers, two-phase post and void."""

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
        check_shape(r, p)
        debit = self._load_account(r.debit_account_id, loaded, f"{p}debit_account_id", now)
        credit = self._load_account(r.credit_account_id, loaded, f"{p}credit_account_id", now)
        check_kind(
            actor, r, debit, credit, rules, p=p,
            organizes_debit=lambda: debit is not None and debit.owner_id is not None and self.is_organizer(actor, debit.owner_id),
            payer_age=lambda: self._age_of(debit, local_date(now), f"{p}debit_account_id"),
        )
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

    def _age_of(self, account: TimeAccount | None, today: date, field: str) -> int | None:
        """The age of the volunteer who owns the account; None once their personal data is erased."""
        assert account is not None and account.owner_id is not None
        personal = self.personal_data_of(self._get(Volunteer, account.owner_id, field, "volunteer"))
        return None if personal is None else age_on(date.fromisoformat(personal["birth_date"]), today)

    # Two-phase -----------------------------------------------------------------

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
        if not transfer.is_timed_out(now):
            return False
        self._resolved(transfer, 0, "expired", actor.ref)
        return True

    def _pending_for(self, actor: Actor, transfer_id: UUID, *, may_void_as_payee: bool) -> Transfer:
        transfer = self.get_transfer(transfer_id)
        owners = [self.account_owner_kind(a) for a in (transfer.debit_account_id, transfer.credit_account_id)]
        if not self.may_read_transfer(actor, transfer.created_by, owners):
            raise NotFound(f"transfer {transfer_id} not found", field="transfer_id")
        if (transfer.reference or "").startswith(OWNED_REFERENCES):
            raise Conflict(f"transfer {transfer_id} is resolved by its {transfer.reference.split(':')[0]}", field="transfer_id")  # type: ignore[union-attr]
        require(
            actor, "transfer.void" if may_void_as_payee else "transfer.post", creator=transfer.created_by == actor.ref,
            payee=lambda: self.acts_for_account(actor, *owners[1]),
        )
        if transfer.status != "pending":
            raise Conflict(f"transfer {transfer_id} is already {transfer.status}", field="transfer_id")
        if transfer.is_timed_out(self._now()) and transfer.expires_at is not None:
            raise Conflict(f"transfer {transfer_id} timed out at {transfer.expires_at.isoformat()}", field="transfer_id")
        return transfer

    def _resolved(self, transfer: Transfer, amount: int, reason: str, actor: str) -> dict[str, Any]:
        self.save(*self._resolve(transfer, amount, reason, actor, self._now()))
        return transfer_view(transfer)


