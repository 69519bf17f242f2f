"""Use cases of service records and their credits: declare, bulk entry, confirm, reject, correct, revoke, expire."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from timebank.application.base import MAX_BATCH_ENTRIES, BatchEntry, retrying
from timebank.application.exchanges import Exchanges
from timebank.clock import local_date
from timebank.domain.actors import Actor, Role
from timebank.domain.errors import Forbidden, InvalidInput, RuleViolation
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.ledger import (
    CORRECTION,
    REVOCATION,
    SERVICE_CREDIT,
    TimeAccount,
    Transfer,
    open_transfer,
    resolve_transfer,
)
from timebank.domain.project import Project
from timebank.domain.rules import RuleSet, add_working_days
from timebank.domain.service_record import CONFIRMED, PENDING, DailyDeclarations, ServiceRecord, check_minutes
from timebank.domain.shift import Shift
from timebank.domain.volunteer import (
    Volunteer,
)


class Records(Exchanges):
    """Service records and the credit transfers that follow them."""

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
        credits = rules.credits_for(service_minutes, project.category)
        record_id = uuid4()
        transfer_id = ServiceRecord.transfer_id_for(record_id, 0) if credits > 0 else None
        pending = status == PENDING
        deadline = add_working_days(self.calendar, local_date(now), rules.confirmation_deadline_working_days) if pending else None
        record = ServiceRecord(
            record_id=record_id, volunteer_id=volunteer_id, organization_id=project.organization_id, project_id=project.id,
            shift_id=shift.id if shift else None,
            activity=project.name + (f" / {shift.title}" if shift else ""), category=project.category,
            service_date=service_date, place=place or (shift.place if shift else project.district),
            content=content, service_minutes=service_minutes, person_in_charge=project.person_in_charge,
            source=source, status=status, confirmation_deadline=deadline, flags=flags,
            credit_transfer_id=transfer_id, credit_minutes=credits, rules_version=rules.version,
            actor=actor, at=now,
        )
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
        shift.require_within_length(minutes, f"{prefix}service_minutes")

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
        to_save += self._capped(accounts.values(), record_ids[0], now)
        self.save(*to_save, *accounts.values())
        return record_ids

    def _capped(self, accounts: Iterable[TimeAccount], cause: UUID, now: datetime) -> list[Aggregate]:
        """Overflow transfers (and any pool they open) for accounts now above the storage cap."""
        loaded = {a.id: a for a in accounts}
        before = set(loaded)
        moved = self._overflows(list(loaded.values()), self._rules_on(local_date(now), "service_minutes"), cause, loaded, now)
        return moved + [a for i, a in loaded.items() if i not in before]

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
        self._require_organizer(actor, record.organization_id)
        now = self._now()
        record._require_status(PENDING)
        credit = self._settle_pending_credit(record, post=True, reason="confirmed", actor=actor.ref, at=now)
        record.confirm(actor.volunteer_id, actor.ref, now)
        capped = self._capped([a for a in credit if isinstance(a, TimeAccount)], record.id, now)
        self.save(record, *credit, *capped)

    @retrying
    def reject_record(self, actor: Actor, record_id: UUID, reason: str) -> None:
        record = self.get_record(record_id)
        self._require_organizer(actor, record.organization_id)
        now = self._now()
        record._require_status(PENDING)
        credit = self._settle_pending_credit(record, post=False, reason="rejected", actor=actor.ref, at=now)
        record.reject(reason, actor.volunteer_id, actor.ref, now)  # nothing is saved if this refuses
        self.save(record, *credit, *self._release_declared(record, actor.ref, now))

    @retrying
    def correct_record(self, actor: Actor, record_id: UUID, service_minutes: int, reason: str) -> str:
        """The volunteer asks for a correction; an organizer applies one. Returns what happened."""
        record = self.get_record(record_id)
        now = self._now()
        rules = self.rules.by_version(record.rules_version)
        check_minutes(service_minutes, limit=rules.max_service_minutes_per_day)
        if record.shift_id:
            self.get_shift(record.shift_id).require_within_length(service_minutes)
        if actor.role is Role.VOLUNTEER and actor.id == record.volunteer_id:
            record.request_correction(service_minutes, reason, actor.volunteer_id, actor.ref, now)
            self.save(record)
            return "requested"
        self._require_organizer(actor, record.organization_id)
        record._require_status(PENDING, CONFIRMED)
        credits = rules.credits_for(service_minutes, record.category)
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
                to_save += self._capped([account], new_transfer_id, now)
        record.correct(service_minutes, reason, credits, new_transfer_id, actor.volunteer_id, actor.ref, now)
        self.save(*to_save)
        return "applied"

    @retrying
    def revoke_record(self, actor: Actor, record_id: UUID, reason: str) -> None:
        """Withdraw a confirmed record (e.g. found to be false); its credits go back by a new transfer."""
        record = self.get_record(record_id)
        self._require_organizer(actor, record.organization_id)
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
        self.save(*to_save, *self._release_declared(record, actor.ref, now))

    # Clock-driven commands (idempotent) ----------------------------------------
    @retrying
    def expire_record(self, record_id: UUID, actor: Actor) -> bool:
        record = self.get_record(record_id)
        now = self._now()
        if record.status != PENDING or record.confirmation_deadline is None or local_date(now) <= record.confirmation_deadline:
            return False
        credit = self._settle_pending_credit(record, post=False, reason="expired", actor=actor.ref, at=now)
        record.expire(local_date(now), actor.ref, now)
        self.save(record, *credit, *self._release_declared(record, actor.ref, now))
        return True

