"""The application's foundation: retries, transcodings, positions, loading helpers and access tokens."""

from __future__ import annotations

import functools
import hashlib
import random
import secrets
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ParamSpec, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording, Transcoding

from timebank.application.ports import PasswordHasher, TokenSigner, Vault, keyed_hash
from timebank.clock import utcnow
from timebank.domain.access import AccessToken, token_id
from timebank.domain.actors import Actor, Role
from timebank.domain.errors import ConcurrencyConflict, InvalidInput, NotFound, RuleViolation
from timebank.domain.ledger import (
    TimeAccount,
)
from timebank.domain.rules import RuleBook, RuleSet, WeekdayCalendar, WorkingCalendar
from timebank.domain.volunteer import (
    Volunteer,
)

P = ParamSpec("P")
R = TypeVar("R")
A = TypeVar("A", bound=Aggregate)

MAX_ATTEMPTS = 8
MAX_BATCH_ENTRIES = 500
_last_position: ContextVar[int | None] = ContextVar("timebank_last_position", default=None)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def retrying(method: Callable[P, R]) -> Callable[P, R]:
    """Run a command again (bounded, with jitter) when another writer saved the same aggregate first."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(MAX_ATTEMPTS):
            try:
                return method(*args, **kwargs)
            except IntegrityError:
                time.sleep(random.uniform(0, 0.005 * (2**attempt)))
        raise ConcurrencyConflict("too many concurrent changes to the same objects; try again")

    return wrapper


@dataclass(frozen=True)
class Registration:
    volunteer_id: UUID
    volunteer_number: str
    access_token: str


@dataclass(frozen=True)
class BatchEntry:
    volunteer_id: UUID
    service_date: date
    service_minutes: int
    content: str
    shift_id: UUID | None = None


class TimeBankBase(Application):
    """Infrastructure shared by the use cases: loading, rules, the clock, positions, tokens."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        rules: RuleBook | None = None,
        calendar: WorkingCalendar | None = None,
        clock: Callable[[], datetime] = utcnow,
        identity_secret: str = "",
        vault: Vault | None = None,
        passwords: PasswordHasher | None = None,
        tokens: TokenSigner | None = None,
    ) -> None:
        super().__init__(env)
        self.rules = rules or RuleBook()
        self.calendar: WorkingCalendar = calendar or WeekdayCalendar()
        self.clock = clock
        self._identity_secret = identity_secret.encode("utf-8")
        # Adapters (api/crypto.py) for what the application must not do itself: encryption,
        # password hashing, token signing. Use cases that need a missing one refuse to run.
        self._vault, self._passwords, self._tokens = vault, passwords, tokens

    @property
    def vault(self) -> Vault:
        if self._vault is None:
            raise RuntimeError("this TimeBank has no personal-data vault: pass vault=")
        return self._vault

    @property
    def passwords(self) -> PasswordHasher:
        if self._passwords is None:
            raise RuntimeError("this TimeBank has no password hasher: pass passwords=")
        return self._passwords

    @property
    def tokens(self) -> TokenSigner:
        if self._tokens is None:
            raise RuntimeError("this TimeBank has no token signer: pass tokens=")
        return self._tokens

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # Infrastructure ------------------------------------------------------------
    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:  # type: ignore[override]
        recordings = super().save(*objs, **kwargs)
        if recordings:
            _last_position.set(max(r.notification.id for r in recordings))
        return recordings

    @staticmethod
    def last_position() -> int | None:
        """Event-log position of the last save made in this context (thread / request)."""
        return _last_position.get()

    @staticmethod
    def reset_last_position() -> None:
        _last_position.set(None)

    def _get(self, cls: type[A], aggregate_id: UUID, field: str, what: str, *, read_only: bool = False) -> A:
        """The aggregate, or NotFound naming `field`. `read_only` skips copying it out of the aggregate
        cache: only for a caller that reads it and lets it go (an authorization check), never one that
        changes or saves it."""
        try:
            aggregate: Any = self.repository.get(aggregate_id, deepcopy_from_cache=not read_only)
        except AggregateNotFoundError:
            raise NotFound(f"{what} {aggregate_id} not found", field=field) from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{what} {aggregate_id} not found", field=field)
        return aggregate

    def _get_or_new(self, cls: type[A], aggregate_id: UUID, make: Callable[[], A]) -> A:
        """The aggregate with this natural id, or a new one made by `make` (not saved yet)."""
        try:
            found: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return make()
        assert isinstance(found, cls)
        return found

    def _account(self, owner_id: UUID) -> TimeAccount:
        return self._get(TimeAccount, TimeAccount.create_id(owner_id), "volunteer_id", "account of")

    def _rules_on(self, day: date, field: str = "service_date") -> RuleSet:
        try:
            return self.rules.in_force(day)
        except ValueError:
            raise RuleViolation(
                f"no rule set is in force on {day.isoformat()}; service on that date cannot be recorded", field=field
            ) from None

    def _now(self) -> datetime:
        return self.clock()

    def identity_key(self, id_type: str, id_number: str) -> str:
        """Keyed hash of an identity document: dedupes people without storing the number in an id."""
        return keyed_hash(self._identity_secret, id_type, id_number.strip().upper())

    @property
    def idempotency_secret(self) -> bytes:
        """Keys the encryption of kept responses (api/idempotency.py)."""
        return hashlib.sha256(b"idempotency:" + self._identity_secret).digest()

    def phone_key(self, phone: str) -> str:
        """Keyed hash of a phone (digits only, the last 11): finds who logs in by phone."""
        digits = "".join(ch for ch in phone if ch.isdigit())[-11:]
        return keyed_hash(self._identity_secret, "phone", digits)

    def personal_data_of(self, volunteer: Volunteer) -> dict[str, Any] | None:
        """The volunteer's personal data opened with their key; None once erased."""
        if volunteer.erased:
            return None
        return self.vault.open(volunteer.id, volunteer.personal_data)

    # Access tokens -------------------------------------------------------------
    def _new_token(self, role: Role, subject_id: UUID | None, label: str, actor: str, at: datetime) -> tuple[str, AccessToken]:
        secret = f"tb_{role.value[:3]}_{secrets.token_urlsafe(32)}"
        token = AccessToken(
            token_hash=hashlib.sha256(secret.encode()).hexdigest(),
            role=role.value,
            subject_id=subject_id,
            label=label,
            actor=actor,
            at=at,
        )
        return secret, token

    def create_token(self, role: Role, label: str = "", subject_id: UUID | None = None, actor: Actor | None = None) -> str:
        """Issue a token; only its hash is stored. Returns the secret, shown once."""
        if role is Role.VOLUNTEER:
            self._get(Volunteer, subject_id or uuid4(), "subject_id", "volunteer")
        elif role not in (Role.ADMIN, Role.AUDITOR):
            raise InvalidInput("tokens are for admins, auditors and volunteers", field="role")
        else:
            # Each admin or auditor token is its own principal, so events say which one acted.
            subject_id = subject_id or uuid4()
        secret, token = self._new_token(role, subject_id, label, (actor.ref if actor else "system:cli"), self._now())
        self.save(token)
        return secret

    def authenticate(self, secret: str) -> Actor | None:
        try:
            token: Any = self.repository.get(token_id(secret), deepcopy_from_cache=False)  # read, never changed
        except AggregateNotFoundError:
            return None
        if not isinstance(token, AccessToken) or token.revoked:
            return None
        return Actor(Role(token.role), token.subject_id)

    def revoke_token(self, secret: str, actor: Actor) -> None:
        token = self._get(AccessToken, token_id(secret), "token", "token")
        token.revoke(actor.ref, self._now())
        self.save(token)

