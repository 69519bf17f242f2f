"""Back-filled attendance obeys the same recording deadline as declared hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from adapters.security import security_adapters
from timebank.application import TimeBank
from timebank.domain.actors import Actor, Role
from timebank.domain.errors import InvalidInput, RuleViolation
from timebank.domain.rules import WeekdayCalendar


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, 1, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def setup() -> tuple[TimeBank, Clock, Actor, Actor, object]:
    clock = Clock()
    app = TimeBank(**security_adapters("t"), clock=clock, calendar=WeekdayCalendar())
    people = [
        Actor(Role.VOLUNTEER, app.register_volunteer(
            name=f"p{i}", sex="male", birth_date=date(1980, 1, 1), id_type="resident_id", id_number=f"N{i}",
            phone="13900000000", district="东城区").volunteer_id)
        for i in range(2)
    ]
    organizer, volunteer = people
    org = app.register_organization(organizer, name="o", district="东城区")
    app.verify_organization(Actor(Role.ADMIN), org)
    project = app.publish_project(organizer, organization_id=org, name="p", person_in_charge="x")
    shift = app.add_shift(organizer, project, title="t", starts_at=clock.now + timedelta(hours=1),
                          ends_at=clock.now + timedelta(hours=3), place="here", capacity=2)
    app.sign_up(volunteer, shift, volunteer.id)
    return app, clock, organizer, volunteer, shift


def test_a_check_out_long_after_the_recording_deadline_is_refused_and_writes_nothing() -> None:
    app, clock, organizer, volunteer, shift = setup()
    clock.now += timedelta(hours=1, minutes=5)
    app.check_in(organizer, shift, volunteer.id)
    clock.now += timedelta(days=60)
    before = app.recorder.max_notification_id()
    with pytest.raises(RuleViolation, match="10 working days") as raised:
        app.check_out(organizer, shift, volunteer.id, at=clock.now - timedelta(days=60) + timedelta(hours=1))
    assert raised.value.field == "at"
    assert app.recorder.max_notification_id() == before


def test_a_back_filled_check_in_past_the_deadline_is_refused() -> None:
    app, clock, organizer, volunteer, shift = setup()
    start = clock.now + timedelta(hours=1)
    clock.now += timedelta(days=60)
    with pytest.raises(RuleViolation, match="10 working days"):
        app.check_in(organizer, shift, volunteer.id, at=start)


def test_a_check_out_without_a_check_in_is_a_rule_violation_not_a_crash() -> None:
    app, clock, organizer, volunteer, shift = setup()
    clock.now += timedelta(hours=2)
    with pytest.raises(RuleViolation, match="not checked in"):
        app.check_out(organizer, shift, volunteer.id)


def test_registration_refuses_malformed_identity_even_without_the_api() -> None:
    app = TimeBank(**security_adapters("t"))
    base = dict(name="n", sex="male", birth_date=date(1980, 1, 1), id_type="resident_id", id_number="N1",
                phone="13900000000", district="东城区")
    for field, value in (("sex", "robot"), ("id_type", "whatever"), ("name", "  "), ("id_number", "")):
        with pytest.raises(InvalidInput) as raised:
            app.register_volunteer(**{**base, field: value})
        assert raised.value.field == field
    assert app.recorder.max_notification_id() in (None, 0)
