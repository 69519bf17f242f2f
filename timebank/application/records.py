"""Use cases of service records and their credits: declare, bulk entry, confirm, reject, correct, revoke, expire."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from timebank.application.base import MAX_BATCH_ENTRIES, BatchEntry, TimeBankBase, retrying
from timebank.clock import local_date
from timebank.domain.actors import Actor
from timebank.domain.errors import DomainError, Forbidden, InvalidInput
from timebank.domain.ledger import TimeAccount, Transfer
from timebank.domain.permissions import POLICY, permits
from timebank.domain.recording import (
    check_not_own_entry,
    check_recording_deadline,
    check_shift_entry,
    correct,
    new_record,
    revoke,
    settle_pending_credit,
)
from timebank.domain.service_record import CONFIRMED, PENDING, DailyDeclarations, ServiceRecord, check_minutes
from timebank.domain.shift import Shift
from timebank.domain.volunteer import Volunteer

MAX_DECISIONS = 200  # records confirmed or rejected in one bulk request


def check_record_ids(record_ids: list[UUID], field: str = "record_ids") -> None:
    """A bulk decision names 1 to MAX_DECISIONS records, each once."""
    if not record_ids:
        raise InvalidInput("name at least one record", field=field)
    if len(record_ids) > MAX_DECISIONS:
        raise InvalidInput(f"at most {MAX_DECISIONS} records at a time", field=field)
    if len(set(record_ids)) != len(record_ids):
        twice = sorted({str(i) for i in record_ids if record_ids.count(i) > 1})
        raise InvalidInput(f"records named more than once: {', '.join(twice)}", field=field)


class Records(TimeBankBase):
    """Service records and the credit transfers that follow them."""

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
        volunteer_id = self._volunteer_id(actor, "record.declare")
        now = self._now()
        today = local_date(now)
        project = self.get_project(project_id)
        self.get_organization(project.organization_id).require_verified()
        rules = self._rules_on(service_date)
        check_recording_deadline(self.calendar, service_date, today, rules, "service_date")
        check_minutes(service_minutes, limit=rules.max_service_minutes_per_day)
        shift = self.get_shift(shift_id) if shift_id else None
        if shift:
            check_shift_entry(shift, project, service_date, service_minutes)
        record, credit = new_record(
            volunteer_id=volunteer_id, project=project, shift=shift, service_date=service_date,
            service_minutes=service_minutes, content=content, place=place, source="self_declared",
            status=PENDING, flags=[], rules=rules, calendar=self.calendar, account=self._account(volunteer_id),
            actor=actor.ref, now=now,
        )
        day = self._get_or_new(
            DailyDeclarations, DailyDeclarations.create_id(volunteer_id, service_date),
            lambda: DailyDeclarations(volunteer_id=volunteer_id, service_date=service_date, actor=actor.ref, at=now),
        )
        day.declare(record.id, service_minutes, rules.max_self_declared_minutes_per_day, actor.ref, now)
        self.save(record, *credit, day)
        return record.id

    def _release_declared(self, record: ServiceRecord, actor: str, at: datetime) -> list[Aggregate]:
        """A self-declared record that no longer counts gives its minutes back to its day."""
        if record.source != "self_declared":
            return []
        try:
            day: Any = self.repository.get(DailyDeclarations.create_id(record.volunteer_id, record.service_date))
        except AggregateNotFoundError:
            return []  # declared before daily totals were kept
        return [day] if day.release(record.id, actor, at) else []

    @retrying
    def record_service_batch(self, actor: Actor, project_id: UUID, entries: list[BatchEntry]) -> list[UUID]:
        """An organizer's bulk entry: confirmed records, all written or none."""
        project = self.require_batch_entry(actor, project_id)
        if not entries:
            raise InvalidInput("a batch needs at least one entry", field="entries")
        if len(entries) > MAX_BATCH_ENTRIES:
            raise InvalidInput(f"a batch holds at most {MAX_BATCH_ENTRIES} entries", field="entries")
        now = self._now()
        accounts: dict[UUID, TimeAccount] = {}
        shifts: dict[UUID, Shift] = {}
        to_save: list[Aggregate] = []
        record_ids = []
        for index, entry in enumerate(entries):
            record, credit = self._batch_entry(actor, project, entry, f"entries.{index}.", now, accounts, shifts)
            to_save += [record, *credit[:1]]  # accounts are saved once, below
            record_ids.append(record.id)
        to_save += self._capped(accounts.values(), record_ids[0], now)
        self.save(*to_save, *accounts.values())
        return record_ids

    def check_service_batch(self, actor: Actor, project_id: UUID, entries: list[BatchEntry]) -> list[tuple[int, DomainError]]:
        """What `record_service_batch` would refuse, entry by entry (all of them, not just the first);
        writes nothing. Refusals of the batch as a whole (the project, the actor) are raised."""
        project = self.require_batch_entry(actor, project_id)
        now = self._now()
        accounts: dict[UUID, TimeAccount] = {}
        shifts: dict[UUID, Shift] = {}
        refusals = []
        for index, entry in enumerate(entries):
            try:
                self._batch_entry(actor, project, entry, "", now, accounts, shifts)
            except DomainError as refusal:
                refusals.append((index, refusal))
        return refusals

    def require_batch_entry(self, actor: Actor, project_id: UUID) -> Any:
        """The project, if the actor may enter records for it in bulk (an organizer of its verified organization)."""
        project = self.get_project(project_id)
        org = self.get_organization(project.organization_id)
        org.require_organizer(actor)
        org.require_verified()
        return project

    def _batch_entry(
        self, actor: Actor, project: Any, entry: BatchEntry, prefix: str, now: datetime,
        accounts: dict[UUID, TimeAccount], shifts: dict[UUID, Shift],
    ) -> tuple[ServiceRecord, list[Aggregate]]:
        """One confirmed record of a bulk entry (accounts and shifts are loaded once per batch)."""
        check_not_own_entry(actor.volunteer_id, entry.volunteer_id, f"{prefix}volunteer_id")
        rules = self._rules_on(entry.service_date, f"{prefix}service_date")
        check_recording_deadline(self.calendar, entry.service_date, local_date(now), rules, f"{prefix}service_date")
        check_minutes(entry.service_minutes, limit=rules.max_service_minutes_per_day, field=f"{prefix}service_minutes")
        shift = None
        if entry.shift_id:
            if entry.shift_id not in shifts:
                shifts[entry.shift_id] = self.get_shift(entry.shift_id, f"{prefix}shift_id")
            shift = shifts[entry.shift_id]
            check_shift_entry(shift, project, entry.service_date, entry.service_minutes, prefix)
        if entry.volunteer_id not in accounts:
            self._get(Volunteer, entry.volunteer_id, f"{prefix}volunteer_id", "volunteer")
            accounts[entry.volunteer_id] = self._account(entry.volunteer_id)
        record, credit = new_record(
            volunteer_id=entry.volunteer_id, project=project, shift=shift, service_date=entry.service_date,
            service_minutes=entry.service_minutes, content=entry.content, place=None, source="bulk_entry",
            status=CONFIRMED, flags=[], rules=rules, calendar=self.calendar, account=accounts[entry.volunteer_id],
            actor=actor.ref, now=now,
        )
        return record, list(credit)

    def _capped(self, accounts: Iterable[TimeAccount], cause: UUID, now: datetime) -> list[Aggregate]:
        """Overflow transfers (and any pool they open) for accounts now above the storage cap."""
        loaded = {a.id: a for a in accounts}
        before = set(loaded)
        moved = self._overflows(list(loaded.values()), self._rules_on(local_date(now), "service_minutes"), cause, loaded, now)
        return moved + [a for i, a in loaded.items() if i not in before]

    def _settle_pending_credit(
        self, record: ServiceRecord, *, post: bool, reason: str, actor: str, at: datetime, account: TimeAccount | None = None
    ) -> list[Aggregate]:
        """Post or void the record's pending credit transfer; returns [transfer, account], or [] if it has none."""
        if record.pending_transfer_id is None:
            return []
        transfer = self._get(Transfer, record.pending_transfer_id, "record_id", "transfer")
        account = account or self._account(record.volunteer_id)
        settle_pending_credit(record, transfer, account, post=post, reason=reason, actor=actor, at=at)
        return [transfer, account]

    @retrying
    def confirm_record(self, actor: Actor, record_id: UUID) -> None:
        record = self.get_record(record_id)
        self._require_organizer(actor, record.organization_id)
        now = self._now()
        record.require_status(PENDING)
        credit = self._settle_pending_credit(record, post=True, reason="confirmed", actor=actor.ref, at=now)
        record.confirm(actor.volunteer_id, actor.ref, now)
        capped = self._capped([a for a in credit if isinstance(a, TimeAccount)], record.id, now)
        self.save(record, *credit, *capped)

    @retrying
    def reject_record(self, actor: Actor, record_id: UUID, reason: str) -> None:
        record = self.get_record(record_id)
        self._require_organizer(actor, record.organization_id)
        now = self._now()
        record.require_status(PENDING)
        credit = self._settle_pending_credit(record, post=False, reason="rejected", actor=actor.ref, at=now)
        record.reject(reason, actor.volunteer_id, actor.ref, now)  # nothing is saved if this refuses
        self.save(record, *credit, *self._release_declared(record, actor.ref, now))

    def decide_records(self, actor: Actor, record_ids: list[UUID], reject_reason: str | None = None) -> list[DomainError | None]:
        """Confirm the records (or reject them, given a reason), each in a command of its own: one
        refused (not pending, not the actor's organization, ...) does not hold back the others.
        Returns, in order, None for each record decided and the refusal for each one not.

        Who may decide is checked first, for all: a record of an organization the actor does not
        organize refuses the whole request (Forbidden), as its own request would; unknown ones are
        reported as not found."""
        if actor.volunteer_id is None:  # only volunteers organize; auditors and admins never decide
            raise Forbidden(POLICY["record.decide"].refusal)
        check_record_ids(record_ids)
        organizations = set()
        for record_id in record_ids:
            try:
                organizations.add(self.get_record(record_id).organization_id)
            except DomainError:
                continue  # reported as not found below
        for organization_id in organizations:
            self._require_organizer(actor, organization_id)
        outcomes: list[DomainError | None] = []
        for record_id in record_ids:
            try:
                if reject_reason is None:
                    self.confirm_record(actor, record_id)
                else:
                    self.reject_record(actor, record_id, reject_reason)
            except DomainError as refusal:
                outcomes.append(refusal)
            else:
                outcomes.append(None)
        return outcomes

    @retrying
    def correct_record(self, actor: Actor, record_id: UUID, service_minutes: int, reason: str) -> str:
        """The volunteer asks for a correction; an organizer applies one. Returns what happened."""
        record = self.get_record(record_id)
        now = self._now()
        rules = self.rules.by_version(record.rules_version)
        check_minutes(service_minutes, limit=rules.max_service_minutes_per_day)
        if record.shift_id:
            self.get_shift(record.shift_id).require_within_length(service_minutes)
        if permits(actor, "record.request_correction", about=record.volunteer_id):
            record.request_correction(service_minutes, reason, actor.volunteer_id, actor.ref, now)
            self.save(record)
            return "requested"
        self._require_organizer(actor, record.organization_id)
        record.require_status(PENDING, CONFIRMED)
        account = self._account(record.volunteer_id)
        pending = self._get(Transfer, record.pending_transfer_id, "record_id", "transfer") if record.pending_transfer_id else None
        made = correct(
            record, service_minutes, reason, rules, account, pending, actor_volunteer_id=actor.volunteer_id, actor=actor.ref, now=now
        )
        capped = self._capped([account], made[-1].id, now) if made and record.status == CONFIRMED else []
        self.save(record, account, *made, *capped)
        return "applied"

    @retrying
    def revoke_record(self, actor: Actor, record_id: UUID, reason: str) -> None:
        """Withdraw a confirmed record (e.g. found to be false); its credits go back by a new transfer."""
        record = self.get_record(record_id)
        self._require_organizer(actor, record.organization_id)
        now = self._now()
        record.require_status(CONFIRMED)
        account = self._account(record.volunteer_id) if record.credited_minutes > 0 else None
        made = revoke(record, reason, account, actor_volunteer_id=actor.volunteer_id, actor=actor.ref, now=now)
        self.save(record, *made, *([account] if account else []), *self._release_declared(record, actor.ref, now))

    # Clock-driven commands (idempotent) ----------------------------------------
    @retrying
    def expire_record(self, record_id: UUID, actor: Actor) -> bool:
        record = self.get_record(record_id)
        now = self._now()
        if not record.is_past_deadline(local_date(now)):
            return False
        credit = self._settle_pending_credit(record, post=False, reason="expired", actor=actor.ref, at=now)
        record.expire(local_date(now), actor.ref, now)
        self.save(record, *credit, *self._release_declared(record, actor.ref, now))
        return True

