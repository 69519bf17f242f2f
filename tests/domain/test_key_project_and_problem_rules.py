"""Rules of the key-project and problem aggregates, without I/O."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from uuid import uuid4

import pytest

from timebank.domain.actors import SYSTEM, Actor, Role
from timebank.domain.digests import check_digests
from timebank.domain.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from timebank.domain.key_projects import KeyProject, KeyProjectQuota
from timebank.domain.problems import Problem
from timebank.domain.rules import KEY_PROJECT_CATEGORIES, RuleBook, RuleSet

AT = datetime(2026, 11, 18, 2, tzinfo=timezone.utc)
TODAY = date(2026, 11, 18)
OFFICE = Actor(Role.ADMIN, uuid4())


def a_project() -> KeyProject:
    return KeyProject(organization_id=uuid4(), year=2026, category="文明宣传", title="t", description="", rules_version="v",
                      actor="volunteer:x", at=AT)


def a_problem(deadline: date = date(2026, 11, 25)) -> Problem:
    return Problem(organization_id=uuid4(), district="朝阳区", area_level="community", area_name="c", category="k",
                   description="d", evidence_digests=[], deadline=deadline, actor="volunteer:i", at=AT)


def test_the_default_rules_allow_two_projects_a_year_in_four_categories() -> None:
    rules = RuleBook().in_force(TODAY)
    assert rules.key_projects_per_unit_per_year == 2
    assert rules.key_project_categories == KEY_PROJECT_CATEGORIES == ("制度建设", "文明宣传", "文明治理", "机关建设")


def test_a_rules_file_may_change_the_quota_and_the_categories(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text('[{"version": "v2", "effective_from": "2026-01-01", "key_projects_per_unit_per_year": 3, '
                    '"key_project_categories": ["制度建设"]}]', encoding="utf-8")
    rules = RuleBook.from_file(path).in_force(TODAY)
    assert (rules.key_projects_per_unit_per_year, rules.key_project_categories) == (3, ("制度建设",))
    assert RuleBook.from_file(path).describe()[0]["key_project_categories"] == ["制度建设"]
    with pytest.raises(ValueError):
        RuleSet(version="bad", effective_from=TODAY, key_projects_per_unit_per_year=0)


def test_the_quota_counts_every_registration_of_the_year() -> None:
    quota = KeyProjectQuota(organization_id=uuid4(), year=2026, actor="a", at=AT)
    quota.take(uuid4(), 2, "a", AT)
    quota.take(uuid4(), 2, "a", AT)
    with pytest.raises(RuleViolation) as refused:
        quota.take(uuid4(), 2, "a", AT)
    assert refused.value.field == "year" and len(quota.projects) == 2


def test_a_project_ends_once_completed_carried_over_or_unfinished() -> None:
    for end in (
        lambda p: p.close_out("r", [], OFFICE, AT),
        lambda p: p.carry_over("延期", OFFICE, AT),
        lambda p: p.close_unfinished("取消", OFFICE, AT),
    ):
        project = a_project()
        end(project)
        with pytest.raises(Conflict):
            project.close_out("again", [], OFFICE, AT)
    with pytest.raises(InvalidInput) as blank:
        a_project().carry_over("  ", OFFICE, AT)
    assert blank.value.field == "reason"
    with pytest.raises(Forbidden):
        a_project().close_out("r", [], Actor(Role.AUDITOR, uuid4()), AT)


def test_digests_are_sha256_hex_each_once() -> None:
    assert check_digests(["AB" * 32], "f") == ["ab" * 32]
    for bad in (["ab"], ["zz" * 32], ["ab" * 32, "AB" * 32]):
        with pytest.raises(InvalidInput) as refused:
            check_digests(bad, "attachment_digests")
        assert refused.value.field == "attachment_digests"


def test_a_problem_needs_a_deadline_not_in_the_past_and_a_known_area() -> None:
    with pytest.raises(InvalidInput) as past:
        Problem.check_record("street", date(2026, 11, 17), TODAY, [])
    assert past.value.field == "deadline"
    assert Problem.check_record("station", TODAY, TODAY, []) == []  # today is not past
    with pytest.raises(InvalidInput) as area:
        Problem.check_record("building", TODAY, TODAY, [])
    assert area.value.field == "area_level"


def test_a_problem_closes_only_after_a_passed_recheck() -> None:
    problem = a_problem()
    with pytest.raises(RuleViolation):
        problem.close("", "volunteer:i", AT)
    problem.rectify("done", [], "volunteer:u", AT)
    with pytest.raises(RuleViolation):
        problem.close("", "volunteer:i", AT)
    problem.recheck("reopened", "not yet", "volunteer:i", AT)
    assert (problem.status, problem.reopened) == ("open", 1)
    problem.rectify("done again", [], "volunteer:u", AT)
    problem.recheck("passed", "", "volunteer:i", AT)
    problem.close("", "volunteer:i", AT)
    assert problem.status == "closed"
    with pytest.raises(RuleViolation):
        problem.rectify("after closing", [], "volunteer:u", AT)


def test_only_the_clock_flags_an_overdue_problem_and_only_once() -> None:
    problem = a_problem(deadline=date(2026, 11, 20))
    with pytest.raises(RuleViolation):
        problem.flag_overdue(date(2026, 11, 20), SYSTEM, AT)  # due today: not overdue yet
    with pytest.raises(Forbidden):
        problem.flag_overdue(date(2026, 11, 21), OFFICE, AT)
    problem.flag_overdue(date(2026, 11, 21), SYSTEM, AT)
    with pytest.raises(Conflict):
        problem.flag_overdue(date(2026, 11, 22), SYSTEM, AT)
