"""The TimeBank application: one method per use case (load, act, save); the only place that saves."""

from __future__ import annotations

import functools
import hashlib
import hmac
import random
import secrets
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ParamSpec, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording, Transcoding

from timebank.clock import local_date, utcnow
from timebank.domain.access import AccessToken, token_id
from timebank.domain.actors import Actor, Role
from timebank.domain.errors import ConcurrencyConflict, Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.ledger import (
    CORRECTION,
    DERIVED_ACCOUNT_IDS,
    REVOCATION,
    SERVICE_CREDIT,
    TimeAccount,
    Transfer,
    open_transfer,
    resolve_transfer,
)
from timebank.domain.organization import Organization
from timebank.domain.project import CATEGORIES, Project
from timebank.domain.rules import RuleBook, RuleSet, WeekdayCalendar, WorkingCalendar, add_working_days
from timebank.domain.service_record import CONFIRMED, PENDING, ServiceRecord, check_minutes
from timebank.domain.shift import Shift
from timebank.domain.volunteer import (
    IdentityClaim,
    Volunteer,
    VolunteerNumberClaim,
    check_registration,
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


class TimeBank(Application):
    """Commands of the registry and the time bank. Every method takes the actor and saves atomically."""

    name = "TimeBank"
    snapshotting_intervals = {TimeAccount: 200, Volunteer: 200, Shift: 500, Organization: 200}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        rules: RuleBook | None = None,
        calendar: WorkingCalendar | None = None,
        clock: Callable[[], datetime] = utcnow,
        identity_secret: str = "",
    ) -> None:
        super().__init__(env)
        self.rules = rules or RuleBook()
        self.calendar: WorkingCalendar = calendar or WeekdayCalendar()
        self.clock = clock
        self._identity_secret = identity_secret.encode("utf-8")

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

    def _get(self, cls: type[A], aggregate_id: UUID, field: str, what: str) -> A:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"{what} {aggregate_id} not found", field=field) from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{what} {aggregate_id} not found", field=field)
        return aggregate

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
        message = f"{id_type}:{id_number.strip().upper()}".encode()
        return hmac.new(self._identity_secret, message, hashlib.sha256).hexdigest()

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
        secret, token = self._new_token(role, subject_id, label, (actor.ref if actor else "system:cli"), self._now())
        self.save(token)
        return secret

    def authenticate(self, secret: str) -> Actor | None:
        try:
            token: Any = self.repository.get(token_id(secret))
        except AggregateNotFoundError:
            return None
        if not isinstance(token, AccessToken) or token.revoked:
            return None
        return Actor(Role(token.role), token.subject_id)

    def revoke_token(self, secret: str, actor: Actor) -> None:
        token = self._get(AccessToken, token_id(secret), "token", "token")
        token.revoke(actor.ref, self._now())
        self.save(token)

    # Volunteers ----------------------------------------------------------------
    @retrying
    def register_volunteer(
        self,
        *,
        name: str,
        sex: str,
        birth_date: date,
        id_type: str,
        id_number: str,
        phone: str,
        district: str,
        street: str | None = None,
        community: str | None = None,
        skills: Iterable[str] = (),
        service_categories: Iterable[str] = (),
        guardian_consent: bool = False,
    ) -> Registration:
        now = self._now()
        today = local_date(now)
        check_registration(
            birth_date=birth_date, guardian_consent=guardian_consent, today=today, rules=self._rules_on(today),
            name=name, sex=sex, id_type=id_type, id_number=id_number,
        )
        identity_key = self.identity_key(id_type, id_number)
        if IdentityClaim.create_id(identity_key) in self.repository:
            raise Conflict("a volunteer with this identity document is already registered", field="id_number")
        number = self._free_volunteer_number()
        volunteer_id = uuid4()
        actor = f"volunteer:{volunteer_id}"
        volunteer = Volunteer(
            volunteer_number=number,
            personal_data={
                "name": name,
                "sex": sex,
                "birth_date": birth_date.isoformat(),
                "id_type": id_type,
                "id_number": id_number.strip().upper(),
                "phone": phone,
            },
            home={"district": district, "street": street or "", "community": community or ""},
            skills=sorted(set(skills)),
            service_categories=sorted(set(service_categories)),
            guardian_consent=guardian_consent,
            actor=actor,
            at=now,
        )
        # The library gives new aggregates a random id; make it the one the token and actor name.
        volunteer = self._with_id(volunteer, volunteer_id)
        claim = IdentityClaim(identity_key=identity_key, volunteer_id=volunteer_id, actor=actor, at=now)
        number_claim = VolunteerNumberClaim(volunteer_number=number, volunteer_id=volunteer_id, actor=actor, at=now)
        account = TimeAccount(owner_id=volunteer_id, kind="volunteer", floor=0, actor=actor, at=now)
        secret, token = self._new_token(Role.VOLUNTEER, volunteer_id, "registration", actor, now)
        self.save(volunteer, claim, number_claim, account, token)
        return Registration(volunteer_id, number, secret)

    @staticmethod
    def _with_id(aggregate: A, new_id: UUID) -> A:
        for pending in aggregate.pending_events:
            object.__setattr__(pending, "originator_id", new_id)
        aggregate._id = new_id  # noqa: SLF001 - set before the aggregate is ever saved
        return aggregate

    def _free_volunteer_number(self) -> str:
        for _ in range(20):
            number = "BJ" + "".join(random.choices("0123456789", k=10))
            if VolunteerNumberClaim.create_id(number) not in self.repository:
                return number
        raise ConcurrencyConflict("could not allocate a volunteer number; try again")

    def get_volunteer(self, volunteer_id: UUID) -> Volunteer:
        return self._get(Volunteer, volunteer_id, "volunteer_id", "volunteer")

    # Organizations -------------------------------------------------------------
    def _require_volunteer(self, actor: Actor) -> UUID:
        if actor.role is not Role.VOLUNTEER or actor.id is None:
            raise Forbidden("this needs a volunteer's token")
        return actor.id

    def register_organization(self, actor: Actor, *, name: str, district: str, street: str | None = None, description: str = "") -> UUID:
        volunteer_id = self._require_volunteer(actor)
        self.get_volunteer(volunteer_id)
        org = Organization(
            name=name, district=district, street=street, description=description,
            registered_by=volunteer_id, actor=actor.ref, at=self._now(),
        )
        self.save(org)
        return org.id

    def get_organization(self, organization_id: UUID, field: str = "organization_id") -> Organization:
        return self._get(Organization, organization_id, field, "organization")

    @retrying
    def verify_organization(self, actor: Actor, organization_id: UUID) -> None:
        org = self.get_organization(organization_id)
        org.verify(actor, self._now())
        self.save(org)

    @retrying
    def add_organizer(self, actor: Actor, organization_id: UUID, volunteer_id: UUID) -> None:
        org = self.get_organization(organization_id)
        org.require_organizer(actor)
        self.get_volunteer(volunteer_id)
        org.add_organizer(volunteer_id, actor, self._now())
        self.save(org)

    @retrying
    def remove_organizer(self, actor: Actor, organization_id: UUID, volunteer_id: UUID) -> None:
        org = self.get_organization(organization_id)
        org.remove_organizer(volunteer_id, actor, self._now())
        self.save(org)

    def is_organizer(self, actor: Actor, organization_id: UUID) -> bool:
        try:
            return self.get_organization(organization_id).is_organizer(actor)
        except NotFound:
            return False

    # Projects and shifts -------------------------------------------------------
    def publish_project(
        self,
        actor: Actor,
        *,
        organization_id: UUID,
        name: str,
        description: str = "",
        category: str = "community_service",
        district: str | None = None,
        street: str | None = None,
        community: str | None = None,
        person_in_charge: str,
    ) -> UUID:
        org = self.get_organization(organization_id)
        org.require_organizer(actor)
        org.require_verified()
        if category not in CATEGORIES:
            raise InvalidInput(f"unknown category {category!r}", field="category")
        project = Project(
            organization_id=organization_id, name=name, description=description, category=category,
            district=district or org.district, street=street, community=community,
            person_in_charge=person_in_charge, actor=actor.ref, at=self._now(),
        )
        self.save(project)
        return project.id

    def get_project(self, project_id: UUID, field: str = "project_id") -> Project:
        return self._get(Project, project_id, field, "project")

    def add_shift(
        self,
        actor: Actor,
        project_id: UUID,
        *,
        title: str,
        starts_at: datetime,
        ends_at: datetime,
        place: str,
        capacity: int,
        required_skills: Iterable[str] = (),
    ) -> UUID:
        project = self.get_project(project_id)
        org = self.get_organization(project.organization_id)
        org.require_organizer(actor)
        org.require_verified()
        Shift.check_schedule(starts_at, ends_at, capacity)
        shift = Shift(
            project_id=project_id, organization_id=project.organization_id, title=title,
            starts_at=starts_at, ends_at=ends_at, place=place, required_skills=sorted(set(required_skills)),
            capacity=capacity, actor=actor.ref, at=self._now(),
        )
        self.save(shift)
        return shift.id

    def get_shift(self, shift_id: UUID, field: str = "shift_id") -> Shift:
        return self._get(Shift, shift_id, field, "shift")

    def _require_self_or_organizer(self, actor: Actor, volunteer_id: UUID, organization_id: UUID) -> None:
        if actor.role is Role.VOLUNTEER and actor.id == volunteer_id:
            return
        if not self.get_organization(organization_id).is_organizer(actor):
            raise Forbidden("a volunteer acts for themself; an organizer for their organization")

    @retrying
    def sign_up(self, actor: Actor, shift_id: UUID, volunteer_id: UUID) -> None:
        shift = self.get_shift(shift_id)
        self._require_self_or_organizer(actor, volunteer_id, shift.organization_id)
        volunteer = self.get_volunteer(volunteer_id)
        now = self._now()
        shift.sign_up(volunteer_id, volunteer.skills, actor.ref, now)
        volunteer.commit_to_shift(shift.id, shift.starts_at, shift.ends_at, actor.ref, now)
        self.save(shift, volunteer)

    @retrying
    def cancel_sign_up(self, actor: Actor, shift_id: UUID, volunteer_id: UUID) -> None:
        shift = self.get_shift(shift_id)
        self._require_self_or_organizer(actor, volunteer_id, shift.organization_id)
        volunteer = self.get_volunteer(volunteer_id)
        now = self._now()
        shift.cancel_sign_up(volunteer_id, actor.ref, now)
        volunteer.release_shift(shift.id, actor.ref, now)
        self.save(shift, volunteer)

    @retrying
    def check_in(self, actor: Actor, shift_id: UUID, volunteer_id: UUID, at: datetime | None = None) -> None:
        shift = self.get_shift(shift_id)
        self.get_organization(shift.organization_id).require_organizer(actor)
        now = self._now()
        service_date = local_date(at or now)
        if service_date <= local_date(now):
            self._recording_deadline_check(service_date, local_date(now), self._rules_on(service_date, "at"), "at")
        shift.check_in(volunteer_id, at or now, actor.ref, now)
        self.save(shift)

    @retrying
    def check_out(self, actor: Actor, shift_id: UUID, volunteer_id: UUID, at: datetime | None = None) -> UUID:
        """Close attendance and record the served minutes as a pending service record."""
        shift = self.get_shift(shift_id)
        self.get_organization(shift.organization_id).require_organizer(actor)
        return self._check_out(shift, volunteer_id, at, actor.ref, automatic=False)

    def _check_out(self, shift: Shift, volunteer_id: UUID, at: datetime | None, actor: str, *, automatic: bool) -> UUID:
        now = self._now()
        checked_in_at = shift.checked_in.get(str(volunteer_id))
        if checked_in_at is None:
            raise RuleViolation("this volunteer has not checked in", field="volunteer_id")
        service_date = local_date(checked_in_at)
        self._recording_deadline_check(service_date, local_date(now), self._rules_on(service_date, "at"), "at")
        minutes = shift.check_out(volunteer_id, at or now, actor, now, automatic=automatic)
        project = self.get_project(shift.project_id)
        record, credit = self._new_record(
            volunteer_id=volunteer_id, project=project, shift=shift, service_date=local_date(checked_in_at),
            service_minutes=minutes, content=shift.title, place=shift.place, source="check_out", status=PENDING,
            flags=["auto_closed"] if automatic else [], actor=actor, now=now,
        )
        self.save(shift, record, *credit)
        return record.id

    # Service records -----------------------------------------------------------
    def _recording_deadline_check(self, service_date: date, today: date, rules: RuleSet, field: str) -> None:
        if service_date > today:
            raise InvalidInput("service_date is in the future", field=field)
        deadline = add_working_days(self.calendar, service_date, rules.recording_deadline_working_days)
        if today > deadline:
            raise RuleViolation(
                f"hours must be recorded within {rules.recording_deadline_working_days} working days "
                f"of the service; the deadline was {deadline.isoformat()}",
                field=field,
            )

    def _new_record(
        self,
        *,
        volunteer_id: UUID,
        project: Project,
        shift: Shift | None,
        service_date: date,
        service_minutes: int,
        content: str,
        place: str | None,
        source: str,
        status: str,
        flags: list[str],
        actor: str,
        now: datetime,
        account: TimeAccount | None = None,
    ) -> tuple[ServiceRecord, list[Aggregate]]:
        """A new record and what its credit changes (the transfer and the account; none when it earns 0)."""
        rules = self._rules_on(service_date)
        account = account or self._account(volunteer_id)
        credits = rules.credits_for(service_minutes)
        record_id = uuid4()
        transfer_id = ServiceRecord.transfer_id_for(record_id, 0) if credits > 0 else None
        pending = status == PENDING
        deadline = add_working_days(self.calendar, local_date(now), rules.confirmation_deadline_working_days) if pending else None
        record = ServiceRecord(
            volunteer_id=volunteer_id, organization_id=project.organization_id, project_id=project.id,
            shift_id=shift.id if shift else None,
            activity=project.name + (f" / {shift.title}" if shift else ""), category=project.category,
            service_date=service_date, place=place or (shift.place if shift else project.district),
            content=content, service_minutes=service_minutes, person_in_charge=project.person_in_charge,
            source=source, status=status, confirmation_deadline=deadline, flags=flags,
            credit_transfer_id=transfer_id, credit_minutes=credits, rules_version=rules.version,
            actor=actor, at=now,
        )
        record = self._with_id(record, record_id)
        if transfer_id is None:
            return record, []
        transfer = open_transfer(
            transfer_id, None, account, debit_account_id=ISSUANCE_ACCOUNT_ID, credit_account_id=account.id,
            amount=credits, kind=SERVICE_CREDIT, pending=pending, reference=f"service-record:{record_id}",
            rules_version=rules.version, actor=actor, at=now,
        )
        return record, [transfer, account]

    def _check_shift_entry(self, shift: Shift, project: Project, service_date: date, minutes: int, prefix: str) -> None:
        if shift.project_id != project.id:
            raise InvalidInput("this shift belongs to another project", field=f"{prefix}shift_id")
        if local_date(shift.starts_at) != service_date:
            raise InvalidInput("service_date must be the date of the shift", field=f"{prefix}service_date")
        if minutes > shift.scheduled_minutes:
            raise RuleViolation(
                f"{minutes} minutes exceed the shift's scheduled length of {shift.scheduled_minutes}",
                field=f"{prefix}service_minutes",
            )

    @retrying
    def declare_service(
        self,
        actor: Actor,
        *,
        project_id: UUID,
        service_date: date,
        service_minutes: int,
        content: str,
        shift_id: UUID | None = None,
        place: str | None = None,
    ) -> UUID:
        """A volunteer's self-declaration: pending until an organizer confirms it."""
        volunteer_id = self._require_volunteer(actor)
        now = self._now()
        today = local_date(now)
        project = self.get_project(project_id)
        self.get_organization(project.organization_id).require_verified()
        rules = self._rules_on(service_date)
        self._recording_deadline_check(service_date, today, rules, "service_date")
        check_minutes(service_minutes, limit=rules.max_service_minutes_per_day)
        shift = self.get_shift(shift_id) if shift_id else None
        if shift:
            self._check_shift_entry(shift, project, service_date, service_minutes, "")
        record, credit = self._new_record(
            volunteer_id=volunteer_id, project=project, shift=shift, service_date=service_date,
            service_minutes=service_minutes, content=content, place=place, source="self_declared",
            status=PENDING, flags=[], actor=actor.ref, now=now,
        )
        self.save(record, *credit)
        return record.id

    @retrying
    def record_service_batch(self, actor: Actor, project_id: UUID, entries: list[BatchEntry]) -> list[UUID]:
        """An organizer's bulk entry: confirmed records, all written or none."""
        project = self.get_project(project_id)
        org = self.get_organization(project.organization_id)
        org.require_organizer(actor)
        org.require_verified()
        if not entries:
            raise InvalidInput("a batch needs at least one entry", field="entries")
        if len(entries) > MAX_BATCH_ENTRIES:
            raise InvalidInput(f"a batch holds at most {MAX_BATCH_ENTRIES} entries", field="entries")
        now = self._now()
        today = local_date(now)
        accounts: dict[UUID, TimeAccount] = {}
        shifts: dict[UUID, Shift] = {}
        to_save: list[Aggregate] = []
        record_ids = []
        for index, entry in enumerate(entries):
            prefix = f"entries.{index}."
            if entry.volunteer_id == actor.id:
                raise Forbidden("organizers may not record their own service", field=f"{prefix}volunteer_id")
            rules = self._rules_on(entry.service_date, f"{prefix}service_date")
            self._recording_deadline_check(entry.service_date, today, rules, f"{prefix}service_date")
            check_minutes(entry.service_minutes, limit=rules.max_service_minutes_per_day, field=f"{prefix}service_minutes")
            shift = None
            if entry.shift_id:
                if entry.shift_id not in shifts:
                    shifts[entry.shift_id] = self.get_shift(entry.shift_id, f"{prefix}shift_id")
                shift = shifts[entry.shift_id]
                self._check_shift_entry(shift, project, entry.service_date, entry.service_minutes, prefix)
            if entry.volunteer_id not in accounts:
                self._get(Volunteer, entry.volunteer_id, f"{prefix}volunteer_id", "volunteer")
                accounts[entry.volunteer_id] = self._account(entry.volunteer_id)
            record, credit = self._new_record(
                volunteer_id=entry.volunteer_id, project=project, shift=shift, service_date=entry.service_date,
                service_minutes=entry.service_minutes, content=entry.content, place=None, source="bulk_entry",
                status=CONFIRMED, flags=[], actor=actor.ref, now=now, account=accounts[entry.volunteer_id],
            )
            to_save += [record, *credit[:1]]  # accounts are saved once, below
            record_ids.append(record.id)
        self.save(*to_save, *accounts.values())
        return record_ids

    def get_record(self, record_id: UUID) -> ServiceRecord:
        return self._get(ServiceRecord, record_id, "record_id", "service record")

    def _settle_pending_credit(
        self, record: ServiceRecord, *, post: bool, reason: str, actor: str, at: datetime, account: TimeAccount | None = None
    ) -> list[Aggregate]:
        """Post or void the record's pending credit transfer; returns [transfer, account], or [] if it has none."""
        if record.pending_transfer_id is None:
            return []
        transfer = self._get(Transfer, record.pending_transfer_id, "record_id", "transfer")
        account = account or self._account(record.volunteer_id)
        posted = transfer.amount if post else 0
        resolve_transfer(transfer, None, account, posted_amount=posted, reason=reason, actor=actor, at=at)
        return [transfer, account]

    @retrying
    def confirm_record(self, actor: Actor, record_id: UUID) -> None:
        record = self.get_record(record_id)
        self.get_organization(record.organization_id).require_organizer(actor)
        now = self._now()
        record._require_status(PENDING)
        credit = self._settle_pending_credit(record, post=True, reason="confirmed", actor=actor.ref, at=now)
        record.confirm(actor.volunteer_id, actor.ref, now)
        self.save(record, *credit)

    @retrying
    def reject_record(self, actor: Actor, record_id: UUID, reason: str) -> None:
        record = self.get_record(record_id)
        self.get_organization(record.organization_id).require_organizer(actor)
        now = self._now()
        record._require_status(PENDING)
        credit = self._settle_pending_credit(record, post=False, reason="rejected", actor=actor.ref, at=now)
        record.reject(reason, actor.volunteer_id, actor.ref, now)  # nothing is saved if this refuses
        self.save(record, *credit)

    @retrying
    def correct_record(self, actor: Actor, record_id: UUID, service_minutes: int, reason: str) -> str:
        """The volunteer asks for a correction; an organizer applies one. Returns what happened."""
        record = self.get_record(record_id)
        now = self._now()
        rules = self.rules.by_version(record.rules_version)
        check_minutes(service_minutes, limit=rules.max_service_minutes_per_day)
        if record.shift_id:
            shift = self.get_shift(record.shift_id)
            if service_minutes > shift.scheduled_minutes:
                raise RuleViolation(
                    f"{service_minutes} minutes exceed the shift's scheduled length of {shift.scheduled_minutes}",
                    field="service_minutes",
                )
        if actor.role is Role.VOLUNTEER and actor.id == record.volunteer_id:
            record.request_correction(service_minutes, reason, actor.volunteer_id, actor.ref, now)
            self.save(record)
            return "requested"
        self.get_organization(record.organization_id).require_organizer(actor)
        record._require_status(PENDING, CONFIRMED)
        credits = rules.credits_for(service_minutes)
        account = self._account(record.volunteer_id)
        to_save: list[Aggregate] = [record, account]
        new_transfer_id: UUID | None = record.next_transfer_id()
        common = dict(reference=f"service-record:{record.id}", rules_version=rules.version, actor=actor.ref, at=now)
        if record.status == PENDING:
            # Void the old pending credit and open one for the new amount (none if it earns nothing).
            voided = self._settle_pending_credit(record, post=False, reason="corrected", actor=actor.ref, at=now, account=account)
            to_save += voided[:1]
            if credits > 0:
                assert new_transfer_id is not None
                to_save.append(open_transfer(
                    new_transfer_id, None, account, debit_account_id=ISSUANCE_ACCOUNT_ID, credit_account_id=account.id,
                    amount=credits, kind=SERVICE_CREDIT, pending=True, **common,  # type: ignore[arg-type]
                ))
            else:
                new_transfer_id = None
        else:
            delta = credits - record.credited_minutes
            if delta == 0:
                new_transfer_id = None
            else:
                assert new_transfer_id is not None
                debit, credit = (ISSUANCE_ACCOUNT_ID, account.id) if delta > 0 else (account.id, ISSUANCE_ACCOUNT_ID)
                new = open_transfer(
                    new_transfer_id, account if delta < 0 else None, account if delta > 0 else None,
                    debit_account_id=debit, credit_account_id=credit, amount=abs(delta), kind=CORRECTION,
                    pending=False, **common,  # type: ignore[arg-type]
                )
                to_save.append(new)
        record.correct(service_minutes, reason, credits, new_transfer_id, actor.volunteer_id, actor.ref, now)
        self.save(*to_save)
        return "applied"

    @retrying
    def revoke_record(self, actor: Actor, record_id: UUID, reason: str) -> None:
        """Withdraw a confirmed record (e.g. found to be false); its credits go back by a new transfer."""
        record = self.get_record(record_id)
        self.get_organization(record.organization_id).require_organizer(actor)
        now = self._now()
        record._require_status(CONFIRMED)
        to_save: list[Aggregate] = [record]
        transfer_id = None
        if record.credited_minutes > 0:
            account = self._account(record.volunteer_id)
            transfer_id = record.next_transfer_id()
            transfer = open_transfer(
                transfer_id, account, None, debit_account_id=account.id, credit_account_id=ISSUANCE_ACCOUNT_ID,
                amount=record.credited_minutes, kind=REVOCATION, pending=False,
                reference=f"service-record:{record.id}", rules_version=record.rules_version, actor=actor.ref, at=now,
            )
            to_save += [transfer, account]
        record.revoke(reason, transfer_id, actor.volunteer_id, actor.ref, now)
        self.save(*to_save)

    # Clock-driven commands (idempotent) ----------------------------------------
    @retrying
    def expire_record(self, record_id: UUID, actor: Actor) -> bool:
        record = self.get_record(record_id)
        now = self._now()
        if record.status != PENDING or record.confirmation_deadline is None or local_date(now) <= record.confirmation_deadline:
            return False
        credit = self._settle_pending_credit(record, post=False, reason="expired", actor=actor.ref, at=now)
        record.expire(local_date(now), actor.ref, now)
        self.save(record, *credit)
        return True

    @retrying
    def auto_check_out(self, shift_id: UUID, volunteer_id: UUID, actor: Actor) -> UUID | None:
        """Close a check-in left open past the configured hours, at the shift's end, flagged."""
        shift = self.get_shift(shift_id)
        checked_in_at = shift.checked_in.get(str(volunteer_id))
        now = self._now()
        if checked_in_at is None:
            return None
        rules = self._rules_on(local_date(checked_in_at))
        if (now - checked_in_at).total_seconds() < rules.auto_check_out_after_hours * 3600:
            return None
        out = min(max(shift.ends_at, checked_in_at + timedelta(minutes=1)), now)
        return self._check_out(shift, volunteer_id, out, actor.ref, automatic=True)

    # History -------------------------------------------------------------------
    def can_read_history(self, actor: Actor, aggregate: Aggregate) -> bool:
        if actor.role in (Role.ADMIN, Role.AUDITOR):
            return True
        if actor.role is not Role.VOLUNTEER or actor.id is None:
            return False
        if isinstance(aggregate, Transfer):
            owners = [self._account_owner(a) for a in (aggregate.debit_account_id, aggregate.credit_account_id)]
            return actor.id in owners
        owner = {Volunteer: lambda a: a.id, TimeAccount: lambda a: a.owner_id, ServiceRecord: lambda a: a.volunteer_id}
        for cls, get_owner in owner.items():
            if isinstance(aggregate, cls) and get_owner(aggregate) == actor.id:
                return True
        if isinstance(aggregate, Organization):
            return aggregate.is_organizer(actor)
        org_id = getattr(aggregate, "organization_id", None)
        return isinstance(org_id, UUID) and self.is_organizer(actor, org_id)

    def _account_owner(self, account_id: UUID) -> UUID | None:
        if account_id in DERIVED_ACCOUNT_IDS:
            return None
        try:
            account: Any = self.repository.get(account_id)
        except AggregateNotFoundError:
            return None
        return account.owner_id if isinstance(account, TimeAccount) else None

    def history(self, actor: Actor, aggregate_id: UUID) -> list[Any]:
        """Every event of one aggregate, oldest first, for those allowed to see it."""
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"aggregate {aggregate_id} not found", field="aggregate_id") from None
        if isinstance(aggregate, (IdentityClaim, VolunteerNumberClaim, AccessToken)) or not self.can_read_history(actor, aggregate):
            # Claims and tokens are not part of anyone's visible history; say "not found" to outsiders.
            raise NotFound(f"aggregate {aggregate_id} not found", field="aggregate_id")
        return list(self.events.get(aggregate_id))
