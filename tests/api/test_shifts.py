"""Shifts: sign-up (capacity, no double booking, no overlaps), cancellation, check-in and check-out."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from tests.api.conftest import Person, Walk, expect
from tests.conftest import Clock


def test_signing_up_takes_a_place_and_puts_the_volunteer_on_the_organizers_roster(walk: Walk) -> None:
    person = walk.volunteer()
    assert expect(walk.sign_up(person), 201) == {"id": person.id}

    shift = expect(walk.api.get(f"/api/shifts/{walk.shift_id}", walk.organizer.token), 200)
    assert shift["signed_up_count"] == 1
    assert shift["places_left"] == 4
    assert [(e["volunteer_id"], e["status"]) for e in shift["roster"]] == [(person.id, "signed_up")]


def test_volunteers_see_the_places_but_not_the_roster(walk: Walk) -> None:
    person = walk.volunteer()
    expect(walk.sign_up(person), 201)
    shift = expect(walk.api.get(f"/api/shifts/{walk.shift_id}", person.token), 200)
    assert shift["places_left"] == 4
    assert "roster" not in shift


def test_a_full_shift_refuses_the_next_volunteer(walk: Walk) -> None:
    shift_id = walk.add_shift(capacity=1, starts_in=timedelta(days=1))
    first, second = walk.volunteer(), walk.volunteer()
    expect(walk.sign_up(first, shift_id), 201)
    before = walk.event_count()

    problem = expect(walk.sign_up(second, shift_id), 409)

    assert problem["field"] == "shift_id"
    assert "full" in problem["message"]
    assert walk.event_count() == before


def test_signing_up_twice_for_the_same_shift_conflicts(walk: Walk) -> None:
    person = walk.volunteer()
    expect(walk.sign_up(person), 201)
    problem = expect(walk.sign_up(person), 409)
    assert problem["field"] == "volunteer_id"
    assert "already signed up" in problem["message"]


def test_a_volunteer_cannot_hold_two_overlapping_shifts(walk: Walk) -> None:
    person = walk.volunteer()
    expect(walk.sign_up(person), 201)  # 1 h to 4 h from now
    overlapping = walk.add_shift(starts_in=timedelta(hours=2), hours=3)
    before = walk.event_count()

    problem = expect(walk.sign_up(person, overlapping), 409)

    assert problem["field"] == "volunteer_id"
    assert problem["overlapping_shift_id"] == walk.shift_id
    assert walk.event_count() == before


def test_back_to_back_shifts_do_not_overlap(walk: Walk) -> None:
    person = walk.volunteer()
    expect(walk.sign_up(person), 201)
    expect(walk.sign_up(person, walk.add_shift(starts_in=timedelta(hours=4), hours=2)), 201)


def test_cancelling_a_sign_up_frees_the_place_and_the_time(walk: Walk) -> None:
    person = walk.volunteer()
    expect(walk.sign_up(person), 201)

    response = walk.api.delete(f"/api/shifts/{walk.shift_id}/signups/{person.id}", person.token)

    assert response.status_code == 204
    assert int(response.headers["X-Event-Position"]) > 0
    shift = expect(walk.api.get(f"/api/shifts/{walk.shift_id}", walk.organizer.token), 200)
    assert shift["places_left"] == 5
    assert shift["roster"] == []
    expect(walk.sign_up(person, walk.add_shift(starts_in=timedelta(hours=2))), 201)  # the overlap is gone


def test_cancelling_a_sign_up_that_does_not_exist_conflicts(walk: Walk) -> None:
    person = walk.volunteer()
    expect(walk.api.delete(f"/api/shifts/{walk.shift_id}/signups/{person.id}", person.token), 409)


def test_a_sign_up_cannot_be_cancelled_once_the_shift_has_started(walk: Walk, clock: Clock) -> None:
    person = walk.volunteer()
    expect(walk.sign_up(person), 201)
    clock.advance(hours=1, minutes=5)
    problem = expect(walk.api.delete(f"/api/shifts/{walk.shift_id}/signups/{person.id}", person.token), 422)
    assert problem["field"] == "shift_id"


def test_organizers_sign_up_others_volunteers_only_themselves(walk: Walk) -> None:
    person, other = walk.volunteer(), walk.volunteer()
    expect(walk.api.post(f"/api/shifts/{walk.shift_id}/signups", {"volunteer_id": person.id}, other.token), 403)
    expect(walk.api.post(f"/api/shifts/{walk.shift_id}/signups", {"volunteer_id": person.id}, walk.organizer.token), 201)
    expect(walk.api.delete(f"/api/shifts/{walk.shift_id}/signups/{person.id}", other.token), 403)


def test_an_admin_must_name_the_volunteer_to_sign_up(walk: Walk) -> None:
    assert expect(walk.api.post(f"/api/shifts/{walk.shift_id}/signups", {}, walk.admin), 422)["field"] == "volunteer_id"


def test_a_shift_needing_skills_refuses_volunteers_without_them(walk: Walk) -> None:
    shift_id = walk.add_shift(required_skills=["sign_language"], starts_in=timedelta(days=1))
    problem = expect(walk.sign_up(walk.volunteer(skills=["first_aid"]), shift_id), 422)
    assert "sign_language" in problem["message"]
    expect(walk.sign_up(walk.volunteer(skills=["sign_language"]), shift_id), 201)


def test_an_ended_shift_takes_no_sign_ups(walk: Walk, clock: Clock) -> None:
    clock.advance(hours=5)
    expect(walk.sign_up(walk.volunteer()), 422)


def test_an_unknown_shift_is_404(walk: Walk) -> None:
    missing = "00000000-0000-4000-8000-000000000004"
    assert expect(walk.api.get(f"/api/shifts/{missing}", walk.organizer.token), 404)["field"] == "shift_id"
    expect(walk.sign_up(walk.volunteer(), missing), 404)


# Attendance -----------------------------------------------------------------------------
def test_check_in_and_out_by_someone_who_is_not_an_organizer_is_403_and_writes_nothing(walk: Walk, clock: Clock) -> None:
    person, outsider = walk.volunteer(), walk.volunteer()
    expect(walk.sign_up(person), 201)
    before = walk.event_count()
    for token in (person.token, outsider.token, walk.admin):
        expect(walk.check_in(person, token=token), 403)
    assert walk.event_count() == before

    expect(walk.check_in(person), 201)
    clock.advance(hours=1)
    before = walk.event_count()
    for token in (person.token, outsider.token, walk.admin):
        expect(walk.check_out(person, token=token), 403)
    assert walk.event_count() == before


def test_only_volunteers_signed_up_check_in(walk: Walk) -> None:
    problem = expect(walk.check_in(walk.volunteer()), 422)
    assert problem["field"] == "volunteer_id"


def test_checking_in_twice_conflicts(walk: Walk) -> None:
    person = walk.volunteer()
    expect(walk.sign_up(person), 201)
    expect(walk.check_in(person), 201)
    expect(walk.check_in(person), 409)


def test_a_check_in_cannot_be_in_the_future(walk: Walk, clock: Clock) -> None:
    person = walk.volunteer()
    expect(walk.sign_up(person), 201)
    problem = expect(walk.check_in(person, at=(clock() + timedelta(minutes=10)).isoformat()), 422)
    assert problem["field"] == "at"


def test_check_out_returns_the_pending_record_and_the_roster_shows_the_minutes(walk: Walk, clock: Clock) -> None:
    person = walk.volunteer()
    expect(walk.sign_up(person), 201)
    expect(walk.check_in(person), 201)
    clock.advance(minutes=75)

    record_id = expect(walk.check_out(person), 201)["id"]

    record = walk.record(record_id, person.token)
    assert record["id"] == record_id
    assert record["status"] == "pending"
    assert record["source"] == "check_out"
    assert record["service_minutes"] == 75
    assert record["shift_id"] == walk.shift_id
    assert record["service_date"] == "2026-11-18"
    assert record["pending_credit_minutes"] == 75
    assert record["credited_minutes"] == 0
    assert record["confirmation_deadline"] == "2026-12-02"  # 10 working days after Wed 18 Nov
    roster = expect(walk.api.get(f"/api/shifts/{walk.shift_id}", walk.organizer.token), 200)["roster"]
    assert [(e["status"], e["service_minutes"]) for e in roster] == [("checked_out", 75)]


def test_after_check_out_the_credits_are_pending_and_not_yet_available(walk: Walk) -> None:
    person = walk.volunteer()
    walk.served(person, minutes=60)

    account = walk.account(person)
    assert account["pending"] == 60
    assert account["available"] == 0
    assert account["balance"] == 0
    assert account["earned_to_date"] == 0


def test_served_minutes_never_exceed_the_shifts_scheduled_length(walk: Walk, clock: Clock) -> None:
    person = walk.volunteer()
    expect(walk.sign_up(person), 201)
    expect(walk.check_in(person), 201)  # an hour early
    clock.advance(hours=6)
    record_id = expect(walk.check_out(person), 201)["id"]
    assert walk.record(record_id)["service_minutes"] == 180


def test_checking_out_without_checking_in_is_refused(walk: Walk) -> None:
    person = walk.volunteer()
    expect(walk.sign_up(person), 201)
    assert expect(walk.check_out(person), 422)["field"] == "volunteer_id"


def test_a_check_out_cannot_be_in_the_future(walk: Walk, clock: Clock) -> None:
    person = walk.volunteer()
    expect(walk.sign_up(person), 201)
    expect(walk.check_in(person), 201)
    problem = expect(walk.check_out(person, at=(clock() + timedelta(hours=1)).isoformat()), 422)
    assert problem["field"] == "at"


def test_the_last_place_goes_to_exactly_one_of_several_simultaneous_volunteers(walk: Walk) -> None:
    shift_id = walk.add_shift(capacity=1, starts_in=timedelta(days=1))
    people = [walk.volunteer() for _ in range(5)]
    start = threading.Barrier(len(people))
    statuses: list[int] = []

    def sign_up(person: Person) -> None:
        start.wait()
        response = walk.api.client.post(f"/api/shifts/{shift_id}/signups", json={}, headers={"Authorization": f"Bearer {person.token}"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=sign_up, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [201, 409, 409, 409, 409]
    shift = expect(walk.api.get(f"/api/shifts/{shift_id}", walk.organizer.token, min_position=walk.event_count()), 200)
    assert (shift["signed_up_count"], shift["places_left"], len(shift["roster"])) == (1, 0, 1)


def test_a_volunteer_who_cancelled_may_sign_up_again_and_is_listed_once(walk: Walk) -> None:
    person = walk.volunteer()
    expect(walk.sign_up(person), 201)
    assert walk.api.delete(f"/api/shifts/{walk.shift_id}/signups/{person.id}", person.token).status_code == 204
    expect(walk.sign_up(person), 201)

    shift = expect(walk.api.get(f"/api/shifts/{walk.shift_id}", walk.organizer.token), 200)
    assert shift["signed_up_count"] == 1
    assert [(e["volunteer_id"], e["status"]) for e in shift["roster"]] == [(person.id, "signed_up")]


def test_the_service_date_is_the_beijing_date_of_the_check_in(walk: Walk, clock: Clock) -> None:
    clock.set(datetime(2026, 11, 18, 15, 30, tzinfo=timezone.utc))  # 23:30 in Beijing
    shift_id = walk.add_shift()  # 00:30 to 03:30 on the 19th in Beijing
    person = walk.volunteer()
    expect(walk.sign_up(person, shift_id), 201)
    clock.advance(hours=1, minutes=10)  # 00:40 on the 19th in Beijing, still the 18th in UTC
    expect(walk.check_in(person, shift_id), 201)
    clock.advance(hours=1)

    record_id = expect(walk.check_out(person, shift_id), 201)["id"]

    assert walk.record(record_id)["service_date"] == "2026-11-19"
