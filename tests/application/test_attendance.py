"""Check-in and check-out on site make pending records; a forgotten check-out is closed and flagged."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.builders import FixedClock, Scene, a_scene, a_shift, a_volunteer, account_of, an_admin, make_app, writes_nothing
from timebank.domain.actors import SYSTEM
from timebank.domain.errors import Forbidden, InvalidInput, RuleViolation
from timebank.domain.ledger import ISSUANCE_ACCOUNT_ID, SERVICE_CREDIT, Transfer
from timebank.domain.service_record import PENDING


@pytest.fixture
def scene() -> Scene:
    scene = a_scene(make_app())
    scene.app.sign_up(scene.volunteer_actor, scene.shift_id, scene.volunteer_id)
    return scene


def checked_in(scene: Scene, after: timedelta = timedelta(hours=1)) -> datetime:
    """Move to the shift (by default its start) and check the volunteer in; returns the check-in time."""
    at = scene.clock.advance(seconds=after.total_seconds())
    scene.app.check_in(scene.organizer_actor, scene.shift_id, scene.volunteer_id)
    return at


def test_check_out_creates_a_pending_record_and_pending_credits(scene: Scene) -> None:
    app = scene.app
    start = checked_in(scene)
    scene.clock.advance(minutes=150)
    record_id = app.check_out(scene.organizer_actor, scene.shift_id, scene.volunteer_id)
    record = app.get_record(record_id)
    assert (record.status, record.source, record.service_minutes) == (PENDING, "check_out", 150)
    assert (record.volunteer_id, record.organization_id, record.shift_id) == (
        scene.volunteer_id, scene.organization_id, scene.shift_id)
    assert record.service_date == scene.today() and record.flags == []
    assert record.person_in_charge == "王主任" and record.place == "社区服务站"
    account = account_of(app, scene.volunteer)
    assert (account.pending_credits, account.available) == (150, 0)
    transfer: Transfer = app.repository.get(record.pending_transfer_id)
    assert isinstance(transfer, Transfer)
    assert (transfer.status, transfer.amount, transfer.kind) == ("pending", 150, SERVICE_CREDIT)
    assert (transfer.debit_account_id, transfer.credit_account_id) == (ISSUANCE_ACCOUNT_ID, account.id)
    assert app.get_shift(scene.shift_id).attended[str(scene.volunteer_id)] == [start, start + timedelta(minutes=150)]


def test_served_minutes_are_capped_at_the_shifts_scheduled_length(scene: Scene) -> None:
    checked_in(scene, after=timedelta(minutes=0))  # an hour early: check-in opens 2 hours before
    scene.clock.advance(hours=6)
    record_id = scene.app.check_out(scene.organizer_actor, scene.shift_id, scene.volunteer_id)
    assert scene.app.get_record(record_id).service_minutes == 180
    assert account_of(scene.app, scene.volunteer).pending_credits == 180


def test_a_check_out_may_be_back_dated_to_when_the_volunteer_left(scene: Scene) -> None:
    start = checked_in(scene)
    scene.clock.advance(hours=2)
    record_id = scene.app.check_out(scene.organizer_actor, scene.shift_id, scene.volunteer_id, at=start + timedelta(minutes=45))
    assert scene.app.get_record(record_id).service_minutes == 45


def test_only_an_organizer_of_the_organization_checks_volunteers_in_and_out(scene: Scene) -> None:
    app = scene.app
    scene.clock.advance(hours=1)
    for outsider in (scene.volunteer_actor, an_admin()):
        with pytest.raises(Forbidden), writes_nothing(app):
            app.check_in(outsider, scene.shift_id, scene.volunteer_id)
    app.check_in(scene.organizer_actor, scene.shift_id, scene.volunteer_id)
    scene.clock.advance(hours=1)
    with pytest.raises(Forbidden), writes_nothing(app):
        app.check_out(scene.volunteer_actor, scene.shift_id, scene.volunteer_id)


def test_a_volunteer_who_did_not_sign_up_cannot_check_in(scene: Scene) -> None:
    stranger = a_volunteer(scene.app)
    scene.clock.advance(hours=1)
    with pytest.raises(RuleViolation, match="signed up"), writes_nothing(scene.app):
        scene.app.check_in(scene.organizer_actor, scene.shift_id, stranger.volunteer_id)


def test_check_in_is_refused_outside_its_window_and_in_the_future(scene: Scene) -> None:
    app = scene.app
    with pytest.raises(InvalidInput, match="future"), writes_nothing(app):
        app.check_in(scene.organizer_actor, scene.shift_id, scene.volunteer_id, at=scene.clock() + timedelta(minutes=5))
    late = a_shift(app, scene.organizer_actor, scene.project_id, starts_in=timedelta(hours=5))
    app.sign_up(scene.volunteer_actor, late, scene.volunteer_id)
    with pytest.raises(RuleViolation, match="2 hours before"), writes_nothing(app):
        app.check_in(scene.organizer_actor, late, scene.volunteer_id)


def test_the_service_date_is_the_date_in_beijing() -> None:
    clock = FixedClock()
    app = make_app(clock)
    clock.set(datetime(2026, 11, 18, 15, 30, tzinfo=timezone.utc))  # 23:30 in Beijing
    scene = a_scene(app)
    app.sign_up(scene.volunteer_actor, scene.shift_id, scene.volunteer_id)
    checked_in(scene)  # 00:30 on the 19th in Beijing, still the 18th in UTC
    scene.clock.advance(hours=1)
    record_id = app.check_out(scene.organizer_actor, scene.shift_id, scene.volunteer_id)
    assert app.get_record(record_id).service_date.isoformat() == "2026-11-19"


class TestAutomaticCheckOut:
    def test_an_open_check_in_is_closed_only_after_24_hours(self, scene: Scene) -> None:
        app = scene.app
        start = checked_in(scene)
        scene.clock.set(start + timedelta(hours=23, minutes=59))
        with writes_nothing(app):
            assert app.auto_check_out(scene.shift_id, scene.volunteer_id, SYSTEM) is None
        assert str(scene.volunteer_id) in app.get_shift(scene.shift_id).checked_in
        scene.clock.set(start + timedelta(hours=24))
        record_id = app.auto_check_out(scene.shift_id, scene.volunteer_id, SYSTEM)
        assert record_id is not None
        assert str(scene.volunteer_id) not in app.get_shift(scene.shift_id).checked_in

    def test_an_automatic_check_out_is_flagged_and_closes_at_the_shifts_end(self, scene: Scene) -> None:
        app = scene.app
        start = checked_in(scene)
        scene.clock.advance(hours=30)
        record_id = app.auto_check_out(scene.shift_id, scene.volunteer_id, SYSTEM)
        assert record_id is not None
        record = app.get_record(record_id)
        assert record.flags == ["auto_closed"] and record.status == PENDING
        assert record.service_minutes == 180, "closed at the shift's end, not when the job ran"
        assert app.get_shift(scene.shift_id).attended[str(scene.volunteer_id)] == [start, start + timedelta(hours=3)]
        assert [e.actor for e in app.history(an_admin(), record_id)] == ["system:-"]

    def test_running_the_automatic_check_out_again_changes_nothing(self, scene: Scene) -> None:
        app = scene.app
        checked_in(scene)
        scene.clock.advance(hours=25)
        assert app.auto_check_out(scene.shift_id, scene.volunteer_id, SYSTEM) is not None
        with writes_nothing(app):
            assert app.auto_check_out(scene.shift_id, scene.volunteer_id, SYSTEM) is None

    def test_a_volunteer_never_checked_in_is_left_alone(self, scene: Scene) -> None:
        scene.clock.advance(days=3)
        with writes_nothing(scene.app):
            assert scene.app.auto_check_out(scene.shift_id, scene.volunteer_id, SYSTEM) is None
