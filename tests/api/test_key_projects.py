"""Key-project ledgers over HTTP: a member unit registers its two projects, the office checks and closes
them out, and the year's ledger shows every project completed; a third is refused and writes nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.api.conftest import Walk, expect, register
from timebank.domain.actors import Role

YEAR = 2026  # the test clock's year
DIGEST = "ab" * 32


def a_member_unit(walk: Walk) -> str:
    """The walk's organization, designated a member unit by the office (an admin)."""
    unit_id: str = expect(walk.api.post("/api/member-units", {"organization_id": walk.organization_id}, walk.admin), 201)["id"]
    return unit_id


def register_project(walk: Walk, unit_id: str, category: str = "文明宣传", **overrides: Any) -> Any:
    body = {"organization_id": unit_id, "year": YEAR, "category": category, "title": f"{category}项目", **overrides}
    return walk.api.post("/api/key-projects", body, walk.organizer.token)


def test_a_unit_registers_two_projects_the_office_closes_them_out_and_the_ledger_is_complete(walk: Walk) -> None:
    unit = a_member_unit(walk)
    first = expect(register_project(walk, unit, "制度建设"), 201)["id"]
    second = expect(register_project(walk, unit, "文明宣传"), 201)["id"]
    expect(walk.api.post(f"/api/key-projects/{first}/progress", {"text": "完成制度修订初稿"}, walk.organizer.token), 201)
    for project in (first, second):
        check = {"findings": "进度符合计划", "suggestions": "加强宣传"}
        expect(walk.api.post(f"/api/key-projects/{project}/half-year-check", check, walk.admin), 200)
        close_out = {"report": "全年工作总结", "attachment_digests": [DIGEST]}
        expect(walk.api.post(f"/api/key-projects/{project}/close-out", close_out, walk.admin), 200)

    completion = expect(walk.api.get("/api/key-projects/completion", walk.organizer.token, year=YEAR), 200)
    assert {k: completion[k] for k in ("units", "projects", "completed", "rate")} == {"units": 1, "projects": 2, "completed": 2, "rate": 1.0}
    assert completion["summary"] == f"{YEAR}: 1 units, 2 projects, all completed"
    ledger = expect(walk.api.get("/api/key-projects", walk.organizer.token, year=YEAR, organization_id=unit), 200)
    assert sorted((p["category"], p["status"], p["attachments"]) for p in ledger) == [("制度建设", "completed", 1), ("文明宣传", "completed", 1)]
    assert ledger[0]["unit"] == "三里屯社区志愿服务队" and all(p["half_year_checked_at"] for p in ledger)

    history = expect(walk.api.get(f"/api/aggregates/{first}/events", walk.organizer.token), 200)
    assert [(e["type"], e["actor"].split(":")[0]) for e in history] == [
        ("KeyProject.Registered", "volunteer"), ("KeyProject.ProgressReported", "volunteer"),
        ("KeyProject.HalfYearChecked", "admin"), ("KeyProject.ClosedOut", "admin"),
    ]


def test_a_third_project_where_the_quota_is_two_is_refused_and_writes_nothing(walk: Walk) -> None:
    unit = a_member_unit(walk)
    expect(register_project(walk, unit), 201)
    expect(register_project(walk, unit), 201)
    before = walk.event_count()

    refused = expect(register_project(walk, unit, "机关建设"), 422)

    assert refused["field"] == "year" and "quota is 2" in refused["message"]
    assert walk.event_count() == before
    assert expect(walk.api.get("/api/key-projects", walk.admin, year=YEAR), 200).__len__() == 2


def test_bad_registrations_name_the_field_and_write_nothing(walk: Walk) -> None:
    unit = a_member_unit(walk)
    stranger = register(walk.api, name="赵路人")
    before = walk.event_count()
    assert expect(register_project(walk, unit, "体育活动"), 422)["field"] == "category"
    assert expect(register_project(walk, unit, year=YEAR - 1), 422)["field"] == "year"
    assert expect(register_project(walk, unit, title="   "), 422)["field"] == "title"
    assert expect(register_project(walk, unit, colour="red"), 422)["field"] == "colour"
    body = {"organization_id": unit, "year": YEAR, "category": "文明宣传", "title": "别人的项目"}
    expect(walk.api.post("/api/key-projects", body, stranger.token), 403)
    assert walk.event_count() == before


def test_an_organization_that_is_not_a_member_unit_registers_nothing(walk: Walk) -> None:
    before = walk.event_count()
    refused = expect(register_project(walk, walk.organization_id), 422)
    assert refused["field"] == "organization_id" and "not a member unit" in refused["message"]
    assert walk.event_count() == before


def test_the_office_carries_one_project_over_and_closes_another_unfinished_with_reasons(walk: Walk) -> None:
    unit = a_member_unit(walk)
    first = expect(register_project(walk, unit), 201)["id"]
    second = expect(register_project(walk, unit, "文明治理"), 201)["id"]
    expect(walk.api.post(f"/api/key-projects/{first}/carry-over", {"reason": "场地改造延期"}, walk.admin), 200)
    expect(walk.api.post(f"/api/key-projects/{second}/close-unfinished", {"reason": "上级部署调整"}, walk.admin), 200)
    before = walk.event_count()
    again = expect(walk.api.post(f"/api/key-projects/{first}/close-out", {"report": "总结"}, walk.admin), 409)
    assert again["field"] == "project_id" and walk.event_count() == before

    completion = expect(walk.api.get("/api/key-projects/completion", walk.admin, year=YEAR), 200)
    assert (completion["completed"], completion["carried_over"], completion["unfinished"], completion["rate"]) == (0, 1, 1, 0.0)
    shown = expect(walk.api.get(f"/api/key-projects/{first}", walk.organizer.token), 200)
    assert (shown["status"], shown["reason"]) == ("carried_over", "场地改造延期")


def test_a_bad_attachment_digest_is_refused_by_name_and_writes_nothing(walk: Walk) -> None:
    unit = a_member_unit(walk)
    project = expect(register_project(walk, unit), 201)["id"]
    before = walk.event_count()
    refused = expect(walk.api.post(f"/api/key-projects/{project}/close-out", {"report": "总结", "attachment_digests": ["abc"]}, walk.admin), 422)
    assert refused["field"] == "attachment_digests.0"
    expect(walk.api.post(f"/api/key-projects/{project}/close-out", {"report": "总结"}, walk.organizer.token), 403)
    assert walk.event_count() == before


def test_the_ledger_exports_as_csv_for_excel_and_units_read_only_their_own(walk: Walk) -> None:
    unit = a_member_unit(walk)
    expect(register_project(walk, unit, title="文明家庭评选"), 201)
    response = walk.api.get("/api/key-projects/ledger.csv", walk.auditor(), year=YEAR)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["unit"], r["title"], r["status"]) for r in rows] == [("三里屯社区志愿服务队", "文明家庭评选", "in_progress")]

    stranger = register(walk.api, name="钱旁观")
    expect(walk.api.get("/api/key-projects", stranger.token, year=YEAR), 403)
    expect(walk.api.get("/api/key-projects", stranger.token, year=YEAR, organization_id=unit), 404)
    expect(walk.api.get("/api/key-projects/ledger.csv", stranger.token, year=YEAR, organization_id=unit), 404)


def test_the_quota_and_categories_are_rules_of_the_rule_set(walk: Walk) -> None:
    rules = expect(walk.api.get("/api/rules", walk.services.timebank.create_token(Role.AUDITOR)), 200)
    assert rules[0]["key_projects_per_unit_per_year"] == 2
    assert rules[0]["key_project_categories"] == ["制度建设", "文明宣传", "文明治理", "机关建设"]
