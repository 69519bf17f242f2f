"""Problem lists over HTTP: 建账 -> 整改 -> 复查 (reopened once) -> 整改 -> 复查 -> 销账, every step and its actor in
the history; refusals name the reason and write nothing; the clock flags an overdue problem exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from api.clock import run_flag_overdue_problems
from tests.api.conftest import Person, Walk, expect, register
from timebank.clock import local_date

EVIDENCE = "0f" * 32


class Office:
    """The walk's organization as a member unit, an inspector appointed by the office, and another unit."""

    def __init__(self, walk: Walk) -> None:
        self.walk = walk
        expect(walk.api.post("/api/member-units", {"organization_id": walk.organization_id}, walk.admin), 201)
        self.inspector = register(walk.api, name="孙督查")
        expect(walk.api.post("/api/inspectors", {"volunteer_id": self.inspector.id}, walk.admin), 201)
        self.rival = register(walk.api, name="周其他")
        self.rival_unit = expect(walk.api.post("/api/organizations", {"name": "海淀文明实践所", "district": "海淀区"}, self.rival.token), 201)["id"]
        expect(walk.api.post(f"/api/organizations/{self.rival_unit}/verify", token=walk.admin), 200)
        expect(walk.api.post("/api/member-units", {"organization_id": self.rival_unit}, walk.admin), 201)

    def problem_body(self, **overrides: Any) -> dict[str, Any]:
        deadline = local_date(self.walk.clock()) + timedelta(days=7)
        return {
            "organization_id": self.walk.organization_id, "district": "朝阳区", "area_level": "station", "area_name": "三里屯社区新时代文明实践站",
            "category": "环境卫生", "description": "宣传栏破损，内容过期", "evidence_digests": [EVIDENCE], "deadline": deadline.isoformat(),
            **overrides,
        }

    def record(self, **overrides: Any) -> str:
        problem_id: str = expect(self.walk.api.post("/api/problems", self.problem_body(**overrides), self.inspector.token), 201)["id"]
        return problem_id

    def rectify(self, problem_id: str, token: str | None = None) -> Any:
        body = {"description": "更换宣传栏并更新内容", "evidence_digests": [EVIDENCE]}
        return self.walk.api.post(f"/api/problems/{problem_id}/rectification", body, token or self.walk.organizer.token)

    def recheck(self, problem_id: str, outcome: str, note: str = "") -> Any:
        return self.walk.api.post(f"/api/problems/{problem_id}/recheck", {"outcome": outcome, "note": note}, self.inspector.token)

    def close(self, problem_id: str, person: Person | None = None) -> Any:
        return self.walk.api.post(f"/api/problems/{problem_id}/close", {"note": "销账"}, (person or self.inspector).token)


def test_a_problem_is_recorded_rectified_reopened_rectified_again_and_closed_with_every_step_in_its_history(walk: Walk) -> None:
    office = Office(walk)
    problem = office.record()
    expect(office.rectify(problem), 201)
    expect(office.recheck(problem, "reopened", "宣传内容仍未更新"), 200)
    walk.clock.advance(days=2)
    expect(office.rectify(problem), 201)
    expect(office.recheck(problem, "passed", "已整改到位"), 200)
    expect(office.close(problem), 200)

    inspector, unit = f"volunteer:{office.inspector.id}", f"volunteer:{walk.organizer.id}"
    for reader in (walk.organizer.token, office.inspector.token, walk.auditor(), walk.admin):
        steps = expect(walk.api.get(f"/api/problems/{problem}/history", reader), 200)
        assert [(s["type"], s["actor"]) for s in steps] == [
            ("Problem.Recorded", inspector), ("Problem.Rectified", unit), ("Problem.Rechecked", inspector),
            ("Problem.Rectified", unit), ("Problem.Rechecked", inspector), ("Problem.Closed", inspector),
        ]
    assert [s["data"].get("outcome") for s in steps if s["type"] == "Problem.Rechecked"] == ["reopened", "passed"]
    assert steps[2]["data"]["note"] == "宣传内容仍未更新"
    shown = expect(walk.api.get(f"/api/problems/{problem}", walk.organizer.token), 200)
    assert (shown["status"], shown["rectifications"], shown["reopened"], shown["closure_days"]) == ("closed", 2, 1, 2)
    stranger = register(walk.api, name="吴路人")
    expect(walk.api.get(f"/api/problems/{problem}/history", stranger.token), 404)
    expect(walk.api.get(f"/api/problems/{problem}", office.rival.token), 404)


def test_closing_a_problem_never_rechecked_is_refused_by_reason_and_writes_nothing(walk: Walk) -> None:
    office = Office(walk)
    problem = office.record()
    expect(office.rectify(problem), 201)
    before = walk.event_count()

    refused = expect(office.close(problem), 422)

    assert refused["field"] == "problem_id" and "re-check" in refused["message"]
    assert walk.event_count() == before


def test_rectifying_another_units_problem_is_refused_and_writes_nothing(walk: Walk) -> None:
    office = Office(walk)
    problem = office.record()
    before = walk.event_count()

    refused = expect(office.rectify(problem, token=office.rival.token), 403)

    assert "only the responsible unit's organizers record its rectification" in refused["message"]
    assert walk.event_count() == before


def test_a_deadline_in_the_past_and_other_bad_input_name_the_field_and_write_nothing(walk: Walk) -> None:
    office = Office(walk)
    yesterday = (local_date(walk.clock()) - timedelta(days=1)).isoformat()
    before = walk.event_count()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"deadline": yesterday}, "deadline"),
        ({"area_level": "building"}, "area_level"),
        ({"district": "浦东新区"}, "district"),
        ({"evidence_digests": ["xyz"]}, "evidence_digests.0"),
        ({"description": ""}, "description"),
        ({"organization_id": office.inspector.id}, "organization_id"),  # a volunteer, not a member unit
    ]
    for overrides, field in cases:
        response = walk.api.post("/api/problems", office.problem_body(**overrides), office.inspector.token)
        assert expect(response, 422)["field"] == field, overrides
    expect(walk.api.post("/api/problems", office.problem_body(), walk.organizer.token), 403)  # not an inspector
    assert walk.event_count() == before


def test_a_reopening_needs_its_reason(walk: Walk) -> None:
    office = Office(walk)
    problem = office.record()
    expect(office.rectify(problem), 201)
    before = walk.event_count()
    assert expect(office.recheck(problem, "reopened"), 422)["field"] == "note"
    assert walk.event_count() == before


def test_an_overdue_problem_is_flagged_by_the_clock_exactly_once(walk: Walk) -> None:
    office = Office(walk)
    overdue = office.record()
    rectified_in_time = office.record()
    expect(office.rectify(rectified_in_time), 201)
    services = walk.services
    services.projector.wait_for(walk.api.position, 5)
    assert run_flag_overdue_problems(services) == 0  # the deadline is a week away

    walk.clock.advance(days=8)
    assert run_flag_overdue_problems(services) == 1
    assert run_flag_overdue_problems(services) == 0  # the view may still list it: the command re-checks the aggregate
    head = services.timebank.recorder.max_notification_id() or 0
    services.projector.wait_for(head, 5)
    assert run_flag_overdue_problems(services) == 0

    listed = expect(walk.api.get("/api/problems", walk.admin, overdue="true", min_position=head), 200)
    assert [p["id"] for p in listed] == [overdue]
    steps = expect(walk.api.get(f"/api/problems/{overdue}/history", walk.admin), 200)
    assert [s["type"] for s in steps].count("Problem.FlaggedOverdue") == 1 and steps[-1]["actor"] == "system:-"


def test_the_public_bulletin_counts_by_district_and_unit_and_names_no_person(walk: Walk) -> None:
    office = Office(walk)
    closed = office.record()
    expect(office.rectify(closed), 201)
    expect(office.recheck(closed, "passed"), 200)
    walk.clock.advance(days=3)
    expect(office.close(closed), 200)
    office.record(organization_id=office.rival_unit, district="海淀区", area_name="海淀街道")

    response = walk.api.get("/api/problems/bulletin")  # no token: it is public

    bulletin = expect(response, 200)
    assert (bulletin["recorded"], bulletin["closed"], bulletin["unclosed"]) == (2, 1, 1)
    assert bulletin["closure_days"] == {"average": 3.0, "median": 3, "max": 3}
    assert {(d["district"], d["unclosed"]) for d in bulletin["by_district"]} == {("朝阳区", 0), ("海淀区", 1)}
    assert {u["unit"] for u in bulletin["by_unit"]} == {"三里屯社区志愿服务队", "海淀文明实践所"}
    text = response.get_data(as_text=True)
    assert office.inspector.id not in text and "孙督查" not in text and "volunteer:" not in text


def test_units_list_their_own_problems_and_inspectors_list_all_by_age(walk: Walk) -> None:
    office = Office(walk)
    older = office.record()
    walk.clock.advance(days=1)
    office.record(organization_id=office.rival_unit, district="海淀区", area_name="海淀街道")
    all_open = expect(walk.api.get("/api/problems", office.inspector.token), 200)
    assert [p["age_days"] for p in all_open] == [1, 0] and all_open[0]["id"] == older
    own = expect(walk.api.get("/api/problems", walk.organizer.token, organization_id=walk.organization_id), 200)
    assert [p["id"] for p in own] == [older]
    expect(walk.api.get("/api/problems", walk.organizer.token), 403)
    expect(walk.api.get("/api/problems", walk.organizer.token, organization_id=office.rival_unit), 404)
