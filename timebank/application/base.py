"""The application's foundation, shared by every group of use cases: retries, transcodings,
positions, the shared loaders (volunteers, organizations, projects, shifts, records, transfers,
accounts), the ledger steps several groups take (loading accounts, settling a pending transfer, the
storage cap), and access tokens. Use-case groups inherit this class and nothing else."""

from __future__ import annotations

import functools
import hashlib
import random
import secrets
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ParamSpec, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import InfrastructureFactory, IntegrityError, JSONTranscoder, Recording, Transcoding
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import Environment

from timebank.application.ports import PasswordHasher, TokenSigner, Vault, keyed_hash
from timebank.clock import local_date, utcnow
from timebank.domain.access import AccessToken, token_id
from timebank.domain.actors import Actor, Role
from timebank.domain.errors import ConcurrencyConflict, InvalidInput, NotFound, RuleViolation
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID, REDEMPTION_ACCOUNT_ID
from timebank.domain.ledger import (
    DERIVED_ACCOUNT_IDS,
    ORGANIZATION,
    POOL,
    POOL_DISTRICTS,
    VOLUNTEER,
    TimeAccount,
    Transfer,
    open_pool,
    pool_account_id,
    resolve_transfer,
)
from timebank.domain.organization import Organization
from timebank.domain.permissions import permits, require
from timebank.domain.places import DistrictPlaces, check_district
from timebank.domain.project import Project
from timebank.domain.rules import RuleBook, RuleSet, WeekdayCalendar, WorkingCalendar
from timebank.domain.service_record import ServiceRecord
from timebank.domain.shift import Shift
from timebank.domain.transfer_rules import cap_overflow, over_cap
from timebank.domain.volunteer import Volunteer

P = ParamSpec("P")
R = TypeVar("R")
A = TypeVar("A", bound=Aggregate)

MAX_ATTEMPTS = 8
MAX_BATCH_ENTRIES = 500
# How long start-up waits for the first PostgreSQL connection. POSTGRES_CONNECT_TIMEOUT (1 s,
# timebank/settings.py) is how long a request waits for a pooled connection; the first one is made
# while the new pool is still connecting, which on a busy machine took longer (a CI run failed so).
FIRST_CONNECTION_TIMEOUT = 15.0
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
        # Adapters (adapters/: vault, passwords, tokens) for what the application must not do itself: encryption,
        # password hashing, token signing. Use cases that need a missing one refuse to run.
        self._vault, self._passwords, self._tokens = vault, passwords, tokens

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        """The store's factory; on PostgreSQL, its pool opened and its first connection made before
        the recorder creates its tables (with the start-up timeout, not the per-request one)."""
        factory = super().construct_factory(env)
        if isinstance(factory, PostgresFactory):
            factory.datastore.pool.open()
            with factory.datastore.pool.connection(timeout=FIRST_CONNECTION_TIMEOUT):
                pass
        return factory

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

    # Shared loaders --------------------------------------------------------------
    def get_volunteer(self, volunteer_id: UUID) -> Volunteer:
        return self._get(Volunteer, volunteer_id, "volunteer_id", "volunteer")

    def get_organization(self, organization_id: UUID, field: str = "organization_id") -> Organization:
        return self._get(Organization, organization_id, field, "organization")

    def get_project(self, project_id: UUID, field: str = "project_id") -> Project:
        return self._get(Project, project_id, field, "project")

    def get_shift(self, shift_id: UUID, field: str = "shift_id") -> Shift:
        return self._get(Shift, shift_id, field, "shift")

    def get_record(self, record_id: UUID) -> ServiceRecord:
        return self._get(ServiceRecord, record_id, "record_id", "service record")

    def get_transfer(self, transfer_id: UUID, field: str = "transfer_id") -> Transfer:
        return self._get(Transfer, transfer_id, field, "transfer")

    def _check_place(
        self, district: str, street: str | None, community: str | None, *, required: bool = False, prefix: str = ""
    ) -> None:
        """A district of the hierarchy; street and community registered places of it. A district
        whose institutes and stations are not imported yet takes any street and community, unless
        `required` (a need must name a registered community)."""
        check_district(district, f"{prefix}district")
        try:
            places: Any = self.repository.get(DistrictPlaces.create_id(district), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            if required:
                raise InvalidInput(f"no communities of {district} are registered yet", field=f"{prefix}community") from None
            return
        places.check(street, community, required=required, prefix=prefix)

    def is_organizer(self, actor: Actor, organization_id: UUID) -> bool:
        """Whether the actor organizes this organization (read from the cache, not copied)."""
        try:
            return self._get(Organization, organization_id, "organization_id", "organization", read_only=True).is_organizer(actor)
        except NotFound:
            return False

    def _require_organizer(self, actor: Actor, organization_id: UUID, field: str = "organization_id") -> None:
        """谁组织谁记录: the actor organizes this organization (read from the cache, not copied)."""
        self._get(Organization, organization_id, field, "organization", read_only=True).require_organizer(actor)

    @staticmethod
    def _volunteer_id(actor: Actor, action: str) -> UUID:
        """The acting volunteer's id, for an action any volunteer may take (the policy table says which)."""
        require(actor, action)
        assert actor.id is not None
        return actor.id

    # Access to accounts and transfers (the table is timebank/domain/permissions.py) -------
    def acts_for_account(self, actor: Actor, kind: str, owner_id: UUID | None) -> bool:
        """Owners act for volunteer accounts, organizers for their organization's, admins for the rest."""
        if kind == VOLUNTEER:
            return permits(actor, "account.spend", about=owner_id)
        if kind == ORGANIZATION:
            return owner_id is not None and permits(
                actor, "organization_account.grant", organizes=lambda: self.is_organizer(actor, owner_id)
            )
        return permits(actor, "pool.grant")

    def may_read_account(self, actor: Actor, kind: str, owner_id: UUID | None) -> bool:
        """Owners (organizers for their organization's), auditors, admins; pools and system accounts are public."""
        if kind not in (VOLUNTEER, ORGANIZATION):
            return permits(actor, "public_account.read")
        return permits(
            actor, "account.read", about=owner_id if kind == VOLUNTEER else None,
            organizes=lambda: kind == ORGANIZATION and owner_id is not None and self.is_organizer(actor, owner_id),
        )

    def may_read_transfer(self, actor: Actor, created_by: str, owners: Iterable[tuple[str, UUID | None]]) -> bool:
        """Its parties (who act for either account), whoever made it, auditors and admins."""
        return permits(
            actor, "transfer.read", creator=created_by == actor.ref,
            party=lambda: any(self.acts_for_account(actor, kind, owner) for kind, owner in owners),
        )

    def account_owner_kind(self, account_id: UUID) -> tuple[str, UUID | None]:
        """(kind, owner id) of an account, from the store; derived accounts and pools have no owner."""
        if account_id == ISSUANCE_ACCOUNT_ID:
            return "issuance", None
        if account_id == REDEMPTION_ACCOUNT_ID:
            return "redemption", None
        if account_id in POOL_DISTRICTS:
            return POOL, None
        account = self._get(TimeAccount, account_id, "account_id", "account", read_only=True)
        return account.kind, account.owner_id

    # Ledger steps several use cases take -------------------------------------------
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

    def _overflows(self, accounts: Iterable[TimeAccount], rules: RuleSet, cause: UUID, loaded: dict[UUID, TimeAccount], now: datetime) -> list[Aggregate]:
        """The storage cap: move what volunteer accounts hold above it to their district's pool.
        Pools it opens are added to `loaded`, so the caller saves them."""
        moved: list[Aggregate] = []
        for account in list(accounts):
            if over_cap(account, rules) > 0:
                assert account.district is not None
                pool = self._load_account(pool_account_id(account.district), loaded, "credit_account_id", now)
                assert pool is not None
                moved.append(cap_overflow(account, pool, rules, cause, now))
        return moved

    def _resolve(self, transfer: Transfer, amount: int, reason: str, actor: str, now: datetime) -> list[Aggregate]:
        """Post (amount > 0) or void a pending transfer on both sides; returns what to save."""
        loaded: dict[UUID, TimeAccount] = {}
        debit = self._load_account(transfer.debit_account_id, loaded, "debit_account_id", now)
        credit = self._load_account(transfer.credit_account_id, loaded, "credit_account_id", now)
        resolve_transfer(transfer, debit, credit, posted_amount=amount, reason=reason, actor=actor, at=now)
        overflow = self._overflows(loaded.values(), self._rules_on(local_date(now), "transfer_id"), transfer.id, loaded, now) if amount else []
        return [transfer, *overflow, *loaded.values()]

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

