"""Shifts and volunteers as pure aggregates: capacity, double booking, overlap, skills, cancelling,
the check-in window and served minutes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest

from timebank.domain.errors import Conflict, InvalidInput, RuleViolation
from timebank.domain.shift import Shift
from timebank.domain.volunteer import Volunteer

T0 = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)
START, END = T0 + timedelta(hours=1), T0 + timedelta(hours=4)  # a 3-hour shift
SKILLED = ["first_aid"]


def a_shift(capacity: int = 2, skills: tuple[str, ...] = ("first_aid",)) -> Shift:
    return Shift(
        project_id=uuid4(), organization_id=uuid4(), title="t", starts_at=START, ends_at=END, place="p",
        required_skills=list(skills), capacity=capacity, actor="volunteer:x", at=T0,
    )


def a_volunteer() -> Volunteer:
    return Volunteer(
        volunteer_id=uuid4(), volunteer_number="BJ0000000001", personal_data={"birth_date": "1990-01-01"}, home={}, skills=SKILLED,
        service_categories=[], guardian_consent=False, actor="volunteer:x", at=T0,
    )


def signed_up(shift: Shift, *, checked_in: bool = False) -> UUID:
    volunteer = uuid4()
    shift.sign_up(volunteer, SKILLED, "x", T0)
    if checked_in:
        shift.check_in(volunteer, START, "x", START)
    return volunteer


class TestSignUp:
    def test_a_shift_takes_volunteers_up_to_its_capacity_and_no_more(self) -> None:
        shift = a_shift(capacity=2)
        first, second = signed_up(shift), signed_up(shift)
        with pytest.raises(Conflict, match="full") as raised:
            shift.sign_up(uuid4(), SKILLED, "x", T0)
        assert raised.value.field == "shift_id"
        assert shift.signed_up == [first, second]

    def test_a_volunteer_signs_up_for_a_shift_only_once(self) -> None:
        shift = a_shift()
        volunteer = signed_up(shift)
        version = shift.version
        with pytest.raises(Conflict, match="already signed up"):
            shift.sign_up(volunteer, SKILLED, "x", T0)
        assert shift.signed_up == [volunteer] and shift.version == version

    def test_a_volunteer_without_the_required_skills_is_refused_and_told_which_are_missing(self) -> None:
        shift = a_shift(skills=("first_aid", "sign_language"))
        with pytest.raises(RuleViolation, match="sign_language") as raised:
            shift.sign_up(uuid4(), ["first_aid"], "x", T0)
        assert "first_aid" not in raised.value.message
        assert shift.signed_up == []

    def test_a_shift_without_required_skills_takes_anyone(self) -> None:
        shift = a_shift(skills=())
        volunteer = uuid4()
        shift.sign_up(volunteer, [], "x", T0)
        assert shift.signed_up == [volunteer]

    def test_an_ended_shift_takes_no_sign_ups(self) -> None:
        shift = a_shift()
        with pytest.raises(RuleViolation, match="ended"):
            shift.sign_up(uuid4(), SKILLED, "x", END)
        assert shift.signed_up == []

    def test_a_freed_place_can_be_taken_again(self) -> None:
        shift = a_shift(capacity=1)
        first = signed_up(shift)
        shift.cancel_sign_up(first, "x", T0)
        second = signed_up(shift)
        assert shift.signed_up == [second]


class TestCancelling:
    def test_a_volunteer_can_cancel_before_the_shift_starts(self) -> None:
        shift = a_shift()
        volunteer = signed_up(shift)
        shift.cancel_sign_up(volunteer, "x", START - timedelta(seconds=1))
        assert volunteer not in shift.signed_up

    def test_cancelling_once_the_shift_has_started_is_refused(self) -> None:
        shift = a_shift()
        volunteer = signed_up(shift)
        with pytest.raises(RuleViolation, match="started"):
            shift.cancel_sign_up(volunteer, "x", START)
        assert volunteer in shift.signed_up

    def test_a_volunteer_who_checked_in_cannot_cancel(self) -> None:
        shift = a_shift()
        volunteer = signed_up(shift)
        shift.check_in(volunteer, START - timedelta(minutes=30), "x", START - timedelta(minutes=30))
        with pytest.raises(RuleViolation, match="checked in"):
            shift.cancel_sign_up(volunteer, "x", START - timedelta(minutes=10))
        assert volunteer in shift.signed_up

    def test_cancelling_a_sign_up_that_does_not_exist_is_a_conflict(self) -> None:
        with pytest.raises(Conflict, match="not signed up"):
            a_shift().cancel_sign_up(uuid4(), "x", T0)


class TestOverlappingBookings:
    def test_a_volunteer_cannot_hold_two_overlapping_shifts(self) -> None:
        volunteer, first, second = a_volunteer(), uuid4(), uuid4()
        volunteer.commit_to_shift(first, START, END, "x", T0)
        with pytest.raises(Conflict, match="overlaps") as raised:
            volunteer.commit_to_shift(second, END - timedelta(minutes=1), END + timedelta(hours=1), "x", T0)
        assert raised.value.details["overlapping_shift_id"] == str(first)
        assert list(volunteer.commitments) == [str(first)]

    def test_back_to_back_shifts_do_not_overlap(self) -> None:
        volunteer, first, second = a_volunteer(), uuid4(), uuid4()
        volunteer.commit_to_shift(first, START, END, "x", T0)
        volunteer.commit_to_shift(second, END, END + timedelta(hours=2), "x", T0)
        assert set(volunteer.commitments) == {str(first), str(second)}

    def test_a_released_shift_no_longer_blocks_an_overlapping_one(self) -> None:
        volunteer, first, second = a_volunteer(), uuid4(), uuid4()
        volunteer.commit_to_shift(first, START, END, "x", T0)
        volunteer.release_shift(first, "x", T0)
        volunteer.commit_to_shift(second, START, END, "x", T0)
        assert list(volunteer.commitments) == [str(second)]


def capped(hours: int | None) -> Volunteer:
    volunteer = a_volunteer()
    volunteer.offer(availability=[], weekly_hours_cap=hours, preferred_places=[], skills=SKILLED, service_categories=[],
                    actor="x", at=T0)
    return volunteer


class TestWeeklyCap:
    """T0 is a Wednesday, 10:00 in Beijing; its week runs from Monday 16 November 00:00 (Beijing)."""

    MONDAY = datetime(2026, 11, 15, 16, 0, tzinfo=timezone.utc)  # Monday 00:00 in Beijing

    def test_the_cap_counts_the_bookings_that_start_in_the_shifts_beijing_week(self) -> None:
        volunteer = capped(4)
        volunteer.commit_to_shift(uuid4(), START, END, "x", T0)  # 3 h
        thursday = START + timedelta(days=1)
        assert volunteer.weekly_cap_exclusion(uuid4(), thursday, thursday + timedelta(hours=1)) is None  # exactly 4 h
        reason = volunteer.weekly_cap_exclusion(uuid4(), thursday, thursday + timedelta(hours=1, minutes=1))
        assert reason is not None and "4 h" in reason and "180 min" in reason and "61" in reason
        next_monday = self.MONDAY + timedelta(days=7)
        assert volunteer.weekly_cap_exclusion(uuid4(), next_monday, next_monday + timedelta(hours=4)) is None
        sunday_night = next_monday - timedelta(hours=2)  # still this week in Beijing
        assert volunteer.weekly_cap_exclusion(uuid4(), sunday_night, sunday_night + timedelta(hours=2)) is not None

    def test_a_shift_already_held_is_not_counted_twice_and_no_cap_excludes_nothing(self) -> None:
        volunteer, held = capped(3), uuid4()
        volunteer.commit_to_shift(held, START, END, "x", T0)
        assert volunteer.weekly_cap_exclusion(held, START, END) is None
        uncapped = capped(None)
        uncapped.commit_to_shift(uuid4(), START, END, "x", T0)
        assert uncapped.weekly_cap_exclusion(uuid4(), START + timedelta(days=1), START + timedelta(days=1, hours=12)) is None

    def test_ended_bookings_of_the_current_week_are_kept_and_earlier_weeks_forgotten(self) -> None:
        volunteer, last_week, wednesday, friday = capped(4), uuid4(), uuid4(), uuid4()
        volunteer.commit_to_shift(last_week, START - timedelta(days=7), END - timedelta(days=7), "x", T0 - timedelta(days=8))
        volunteer.commit_to_shift(wednesday, START, END, "x", T0)
        assert set(volunteer.commitments) == {str(wednesday)}  # last week's has ended: forgotten
        later = END + timedelta(days=1)  # Thursday: Wednesday's shift has ended, in the same week
        volunteer.commit_to_shift(friday, START + timedelta(days=2), START + timedelta(days=2, hours=1), "x", later)
        assert set(volunteer.commitments) == {str(wednesday), str(friday)}
        saturday = START + timedelta(days=3)
        assert volunteer.weekly_cap_exclusion(uuid4(), saturday, saturday + timedelta(minutes=1)) is not None  # 3 h + 1 h held
        volunteer.commit_to_shift(uuid4(), START + timedelta(days=7), END + timedelta(days=7), "x", self.MONDAY + timedelta(days=7))
        assert str(wednesday) not in volunteer.commitments and str(friday) not in volunteer.commitments


class TestAttendance:
    def test_check_in_opens_two_hours_before_the_start_and_closes_at_the_end(self) -> None:
        shift = a_shift(capacity=4)
        too_early, earliest, latest, too_late = (signed_up(shift) for _ in range(4))
        opens = START - timedelta(hours=2)
        with pytest.raises(RuleViolation, match="2 hours before"):
            shift.check_in(too_early, opens - timedelta(seconds=1), "x", opens)
        shift.check_in(earliest, opens, "x", opens)
        shift.check_in(latest, END, "x", END)
        with pytest.raises(RuleViolation, match="2 hours before"):
            shift.check_in(too_late, END + timedelta(seconds=1), "x", END + timedelta(minutes=1))
        assert set(shift.checked_in) == {str(earliest), str(latest)}

    def test_only_signed_up_volunteers_check_in_and_only_once(self) -> None:
        shift = a_shift()
        with pytest.raises(RuleViolation, match="signed up"):
            shift.check_in(uuid4(), START, "x", START)
        volunteer = signed_up(shift, checked_in=True)
        with pytest.raises(Conflict, match="already checked in"):
            shift.check_in(volunteer, START, "x", START)

    def test_a_check_in_cannot_be_in_the_future(self) -> None:
        shift = a_shift()
        volunteer = signed_up(shift)
        with pytest.raises(InvalidInput, match="future") as raised:
            shift.check_in(volunteer, START, "x", START - timedelta(minutes=1))
        assert raised.value.field == "at" and shift.checked_in == {}

    def test_served_minutes_are_whole_minutes_actually_given(self) -> None:
        shift = a_shift()
        volunteer = signed_up(shift, checked_in=True)
        out = START + timedelta(minutes=95, seconds=59)
        assert shift.check_out(volunteer, out, "x", out) == 95
        assert shift.attended[str(volunteer)] == [START, out] and shift.checked_in == {}

    def test_check_out_minutes_are_capped_at_the_scheduled_length(self) -> None:
        shift = a_shift()
        volunteer = uuid4()
        shift.sign_up(volunteer, SKILLED, "x", T0)
        early = START - timedelta(hours=2)
        shift.check_in(volunteer, early, "x", early)
        late = END + timedelta(hours=5)
        assert shift.scheduled_minutes == 180
        assert shift.check_out(volunteer, late, "x", late) == 180

    def test_a_check_out_without_a_check_in_is_refused(self) -> None:
        shift = a_shift()
        volunteer = signed_up(shift)
        with pytest.raises(RuleViolation, match="not checked in"):
            shift.check_out(volunteer, END, "x", END)

    def test_a_check_out_must_follow_the_check_in_and_not_be_in_the_future(self) -> None:
        shift = a_shift()
        volunteer = signed_up(shift, checked_in=True)
        with pytest.raises(InvalidInput, match="after the check-in"):
            shift.check_out(volunteer, START, "x", END)
        with pytest.raises(InvalidInput, match="future"):
            shift.check_out(volunteer, END, "x", END - timedelta(minutes=1))
        with pytest.raises(RuleViolation, match="less than one minute"):
            shift.check_out(volunteer, START + timedelta(seconds=59), "x", END)
        assert str(volunteer) in shift.checked_in and shift.attended == {}

    def test_a_volunteer_who_checked_out_cannot_check_in_again(self) -> None:
        shift = a_shift()
        volunteer = signed_up(shift, checked_in=True)
        shift.check_out(volunteer, END, "x", END)
        with pytest.raises(Conflict, match="already checked out"):
            shift.check_in(volunteer, END, "x", END)


class TestSchedule:
    @pytest.mark.parametrize(
        ("starts_at", "ends_at", "capacity", "field"),
        [
            (START.replace(tzinfo=None), END.replace(tzinfo=None), 1, "starts_at"),
            (END, START, 1, "ends_at"),
            (START, START, 1, "ends_at"),
            (START, START + timedelta(hours=24, minutes=1), 1, "ends_at"),
            (START, END, 0, "capacity"),
        ],
    )
    def test_a_malformed_schedule_is_refused_with_the_field_named(self, starts_at, ends_at, capacity, field) -> None:
        with pytest.raises(InvalidInput) as raised:
            Shift.check_schedule(starts_at, ends_at, capacity)
        assert raised.value.field == field

    def test_a_shift_of_exactly_24_hours_is_allowed(self) -> None:
        Shift.check_schedule(START, START + timedelta(hours=24), 1)


class TestReschedule:
    def test_a_shift_nobody_signed_up_to_moves_to_another_time(self) -> None:
        shift = a_shift()
        later = START + timedelta(days=1)
        shift.reschedule(later, later + timedelta(hours=2), "x", T0)
        assert (shift.starts_at, shift.ends_at, shift.scheduled_minutes) == (later, later + timedelta(hours=2), 120)
        assert type(shift.pending_events[-1]).__name__ == "Rescheduled"

    def test_the_same_time_again_records_nothing(self) -> None:
        shift = a_shift()
        before = len(shift.pending_events)
        shift.reschedule(START, END, "x", T0)
        assert len(shift.pending_events) == before

    def test_a_shift_with_a_volunteer_signed_up_keeps_its_time(self) -> None:
        shift = a_shift()
        signed_up(shift)
        with pytest.raises(Conflict, match="1 volunteers are signed up") as raised:
            shift.reschedule(START + timedelta(days=1), END + timedelta(days=1), "x", T0, field="starts_at")
        assert raised.value.field == "starts_at"
        assert (shift.starts_at, shift.ends_at) == (START, END)

    @pytest.mark.parametrize(("starts_at", "ends_at", "field"), [
        (END, START, "ends_at"),  # ends before it starts
        (START, START + timedelta(hours=25), "ends_at"),  # longer than a day
        (START.replace(tzinfo=None), END, "starts_at"),  # no offset
    ])
    def test_a_time_a_shift_cannot_have_is_refused(self, starts_at: datetime, ends_at: datetime, field: str) -> None:
        shift = a_shift()
        with pytest.raises(InvalidInput) as raised:
            shift.reschedule(starts_at, ends_at, "x", T0)
        assert raised.value.field == field
        assert (shift.starts_at, shift.ends_at) == (START, END)
