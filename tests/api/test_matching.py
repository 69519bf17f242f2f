"""Supply-demand matching over HTTP (issue 11): a volunteer finds a shift near home by skill and
date without knowing any id; an organizer posts a need, gets ranked candidates with reasons, runs a
matching, accepts proposals and sees the volunteers signed up; nobody is double-booked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api.services import Services
from tests.api.conftest import ApiClient, Person, Walk, event_count, expect, register

HOME = {"district": "朝阳区", "street": "三里屯街道", "community": "幸福村社区"}
THURSDAY_MORNING = [{"weekday": 3, "start": "08:00", "end": "13:00"}]  # the clock starts on a Wednesday, 10:00 Beijing


@pytest.fixture
def places(walk: Walk) -> None:
    rows = [{**HOME}, {**HOME, "community": "三里屯北社区"}, {"district": "朝阳区", "street": "望京街道", "community": "花家地社区"}]
    expect(walk.api.post("/api/places", {"rows": rows}, walk.admin), 201)


def need_body(walk: Walk, *, starts_in: timedelta = timedelta(days=1), hours: int = 2, **overrides: Any) -> dict[str, Any]:
    start = walk.clock() + starts_in
    body = {"organization_id": walk.organization_id, "project_id": walk.project_id, "title": "陪老人就医", "content": "陪同社区老人去医院复查",
            **HOME, "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat(), "volunteers_needed": 2,
            "required_skills": ["急救"]}
    body.update(overrides)
    return body


def post_need(walk: Walk, **overrides: Any) -> str:
    need_id: str = expect(walk.api.post("/api/needs", need_body(walk, **overrides), walk.organizer.token), 201)["id"]
    return need_id


def supplier(walk: Walk, *, community: str = "幸福村社区", street: str = "三里屯街道", skills: tuple[str, ...] = ("first_aid",),
             windows: list[dict[str, Any]] = THURSDAY_MORNING, birth_date: str = "1990-05-17") -> Person:
    person = register(walk.api, street=street, community=community, skills=list(skills), birth_date=birth_date)
    expect(walk.api.request("PUT", f"/api/volunteers/{person.id}/availability", token=person.token,
                            json={"availability": windows, "weekly_hours_cap": 10}), 200)
    return person


def test_a_volunteer_finds_an_open_shift_near_home_by_skill_and_date_without_any_id(walk: Walk, places: None) -> None:
    wanted = walk.add_shift(required_skills=["first_aid"], starts_in=timedelta(days=2))
    walk.add_shift(required_skills=["sign_language"], starts_in=timedelta(days=2))
    full = walk.add_shift(required_skills=["first_aid"], starts_in=timedelta(days=2), capacity=1)
    expect(walk.sign_up(walk.volunteer(), full), 201)
    me = walk.volunteer()

    found = expect(walk.api.get("/api/shifts", me.token, district="朝阳区", skill="急救",
                                starts_from=(walk.clock() + timedelta(days=1)).isoformat()), 200)

    assert [s["id"] for s in found] == [wanted]
    assert found[0]["organization_name"] == "三里屯社区志愿服务队" and found[0]["places_left"] == 5
    assert expect(walk.api.get("/api/shifts", me.token, q="三里屯", district="海淀区"), 200) == []
    projects = expect(walk.api.get("/api/projects", me.token, organization_id=walk.organization_id), 200)
    assert [p["id"] for p in projects] == [walk.project_id]


@pytest.mark.parametrize(("change", "field"), [
    ({"volunteers_needed": 0}, "volunteers_needed"),
    ({"required_skills": ["juggling"]}, "required_skills.0"),
    ({"community": "无名社区"}, "community"),
    ({"starts_in": -timedelta(hours=5)}, "ends_at"),
])
def test_a_bad_need_is_refused_naming_the_reason_and_nothing_is_written(
    walk: Walk, places: None, services: Services, change: dict[str, Any], field: str
) -> None:
    before = event_count(services)
    problem = expect(walk.api.post("/api/needs", need_body(walk, **change), walk.organizer.token), 422)
    assert problem["field"] == field
    assert event_count(services) == before


def test_an_organizer_posts_a_need_ranks_candidates_runs_a_matching_and_accepts(walk: Walk, places: None, services: Services) -> None:
    near = supplier(walk)
    same_street = supplier(walk, community="三里屯北社区")
    unskilled = supplier(walk, skills=("photography",))
    busy = supplier(walk, windows=[{"weekday": 5, "start": "08:00", "end": "12:00"}])
    need_id = post_need(walk)
    need = expect(walk.api.get(f"/api/needs/{need_id}", near.token), 200)
    assert need["required_skills"] == ["first_aid"] and need["places_left"] == 2
    assert need_id in [n["id"] for n in expect(walk.api.get("/api/needs", near.token, district="朝阳区", skill="first_aid"), 200)]

    ranked = expect(walk.api.get(f"/api/needs/{need_id}/candidates", walk.organizer.token), 200)
    ids = [c["volunteer_id"] for c in ranked["candidates"]]
    assert ids.index(near.id) < ids.index(same_street.id)
    assert unskilled.id not in ids and busy.id not in ids
    first = ranked["candidates"][0]
    assert set(first["parts"]) == {"skill_fit", "distance", "reliability", "fairness"}
    for person, constraint in ((unskilled, "skills"), (busy, "availability")):
        why = expect(walk.api.get(f"/api/needs/{need_id}/candidates", walk.organizer.token, volunteer_id=person.id), 200)
        assert why["explained"]["excluded_by"] == constraint

    run = expect(walk.api.post("/api/matching/runs", {"district": "朝阳区"}, walk.admin), 201)
    assert run["proposals"] == 2 and run["slots"] == 2
    proposals = {p["volunteer_id"]: p for p in expect(walk.api.get(f"/api/needs/{need_id}/proposals", walk.organizer.token), 200)}
    assert set(proposals) == {near.id, same_street.id}

    expect(walk.api.post(f"/api/proposals/{proposals[near.id]['id']}/accept", {}, walk.organizer.token), 204)
    expect(walk.api.post(f"/api/proposals/{proposals[same_street.id]['id']}/decline", {"reason": "那天有事"}, same_street.token), 204)
    before = event_count(services)
    problem = expect(walk.api.post(f"/api/proposals/{proposals[same_street.id]['id']}/accept", {}, walk.organizer.token), 409)
    assert "declined" in problem["message"] and event_count(services) == before

    shift = expect(walk.api.get(f"/api/shifts/{need['shift_id']}", walk.organizer.token), 200)
    assert [r["volunteer_id"] for r in shift["roster"]] == [near.id]
    assert shift["roster"][0]["name"] == "张晓明" and shift["roster"][0]["volunteer_number"] == near.volunteer_number
    again = expect(walk.api.post("/api/matching/runs", {"district": "朝阳区"}, walk.admin), 201)
    assert again["proposals"] == 0  # the declined pair is never proposed again, the accepted one is booked


def test_nobody_is_double_booked_across_needs_and_runs(walk: Walk, places: None, services: Services) -> None:
    only = supplier(walk)
    first = post_need(walk, volunteers_needed=1)
    overlapping = post_need(walk, volunteers_needed=1, starts_in=timedelta(days=1, hours=1))
    run = expect(walk.api.post("/api/matching/runs", {}, walk.admin), 201)
    assert run["proposals"] == 1  # one volunteer, two overlapping needs: one proposal per run

    proposal = expect(walk.api.get(f"/api/needs/{first}/proposals", walk.organizer.token), 200) or \
        expect(walk.api.get(f"/api/needs/{overlapping}/proposals", walk.organizer.token), 200)
    expect(walk.api.post(f"/api/proposals/{proposal[0]['id']}/accept", {}, walk.organizer.token), 204)
    other = overlapping if proposal[0]["need_id"] == first else first
    why = expect(walk.api.get(f"/api/needs/{other}/candidates", walk.organizer.token, volunteer_id=only.id), 200)
    assert why["explained"]["excluded_by"] == "double_booking"
    assert expect(walk.api.post("/api/matching/runs", {}, walk.admin), 201)["proposals"] == 0
    filled = expect(walk.api.get(f"/api/needs/{proposal[0]['need_id']}", walk.organizer.token), 200)
    assert filled["status"] == "filled"


def test_volunteers_may_not_state_someone_elses_availability(api: ApiClient, walk: Walk, services: Services) -> None:
    me, other = walk.volunteer(), walk.volunteer()
    before = event_count(services)
    expect(api.request("PUT", f"/api/volunteers/{other.id}/availability", token=me.token, json={"availability": []}), 403)
    problem = expect(api.request("PUT", f"/api/volunteers/{me.id}/availability", token=me.token,
                                 json={"availability": [{"weekday": 1, "start": "12:00", "end": "09:00"}]}), 422)
    assert problem["field"] == "windows.0.end"
    assert event_count(services) == before


def test_accepting_a_proposal_for_a_shift_that_filled_meanwhile_is_refused(walk: Walk, places: None, services: Services) -> None:
    proposed = supplier(walk)
    need_id = post_need(walk, volunteers_needed=1)
    assert expect(walk.api.post("/api/matching/runs", {}, walk.admin), 201)["proposals"] == 1
    [proposal] = expect(walk.api.get(f"/api/needs/{need_id}/proposals", walk.organizer.token), 200)
    assert proposal["volunteer_id"] == proposed.id
    shift_id = expect(walk.api.get(f"/api/needs/{need_id}", walk.organizer.token), 200)["shift_id"]
    expect(walk.sign_up(supplier(walk), shift_id), 201)  # someone signed up directly and took the last place

    before = event_count(services)
    problem = expect(walk.api.post(f"/api/proposals/{proposal['id']}/accept", {}, walk.organizer.token), 409)
    assert "full" in problem["message"] and event_count(services) == before


def test_the_nightly_job_proposes_once(walk: Walk, places: None) -> None:
    from api.clock import SCHEDULE, run_nightly_matching

    assert run_nightly_matching in [job for job, _, _ in SCHEDULE]
    supplier(walk)
    post_need(walk, volunteers_needed=1)
    walk.api.get("/api/needs", walk.organizer.token)  # wait for the views
    assert run_nightly_matching(walk.services) == 1
    assert run_nightly_matching(walk.services) == 0


def test_a_needs_age_limits_keep_volunteers_out_of_its_candidates_and_runs(walk: Walk, places: None) -> None:
    """Birth dates are sealed and not in the index: the best candidates are checked against the
    limits one by one, and the next best take the places of those excluded."""
    older = [supplier(walk) for _ in range(3)]  # 36 on the need's day, the nearest (same community)
    young = supplier(walk, community="三里屯北社区", birth_date="2001-02-03")  # 25, same street only
    need_id = post_need(walk, max_age=30, volunteers_needed=1)

    ranked = expect(walk.api.get(f"/api/needs/{need_id}/candidates", walk.organizer.token, limit=1), 200)
    assert [c["volunteer_id"] for c in ranked["candidates"]] == [young.id]
    everyone = expect(walk.api.get(f"/api/needs/{need_id}/candidates", walk.organizer.token), 200)
    assert [c["volunteer_id"] for c in everyone["candidates"]] == [young.id]
    why = expect(walk.api.get(f"/api/needs/{need_id}/candidates", walk.organizer.token, volunteer_id=older[0].id), 200)
    assert why["explained"]["excluded_by"] == "age"

    run = expect(walk.api.post("/api/matching/runs", {"district": "朝阳区"}, walk.admin), 201)
    assert run["proposals"] == 1
    proposals = expect(walk.api.get(f"/api/needs/{need_id}/proposals", walk.organizer.token), 200)
    assert [p["volunteer_id"] for p in proposals] == [young.id]


def test_an_organizer_changes_a_needs_slots_and_its_shift_follows(walk: Walk, places: None, services: Services) -> None:
    person = supplier(walk)
    need_id = post_need(walk, volunteers_needed=2)
    expect(walk.api.post("/api/matching/runs", {"district": "朝阳区"}, walk.admin), 201)
    proposal = expect(walk.api.get(f"/api/needs/{need_id}/proposals", walk.organizer.token), 200)[0]
    expect(walk.api.post(f"/api/proposals/{proposal['id']}/accept", {}, walk.organizer.token), 204)

    expect(walk.api.request("PATCH", f"/api/needs/{need_id}", token=walk.organizer.token, json={"volunteers_needed": 4}), 204)
    need = expect(walk.api.get(f"/api/needs/{need_id}", walk.organizer.token), 200)
    assert (need["volunteers_needed"], need["places_left"], need["status"]) == (4, 3, "open")
    assert expect(walk.api.get(f"/api/shifts/{need['shift_id']}", walk.organizer.token), 200)["capacity"] == 4

    before = event_count(services)
    problem = expect(walk.api.request("PATCH", f"/api/needs/{need_id}", token=walk.organizer.token, json={"volunteers_needed": 0}), 422)
    assert problem["field"] == "volunteers_needed"
    expect(walk.api.request("PATCH", f"/api/needs/{need_id}", token=person.token, json={"volunteers_needed": 3}), 403)
    assert event_count(services) == before

    expect(walk.api.request("PATCH", f"/api/needs/{need_id}", token=walk.organizer.token, json={"volunteers_needed": 1}), 204)
    need = expect(walk.api.get(f"/api/needs/{need_id}", walk.organizer.token), 200)
    assert (need["volunteers_needed"], need["places_left"], need["status"]) == (1, 0, "filled")


def test_an_organizer_moves_a_need_to_another_time_while_nobody_is_signed_up(walk: Walk, places: None, services: Services) -> None:
    person = supplier(walk)  # free on Thursday mornings only
    need_id = post_need(walk, volunteers_needed=1)  # Thursday 10:00-12:00
    need = expect(walk.api.get(f"/api/needs/{need_id}", walk.organizer.token), 200)
    morning = (need["starts_at"], need["ends_at"])
    afternoon_start = walk.clock() + timedelta(days=1, hours=4)
    afternoon = {"starts_at": afternoon_start.isoformat(), "ends_at": (afternoon_start + timedelta(hours=2)).isoformat()}

    def ranked() -> list[str]:
        return [c["volunteer_id"] for c in expect(walk.api.get(f"/api/needs/{need_id}/candidates", walk.organizer.token), 200)["candidates"]]

    assert ranked() == [person.id]
    expect(walk.api.request("PATCH", f"/api/needs/{need_id}", token=walk.organizer.token, json=afternoon), 204)
    need = expect(walk.api.get(f"/api/needs/{need_id}", walk.organizer.token), 200)
    shift = expect(walk.api.get(f"/api/shifts/{need['shift_id']}", walk.organizer.token), 200)
    assert (need["starts_at"], need["ends_at"]) == (shift["starts_at"], shift["ends_at"]) != morning
    assert expect(walk.api.get("/api/needs", person.token, district="朝阳区"), 200)[0]["starts_at"] == need["starts_at"]
    assert ranked() == []  # the afternoon is outside their window
    why = expect(walk.api.get(f"/api/needs/{need_id}/candidates", walk.organizer.token, volunteer_id=person.id), 200)
    assert why["explained"]["excluded_by"] == "availability"

    # Only the end: the start stays. Back to the morning, then a run signs the volunteer up.
    expect(walk.api.request("PATCH", f"/api/needs/{need_id}", token=walk.organizer.token, json={"starts_at": morning[0]}), 204)
    expect(walk.api.request("PATCH", f"/api/needs/{need_id}", token=walk.organizer.token, json={"ends_at": morning[1]}), 204)
    assert (expect(walk.api.get(f"/api/needs/{need_id}", walk.organizer.token), 200)["starts_at"],) == (morning[0],)
    assert ranked() == [person.id]

    # Bad input changes nothing: an end before the start (in the body, or against the kept start),
    # a window that has ended, a time with no offset, someone else's need.
    before = event_count(services)
    past = walk.clock() - timedelta(hours=3)
    for body, status, field in (
        ({"starts_at": afternoon["ends_at"], "ends_at": afternoon["starts_at"]}, 422, "ends_at"),
        ({"ends_at": (walk.clock() + timedelta(hours=1)).isoformat()}, 422, "ends_at"),
        ({"starts_at": past.isoformat(), "ends_at": (past + timedelta(hours=1)).isoformat()}, 422, "ends_at"),
        ({"starts_at": "2030-01-01T10:00:00"}, 422, "starts_at"),
        ({"starts_at": afternoon["starts_at"], "ends_at": (afternoon_start + timedelta(hours=30)).isoformat()}, 422, "ends_at"),
    ):
        problem = expect(walk.api.request("PATCH", f"/api/needs/{need_id}", token=walk.organizer.token, json=body), status)
        assert problem["field"] == field, (body, problem)
    expect(walk.api.request("PATCH", f"/api/needs/{need_id}", token=person.token, json=afternoon), 403)
    assert event_count(services) == before

    expect(walk.api.post("/api/matching/runs", {"district": "朝阳区"}, walk.admin), 201)
    proposal = expect(walk.api.get(f"/api/needs/{need_id}/proposals", walk.organizer.token), 200)[0]
    # A proposal is open, nobody is signed up: the need may move; the proposal, made for the morning,
    # cannot be accepted for the afternoon (outside the volunteer's windows), and can once it is back.
    expect(walk.api.request("PATCH", f"/api/needs/{need_id}", token=walk.organizer.token, json=afternoon), 204)
    before = event_count(services)
    problem = expect(walk.api.post(f"/api/proposals/{proposal['id']}/accept", {}, walk.organizer.token), 422)
    assert problem["field"] == "proposal_id" and "availability" in problem["message"]
    assert event_count(services) == before
    expect(walk.api.request("PATCH", f"/api/needs/{need_id}", token=walk.organizer.token,
                            json={"starts_at": morning[0], "ends_at": morning[1]}), 204)
    expect(walk.api.post(f"/api/proposals/{proposal['id']}/accept", {}, walk.organizer.token), 204)
    # Signed up (and the need filled): the time cannot move; an open need with a sign-up is refused with a 409.
    assert expect(walk.api.request("PATCH", f"/api/needs/{need_id}", token=walk.organizer.token, json=afternoon), 409)["field"] == "need_id"
    other = supplier(walk, community="三里屯北社区")
    two = post_need(walk, volunteers_needed=2, starts_in=timedelta(days=1, hours=1))
    expect(walk.api.post("/api/matching/runs", {"district": "朝阳区"}, walk.admin), 201)
    proposals = expect(walk.api.get(f"/api/needs/{two}/proposals", walk.organizer.token), 200)
    assert [p["volunteer_id"] for p in proposals] == [other.id]  # the first is booked then
    expect(walk.api.post(f"/api/proposals/{proposals[0]['id']}/accept", {}, walk.organizer.token), 204)
    before = event_count(services)
    problem = expect(walk.api.request("PATCH", f"/api/needs/{two}", token=walk.organizer.token, json=afternoon), 409)
    assert problem["field"] == "starts_at" and "signed up" in problem["message"]
    assert event_count(services) == before


def test_a_station_posts_needs_on_behalf_of_its_community_and_no_other(walk: Walk, places: None, services: Services) -> None:
    station = {"district": "朝阳区", "street": "三里屯街道", "community": "幸福村社区"}
    organization = f"/api/organizations/{walk.organization_id}"
    assert expect(walk.api.get(organization, walk.organizer.token), 200)["station"] is None
    expect(walk.api.post(f"{organization}/station", station, walk.organizer.token), 403)  # admins designate stations

    # Refused, changing nothing: an unregistered community, another district's, an unverified organization.
    haidian = {"district": "海淀区", "street": "学院路街道", "community": "石油大院社区"}
    expect(walk.api.post("/api/places", {"rows": [haidian]}, walk.admin), 201)
    other = expect(walk.api.post("/api/organizations", {"name": "幸福村志愿者协会", "district": "朝阳区"}, walk.organizer.token), 201)["id"]
    before = event_count(services)
    assert expect(walk.api.post(f"{organization}/station", {**station, "community": "不存在社区"}, walk.admin), 422)["field"] == "community"
    assert expect(walk.api.post(f"{organization}/station", haidian, walk.admin), 422)["field"] == "district"
    assert expect(walk.api.post(f"/api/organizations/{other}/station", station, walk.admin), 422)["field"] == "organization_id"
    assert event_count(services) == before

    expect(walk.api.post(f"{organization}/station", station, walk.admin), 204)
    assert expect(walk.api.get(organization, walk.organizer.token), 200)["station"] == station
    # One organization a station, one station an organization.
    expect(walk.api.post(f"/api/organizations/{other}/verify", token=walk.admin), 200)
    assert expect(walk.api.post(f"/api/organizations/{other}/station", station, walk.admin), 409)["field"] == "community"
    assert expect(walk.api.post(f"{organization}/station", {**station, "community": "三里屯北社区"}, walk.admin), 409)["field"] == "organization_id"

    need_id = post_need(walk)  # for its own community
    need = expect(walk.api.get(f"/api/needs/{need_id}", walk.organizer.token), 200)
    assert (need["by_station"], need["organization_name"]) == (True, "三里屯社区志愿服务队")
    found = expect(walk.api.get("/api/needs", walk.volunteer().token, station="幸福村社区"), 200)
    assert [(n["id"], n["by_station"]) for n in found] == [(need_id, True)]
    before = event_count(services)
    problem = expect(walk.api.post("/api/needs", need_body(walk, community="三里屯北社区"), walk.organizer.token), 422)
    assert problem["field"] == "community" and "幸福村社区" in problem["message"]
    assert event_count(services) == before

    # The other organization, now the station of 三里屯北社区, posts for that community only.
    expect(walk.api.post(f"/api/organizations/{other}/station", {**station, "community": "三里屯北社区"}, walk.admin), 204)
    project = expect(walk.api.post("/api/projects", {"organization_id": other, "name": "助老", "category": "elderly_care",
                                                     "person_in_charge": "李老师"}, walk.organizer.token), 201)["id"]
    problem = expect(walk.api.post("/api/needs", need_body(walk, organization_id=other, project_id=project), walk.organizer.token), 422)
    assert problem["field"] == "community"
