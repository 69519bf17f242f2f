"""Star levels (星级) over HTTP: awarded by the clock from confirmed hours, once, explained by the rule version."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from api.clock import run_five_star_grants, run_star_levels
from api.services import Services
from tests.api.conftest import Person, Walk, event_count, expect
from tests.builders import FixedClock
from timebank.settings import Settings

# The eight working days before the test clock's start (Wednesday 2026-11-18), within the recording deadline.
WORKING_DAYS = ["2026-11-17", "2026-11-16", "2026-11-13", "2026-11-12", "2026-11-11", "2026-11-10", "2026-11-09", "2026-11-06"]


def entries(person: Person, minutes_per_day: int, days: int) -> list[dict[str, Any]]:
    return [
        {"volunteer_id": person.id, "service_date": day, "service_minutes": minutes_per_day, "content": "助老送餐"}
        for day in WORKING_DAYS[:days]
    ]


def bulk(walk: Walk, body_entries: list[dict[str, Any]], project_id: str | None = None) -> list[str]:
    body = {"project_id": project_id or walk.project_id, "entries": body_entries}
    ids: list[str] = expect(walk.api.post("/api/service-records/batch", body, walk.organizer.token), 201)["ids"]
    return ids


def star_level(walk: Walk, person: Person) -> dict[str, Any]:
    body: dict[str, Any] = expect(walk.api.get(f"/api/volunteers/{person.id}/star-level", person.token), 200)
    return body


def clock_run(services: Services, job: Any) -> int:
    """What the clock process does: the views have caught up with the log, then the job runs."""
    services.projector.catch_up()
    result: int = job(services)
    services.projector.catch_up()
    return result


def test_crossing_100_hours_awards_one_star_exactly_once_explained_by_the_rule_version(walk: Walk, services: Services) -> None:
    volunteer = walk.volunteer()
    bulk(walk, entries(volunteer, 750, 7))  # 87.5 h
    assert clock_run(services, run_star_levels) == 1  # the first service and the 50 h milestone
    below = star_level(walk, volunteer)
    assert below["level"] == 0 and below["next_threshold_hours"] == 100 and below["hours_to_go"] == 12.5
    assert [m["name"] for m in below["milestones"]] == ["first_service", "50h"]

    bulk(walk, entries(volunteer, 750, 8)[7:])  # 100 h
    before = event_count(services)
    assert clock_run(services, run_star_levels) == 1
    assert event_count(services) == before + 2  # one level, one milestone (100 h)
    assert clock_run(services, run_star_levels) == 0  # twice changes nothing
    assert event_count(services) == before + 2

    level = star_level(walk, volunteer)
    assert (level["level"], level["awarded_under_rules_version"], level["awarded_threshold_hours"]) == (1, "beijing-2021", 100)
    assert (level["counted_hours"], level["next_level"], level["next_threshold_hours"], level["hours_to_go"]) == (100, 2, 300, 200)
    assert level["hours_below_level_held"] is False
    assert [m["name"] for m in level["milestones"]] == ["first_service", "50h", "100h"]


def test_excluded_categories_do_not_count_and_the_explanation_says_why(walk: Walk, services: Services) -> None:
    volunteer = walk.volunteer()
    routine = {"organization_id": walk.organization_id, "name": "社区例行值班", "category": "community_staff_routine", "person_in_charge": "王老师"}
    routine_project = expect(walk.api.post("/api/projects", routine, walk.organizer.token), 201)["id"]
    bulk(walk, entries(volunteer, 900, 7), routine_project)  # 105 h of routine work
    bulk(walk, [{"volunteer_id": volunteer.id, "service_date": WORKING_DAYS[7], "service_minutes": 120, "content": "助老"}])
    clock_run(services, run_star_levels)
    level = star_level(walk, volunteer)
    assert (level["level"], level["counted_minutes"], level["excluded_minutes"]) == (0, 120, 6300)
    assert level["excluded"] == [{
        "category": "community_staff_routine", "minutes": 6300,
        "reason": "the rules beijing-2021 exclude community_staff_routine from star levels",
    }]
    assert [m["name"] for m in level["milestones"]] == ["first_service"]


def test_a_correction_below_the_threshold_keeps_the_level_flags_it_and_never_awards_it_again(walk: Walk, services: Services) -> None:
    volunteer = walk.volunteer()
    ids = bulk(walk, entries(volunteer, 750, 8))  # 100 h
    clock_run(services, run_star_levels)
    expect(walk.api.post(f"/api/service-records/{ids[0]}/corrections", {"service_minutes": 150, "reason": "录入有误"}, walk.organizer.token), 201)
    before = event_count(services)
    assert clock_run(services, run_star_levels) == 0
    assert event_count(services) == before
    level = star_level(walk, volunteer)
    assert (level["level"], level["counted_hours"], level["hours_below_level_held"]) == (1, 90, True)
    assert level["next_threshold_hours"] == 300  # the next award is two stars, at 300 h; one star is not awarded again
    bulk(walk, [{"volunteer_id": volunteer.id, "service_date": WORKING_DAYS[0], "service_minutes": 700, "content": "补录"}])
    assert clock_run(services, run_star_levels) == 0  # back above 100 h: the star is held already
    assert star_level(walk, volunteer)["hours_below_level_held"] is False


def test_others_cannot_read_a_volunteers_star_level(walk: Walk) -> None:
    volunteer, stranger = walk.volunteer(), walk.volunteer()
    expect(walk.api.get(f"/api/volunteers/{volunteer.id}/star-level", stranger.token), 404)
    assert expect(walk.api.get(f"/api/volunteers/{volunteer.id}/star-level", walk.auditor()), 200)["level"] == 0


# Five stars, under a rule set with small thresholds so that a few entries reach them ----------------
def four_star_volunteer(walk: Walk, services: Services) -> Person:
    volunteer = walk.volunteer()
    bulk(walk, entries(volunteer, 300, 1))  # 5 h: four stars by hours, five need the nomination
    clock_run(services, run_star_levels)
    assert star_level(walk, volunteer)["level"] == 4
    return volunteer


def nominate(walk: Walk, volunteer: Person) -> Any:
    body = {"organization_id": walk.organization_id, "reason": "十年如一日助老"}
    return walk.api.post(f"/api/volunteers/{volunteer.id}/star-level/nominations", body, walk.organizer.token)


class TestFiveStars:
    @pytest.fixture
    def settings(self, settings: Settings, tmp_path: Path) -> Settings:
        """The default rules, and from 2026-11-01 a set with thresholds of 1-5 hours."""
        rules = [
            {"version": "beijing-trial", "effective_from": "2014-01-01", "star_level_thresholds_hours": [100, 200, 500, 800, 1000]},
            {"version": "beijing-2021", "effective_from": "2021-03-01"},
            {"version": "small", "effective_from": "2026-11-01", "star_level_thresholds_hours": [1, 2, 3, 4, 5], "milestone_hours": []},
        ]
        path = tmp_path / "rules.json"
        path.write_text(json.dumps(rules), encoding="utf-8")
        return replace(settings, rules_file=path)

    def test_five_stars_are_granted_after_the_public_notice_and_not_before(self, walk: Walk, services: Services, clock: FixedClock) -> None:
        volunteer = four_star_volunteer(walk, services)
        nominated = expect(nominate(walk, volunteer), 201)
        assert nominated["notice_ends_on"] == "2026-11-25"  # five working days after Wednesday 18th
        objector = walk.volunteer()
        objection = expect(walk.api.post(f"/api/volunteers/{volunteer.id}/star-level/objections", {"reason": "时长存疑"}, objector.token), 201)["id"]
        clock.set(clock().replace(day=25))  # the last day of the notice
        assert clock_run(services, run_five_star_grants) == 0
        clock.advance(days=1)  # the notice has ended, but an objection is undecided
        assert clock_run(services, run_five_star_grants) == 0
        decision = {"upheld": False, "reason": "核实无误"}
        expect(walk.api.post(f"/api/volunteers/{volunteer.id}/star-level/objections/{objection}/decision", decision, walk.admin), 200)
        assert clock_run(services, run_five_star_grants) == 1
        assert clock_run(services, run_five_star_grants) == 0
        level = star_level(walk, volunteer)
        assert (level["level"], level["awarded_under_rules_version"], level["next_level"]) == (5, "small", None)
        assert level["nomination"]["status"] == "granted"
        assert level["nomination"]["objections"] == [{"id": objection, "status": "dismissed"}]


    def test_an_upheld_objection_ends_the_nomination(self, walk: Walk, services: Services, clock: FixedClock) -> None:
        volunteer = four_star_volunteer(walk, services)
        expect(nominate(walk, volunteer), 201)
        objection = expect(walk.api.post(f"/api/volunteers/{volunteer.id}/star-level/objections", {"reason": "冒名"}, walk.volunteer().token), 201)["id"]
        expect(walk.api.post(f"/api/volunteers/{volunteer.id}/star-level/objections/{objection}/decision", {"upheld": True, "reason": "属实"}, walk.admin), 200)
        clock.advance(days=14)
        assert clock_run(services, run_five_star_grants) == 0
        level = star_level(walk, volunteer)
        assert (level["level"], level["nomination"]["status"]) == (4, "rejected")


    def test_bad_nominations_and_objections_are_refused_naming_the_reason_and_write_nothing(self, walk: Walk, services: Services, clock: FixedClock) -> None:
        newcomer, objector = walk.volunteer(), walk.volunteer()
        before = event_count(services)
        problem = expect(nominate(walk, newcomer), 422)
        assert problem["field"] == "volunteer_id" and "four stars" in problem["message"]
        problem = expect(walk.api.post(f"/api/volunteers/{newcomer.id}/star-level/objections", {"reason": "x"}, objector.token), 409)
        assert "no five-star nomination" in problem["message"]
        assert event_count(services) == before
        volunteer = four_star_volunteer(walk, services)
        before = event_count(services)
        body = {"organization_id": walk.organization_id, "reason": "x"}
        expect(walk.api.post(f"/api/volunteers/{volunteer.id}/star-level/nominations", body, objector.token), 403)  # organizes nothing
        expect(walk.api.post(f"/api/volunteers/{volunteer.id}/star-level/nominations", {**body, "extra": 1}, walk.organizer.token), 422)
        assert expect(walk.api.post(f"/api/volunteers/{volunteer.id}/star-level/nominations", {**body, "reason": "  "}, walk.organizer.token), 422)["field"] == "reason"
        assert event_count(services) == before
        expect(nominate(walk, volunteer), 201)
        before = event_count(services)
        assert expect(nominate(walk, volunteer), 409)["field"] == "volunteer_id"  # already in its notice
        clock.advance(days=8)
        problem = expect(walk.api.post(f"/api/volunteers/{volunteer.id}/star-level/objections", {"reason": "迟到的异议"}, objector.token), 422)
        assert "public notice ended" in problem["message"]
        assert event_count(services) == before


def test_trial_rules_apply_to_awards_while_they_are_in_force(walk: Walk, services: Services, clock: FixedClock) -> None:
    from datetime import datetime, timezone

    volunteer = walk.volunteer()
    bulk(walk, entries(volunteer, 300, 1))
    clock.set(datetime(2020, 6, 3, 2, 0, tzinfo=timezone.utc))  # the awards below are made while the trial rules are in force
    assert clock_run(services, run_star_levels) == 1
    level = star_level(walk, volunteer)
    assert (level["level"], level["rules_in_force"], level["thresholds_hours"]) == (0, "beijing-trial", [100, 200, 500, 800, 1000])
    assert level["milestones"][0]["rules_version"] == "beijing-trial"
