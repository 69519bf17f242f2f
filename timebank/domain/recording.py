"""Rules of recording service: the recording deadline, a new record with its credit, corrections,
and the automatic check-out. Pure functions over loaded aggregates; the application saves.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from timebank.clock import local_date
from timebank.domain.errors import Forbidden, InvalidInput, RuleViolation
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.ledger import CORRECTION, REVOCATION, SERVICE_CREDIT, TimeAccount, Transfer, open_transfer, resolve_transfer
from timebank.domain.project import Project
from timebank.domain.rules import RuleSet, WorkingCalendar, add_working_days
from timebank.domain.service_record import CONFIRMED, PENDING, ServiceRecord
from timebank.domain.shift import Shift


def check_recording_deadline(calendar: WorkingCalendar, service_date: date, today: date, rules: RuleSet, field: str) -> None:
    """Hours are recorded within N working days of the service (调休 included), never ahead of it."""
    if service_date > today:
        raise InvalidInput("service_date is in the future", field=field)
    deadline = add_working_days(calendar, service_date, rules.recording_deadline_working_days)
    if today > deadline:
        raise RuleViolation(
            f"hours must be recorded within {rules.recording_deadline_working_days} working days "
            f"of the service; the deadline was {deadline.isoformat()}",
            field=field,
        )


def check_shift_entry(shift: Shift, project: Project, service_date: date, minutes: int, prefix: str = "") -> None:
    """A back-filled entry for a shift: that project's shift, on its date, no longer than scheduled."""
    if shift.project_id != project.id:
        raise InvalidInput("this shift belongs to another project", field=f"{prefix}shift_id")
    if local_date(shift.starts_at) != service_date:
        raise InvalidInput("service_date must be the date of the shift", field=f"{prefix}service_date")
    shift.require_within_length(minutes, f"{prefix}service_minutes")


def check_not_own_entry(organizer_id: UUID | None, volunteer_id: UUID, field: str) -> None:
    """Whoever records certifies: an organizer never records their own service."""
    if organizer_id == volunteer_id:
        raise Forbidden("organizers may not record their own service", field=field)


def new_record(
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
    rules: RuleSet,
    calendar: WorkingCalendar,
    account: TimeAccount,
    actor: str,
    now: datetime,
) -> tuple[ServiceRecord, list[Aggregate]]:
    """A new record and its credit: the transfer from issuance and the account (none when it earns 0).
    A pending record's credit is pending too, until an organizer confirms it."""
    credits = rules.credits_for(service_minutes, project.category)
    record_id = uuid4()
    transfer_id = ServiceRecord.transfer_id_for(record_id, 0) if credits > 0 else None
    pending = status == PENDING
    deadline = add_working_days(calendar, local_date(now), rules.confirmation_deadline_working_days) if pending else None
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


def settle_pending_credit(record: ServiceRecord, transfer: Transfer, account: TimeAccount, *, post: bool, reason: str, actor: str, at: datetime) -> None:
    """Post (confirmed) or void (rejected, expired, corrected) the record's pending credit."""
    resolve_transfer(transfer, None, account, posted_amount=transfer.amount if post else 0, reason=reason, actor=actor, at=at)


def correct(
    record: ServiceRecord,
    service_minutes: int,
    reason: str,
    rules: RuleSet,
    account: TimeAccount,
    pending_transfer: Transfer | None,
    *,
    actor_volunteer_id: UUID | None,
    actor: str,
    now: datetime,
) -> list[Aggregate]:
    """Apply a correction and move its credit difference; returns the new transfers to save.

    A pending record's pending credit is voided and one opened for the new amount (none if it earns
    nothing). A confirmed record keeps what it was paid and the difference moves by a correction
    transfer, either way. The record's minutes stay what was actually given: no multipliers."""
    record.require_status(PENDING, CONFIRMED)
    credits = rules.credits_for(service_minutes, record.category)
    new_transfer_id: UUID | None = record.next_transfer_id()
    common = dict(reference=f"service-record:{record.id}", rules_version=rules.version, actor=actor, at=now)
    made: list[Aggregate] = []
    if record.status == PENDING:
        if pending_transfer is not None:
            settle_pending_credit(record, pending_transfer, account, post=False, reason="corrected", actor=actor, at=now)
            made.append(pending_transfer)
        if credits > 0:
            assert new_transfer_id is not None
            made.append(open_transfer(
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
            made.append(open_transfer(
                new_transfer_id, account if delta < 0 else None, account if delta > 0 else None,
                debit_account_id=debit, credit_account_id=credit, amount=abs(delta), kind=CORRECTION,
                pending=False, **common,  # type: ignore[arg-type]
            ))
    record.correct(service_minutes, reason, credits, new_transfer_id, actor_volunteer_id, actor, now)
    return made


def revoke(record: ServiceRecord, reason: str, account: TimeAccount | None, *, actor_volunteer_id: UUID | None, actor: str, now: datetime) -> list[Aggregate]:
    """Withdraw a confirmed record; what it was paid goes back to issuance by a new transfer."""
    record.require_status(CONFIRMED)
    made: list[Aggregate] = []
    transfer_id = None
    if record.credited_minutes > 0:
        assert account is not None
        transfer_id = record.next_transfer_id()
        made.append(open_transfer(
            transfer_id, account, None, debit_account_id=account.id, credit_account_id=ISSUANCE_ACCOUNT_ID,
            amount=record.credited_minutes, kind=REVOCATION, pending=False,
            reference=f"service-record:{record.id}", rules_version=record.rules_version, actor=actor, at=now,
        ))
    record.revoke(reason, transfer_id, actor_volunteer_id, actor, now)
    return made


def auto_check_out_at(shift: Shift, volunteer_id: UUID, now: datetime, rules: RuleSet) -> datetime | None:
    """When a check-in left open is closed: after the configured hours (24 h by default), at the
    shift's end (at least a minute after the check-in, never in the future). None: not due."""
    checked_in_at = shift.checked_in.get(str(volunteer_id))
    if checked_in_at is None:
        return None
    if now - checked_in_at < timedelta(hours=rules.auto_check_out_after_hours):
        return None
    return min(max(shift.ends_at, checked_in_at + timedelta(minutes=1)), now)
