"""Rules of recording service, as pure functions: the deadline in working days, a new record and its
credit, corrections that move only the difference, revocation, and the automatic check-out."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from timebank.domain.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from timebank.domain.ledger import TimeAccount, Transfer
from timebank.domain.project import Project
from timebank.domain.recording import (
    auto_check_out_at,
    check_not_own_entry,
    check_recording_deadline,
    correct,
    new_record,
    revoke,
)
from timebank.domain.rules import RuleBook, WeekdayCalendar
from timebank.domain.service_record import CONFIRMED, PENDING, ServiceRecord
from timebank.domain.shift import Shift

T0 = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)  # a Wednesday, 10:00 in Beijing
RULES = RuleBook().in_force(date(2026, 11, 18))
WEEKDAYS = WeekdayCalendar()


class Holidays(WeekdayCalendar):
    """Weekdays, but the 19th and 20th are a holiday."""

    def is_working_day(self, day: date) -> bool:
        return super().is_working_day(day) and day not in (date(2026, 11, 19), date(2026, 11, 20))


def a_project() -> Project:
    return Project(organization_id=uuid4(), name="敬老", description="", category="elderly_care", district="朝阳区",
                   street=None, community=None, person_in_charge="王", actor="volunteer:x", at=T0)


def an_account() -> TimeAccount:
    return TimeAccount(owner_id=uuid4(), kind="volunteer", floor=None, actor="system:-", at=T0)


def a_new_record(status: str, minutes: int = 120) -> tuple[ServiceRecord, list[object], TimeAccount]:
    account = an_account()
    record, credit = new_record(
        volunteer_id=account.owner_id, project=a_project(), shift=None, service_date=date(2026, 11, 18),
        service_minutes=minutes, content="陪伴", place=None, source="self_declared", status=status, flags=[],
        rules=RULES, calendar=WEEKDAYS, account=account, actor="volunteer:x", now=T0,
    )
    return record, list(credit), account


def test_hours_are_recorded_within_the_working_days_the_rules_give() -> None:
    served = date(2026, 11, 18)
    deadline = served + timedelta(days=14)  # 10 working days of Monday to Friday
    check_recording_deadline(WEEKDAYS, served, deadline, RULES, "service_date")
    with pytest.raises(RuleViolation, match="within 10 working days") as error:
        check_recording_deadline(WEEKDAYS, served, deadline + timedelta(days=1), RULES, "entries.0.service_date")
    assert error.value.field == "entries.0.service_date"
    with pytest.raises(InvalidInput, match="future"):
        check_recording_deadline(WEEKDAYS, served, served - timedelta(days=1), RULES, "service_date")


def test_holidays_are_not_working_days_for_the_deadline() -> None:
    served = date(2026, 11, 18)
    two_days_later = served + timedelta(days=16)
    check_recording_deadline(Holidays(), served, two_days_later, RULES, "service_date")
    with pytest.raises(RuleViolation):
        check_recording_deadline(WEEKDAYS, served, two_days_later, RULES, "service_date")


def test_a_pending_record_earns_a_pending_credit_and_a_bulk_entry_a_posted_one() -> None:
    record, (transfer, account), _ = a_new_record(PENDING)
    assert isinstance(transfer, Transfer) and isinstance(account, TimeAccount)
    assert (transfer.status, account.pending_credits, account.balance) == ("pending", 120, 0)
    assert record.confirmation_deadline is not None
    record, (transfer, account), _ = a_new_record(CONFIRMED)
    assert (transfer.status, account.pending_credits, account.balance) == ("posted", 0, 120)


def test_a_record_that_earns_nothing_moves_nothing() -> None:
    free = replace(RULES, credit_minutes_per_service_hour=0)
    account = an_account()
    record, credit = new_record(
        volunteer_id=account.owner_id, project=a_project(), shift=None, service_date=date(2026, 11, 18), service_minutes=60,
        content="c", place=None, source="bulk_entry", status=CONFIRMED, flags=[], rules=free, calendar=WEEKDAYS,
        account=account, actor="volunteer:x", now=T0,
    )
    assert credit == [] and record.transfer_ids == [] and record.service_minutes == 60


def test_correcting_a_confirmed_record_moves_only_the_difference() -> None:
    record, _, account = a_new_record(CONFIRMED)
    made = correct(record, 90, "left early", RULES, account, None, actor_volunteer_id=uuid4(), actor="volunteer:o", now=T0)
    assert [(t.kind, t.amount, t.debit_account_id) for t in made if isinstance(t, Transfer)] == [("correction", 30, account.id)]
    assert (record.service_minutes, account.balance) == (90, 90)


def test_correcting_a_pending_record_voids_its_credit_and_holds_the_new_amount() -> None:
    record, (old, _), account = a_new_record(PENDING)
    made = correct(record, 150, "stayed on", RULES, account, old, actor_volunteer_id=uuid4(), actor="volunteer:o", now=T0)
    assert isinstance(old, Transfer) and old.status == "voided"
    assert [(t.kind, t.amount, t.status) for t in made if isinstance(t, Transfer) and t is not old] == [("service_credit", 150, "pending")]
    assert account.pending_credits == 150


def test_revoking_gives_back_what_was_paid_and_only_from_confirmed() -> None:
    record, _, account = a_new_record(CONFIRMED)
    made = revoke(record, "false record", account, actor_volunteer_id=uuid4(), actor="volunteer:o", now=T0)
    assert [(t.kind, t.amount) for t in made if isinstance(t, Transfer)] == [("revocation", 120)] and account.balance == 0
    with pytest.raises(Conflict):
        revoke(record, "again", account, actor_volunteer_id=uuid4(), actor="volunteer:o", now=T0)


def test_organizers_never_record_their_own_service() -> None:
    me = uuid4()
    check_not_own_entry(me, uuid4(), "entries.0.volunteer_id")
    with pytest.raises(Forbidden) as error:
        check_not_own_entry(me, me, "entries.0.volunteer_id")
    assert error.value.field == "entries.0.volunteer_id"


def test_a_check_in_left_open_closes_after_the_configured_hours_at_the_shifts_end() -> None:
    shift = Shift(project_id=uuid4(), organization_id=uuid4(), title="t", starts_at=T0, ends_at=T0 + timedelta(hours=3), place="p",
                  required_skills=[], capacity=2, actor="volunteer:o", at=T0)
    volunteer = uuid4()
    shift.sign_up(volunteer, [], "volunteer:o", T0)
    shift.check_in(volunteer, T0, "volunteer:o", T0)
    hours = RULES.auto_check_out_after_hours
    assert auto_check_out_at(shift, volunteer, T0 + timedelta(hours=hours) - timedelta(seconds=1), RULES) is None
    assert auto_check_out_at(shift, volunteer, T0 + timedelta(hours=hours), RULES) == T0 + timedelta(hours=3)
    assert auto_check_out_at(shift, uuid4(), T0 + timedelta(hours=hours), RULES) is None
