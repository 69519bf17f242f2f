"""The office's ledgers in the application: who may do what, the quota as a versioned rule and under a race,
the problem loop, and the overdue flag that the clock raises once."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from api.app import build_services
from api.services import Services
from tests.application.test_concurrency_and_snapshots import hold_first_save, race, sqlite_app
from tests.builders import FixedClock, a_verified_organization, a_volunteer, an_admin, an_auditor, as_volunteer, make_app, writes_nothing
from tests.conftest import race_in_processes
from timebank.application import TimeBank
from timebank.clock import local_date
from timebank.domain.actors import SYSTEM, Actor, Role
from timebank.domain.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from timebank.domain.key_projects import KeyProjectQuota
from timebank.domain.rules import RuleBook, RuleSet
from timebank.settings import Settings

YEAR = 2026
OFFICE = an_admin()


def a_member_unit(app: TimeBank) -> tuple[UUID, Actor]:
    """A verified organization designated a member unit, and its organizer."""
    organizer = a_volunteer(app)
    unit = a_verified_organization(app, organizer)
    app.designate_member_unit(OFFICE, unit)
    return unit, as_volunteer(organizer)


def an_inspector(app: TimeBank) -> Actor:
    person = a_volunteer(app)
    app.appoint_inspector(OFFICE, person.volunteer_id)
    return as_volunteer(person)


def register(app: TimeBank, unit: UUID, organizer: Actor, category: str = "文明宣传") -> UUID:
    return app.register_key_project(organizer, organization_id=unit, year=YEAR, category=category, title="文明家庭评选")


# Member units and key projects ------------------------------------------------------------
def test_only_the_office_designates_member_units_and_only_verified_organizations() -> None:
    app = make_app()
    organizer = a_volunteer(app)
    unverified = app.register_organization(as_volunteer(organizer), name="新队", district="朝阳区")
    with pytest.raises(RuleViolation, match="not verified"), writes_nothing(app):
        app.designate_member_unit(OFFICE, unverified)
    verified = a_verified_organization(app, organizer)
    for someone in (as_volunteer(organizer), an_auditor()):
        with pytest.raises(Forbidden), writes_nothing(app):
            app.designate_member_unit(someone, verified)
    app.designate_member_unit(OFFICE, verified)
    with pytest.raises(Conflict), writes_nothing(app):
        app.designate_member_unit(OFFICE, verified)


def test_the_quota_and_categories_follow_the_rule_set_in_force() -> None:
    rules = RuleBook((
        RuleSet(version="beijing-2021", effective_from=date(2021, 3, 1)),
        RuleSet(version="beijing-2026", effective_from=date(2026, 1, 1), key_projects_per_unit_per_year=3,
                key_project_categories=("制度建设", "志愿服务")),
    ))
    app = make_app(rules=rules)
    unit, organizer = a_member_unit(app)
    with pytest.raises(InvalidInput, match="category") as refused, writes_nothing(app):
        register(app, unit, organizer, "文明宣传")
    assert refused.value.field == "category"
    projects = [register(app, unit, organizer, "志愿服务") for _ in range(3)]
    with pytest.raises(RuleViolation, match="quota is 3"), writes_nothing(app):
        register(app, unit, organizer, "志愿服务")
    assert app.get_key_project(projects[0]).rules_version == "beijing-2026"


def test_only_the_units_organizers_register_and_report_and_only_the_office_checks_and_closes() -> None:
    app = make_app()
    unit, organizer = a_member_unit(app)
    _, rival = a_member_unit(app)
    with pytest.raises(Forbidden), writes_nothing(app):
        register(app, unit, rival)
    project = register(app, unit, organizer)
    with pytest.raises(Forbidden), writes_nothing(app):
        app.report_key_project_progress(rival, project, "别人的进度")
    for command in (
        lambda who: app.record_half_year_check(who, project, "按计划"),
        lambda who: app.close_out_key_project(who, project, "总结", []),
        lambda who: app.carry_over_key_project(who, project, "延期"),
        lambda who: app.close_key_project_unfinished(who, project, "取消"),
    ):
        for someone in (organizer, an_auditor()):
            with pytest.raises(Forbidden), writes_nothing(app):
                command(someone)
    app.report_key_project_progress(organizer, project, "完成一半")
    app.record_half_year_check(OFFICE, project, "按计划", "加强宣传")
    with pytest.raises(Conflict), writes_nothing(app):
        app.record_half_year_check(OFFICE, project, "再查一次")
    app.close_out_key_project(OFFICE, project, "全年总结", ["AB" * 32])
    done = app.get_key_project(project)
    assert (done.status, done.progress_reports, done.half_year_checked) == ("completed", 1, True)
    assert [type(e).__name__ for e in app.events.get(project)][-1] == "ClosedOut"
    with pytest.raises(Conflict), writes_nothing(app):
        app.report_key_project_progress(organizer, project, "结项之后")


def test_a_project_is_registered_for_this_year_or_the_next() -> None:
    app = make_app()
    unit, organizer = a_member_unit(app)
    for year in (YEAR - 1, YEAR + 2):
        with pytest.raises(InvalidInput) as refused, writes_nothing(app):
            app.register_key_project(organizer, organization_id=unit, year=year, category="文明宣传", title="t")
        assert refused.value.field == "year"
    app.register_key_project(organizer, organization_id=unit, year=YEAR + 1, category="文明宣传", title="明年的项目")


def test_two_registrations_racing_for_the_last_place_cannot_both_get_it(tmp_path: Path) -> None:
    first = sqlite_app(tmp_path)
    unit, organizer = a_member_unit(first)
    register(first, unit, organizer)  # one of two places taken
    second = sqlite_app(tmp_path)
    barrier = threading.Barrier(2)
    hold_first_save(first, barrier)
    hold_first_save(second, barrier)

    results = race(lambda: register(first, unit, organizer), lambda: register(second, unit, organizer, "制度建设"))

    assert sum(isinstance(r, RuleViolation) for r in results) == 1 and sum(isinstance(r, UUID) for r in results) == 1, results
    fresh = sqlite_app(tmp_path)
    quota: Any = fresh.repository.get(KeyProjectQuota.create_id(unit, YEAR))
    assert len(quota.projects) == 2


def _register_in_a_process(settings: Settings, unit: UUID, organizer: UUID, start: Any, results: Any) -> None:
    services = build_services(settings, clock=FixedClock())
    try:
        start.wait(60)
        try:
            register(services.timebank, unit, Actor(Role.VOLUNTEER, organizer))
            results.put("registered")
        except RuleViolation:
            results.put("over quota")
    finally:
        services.close()


def test_processes_registering_at_once_never_exceed_the_quota(services: Services, settings: Settings) -> None:
    """On the configured store (SQLite file or PostgreSQL), as separate web workers would."""
    unit, organizer = a_member_unit(services.timebank)
    assert organizer.id is not None

    outcomes = race_in_processes(_register_in_a_process, (settings, unit, organizer.id), 4)

    assert sorted(outcomes) == ["over quota", "over quota", "registered", "registered"]


# Problems ---------------------------------------------------------------------------------
def a_problem(app: TimeBank, unit: UUID, inspector: Actor, days: int = 7) -> UUID:
    deadline = local_date(app.clock()) + timedelta(days=days)
    return app.record_problem(
        inspector, organization_id=unit, district="朝阳区", area_level="street", area_name="三里屯街道", category="环境卫生",
        description="共享单车乱停放", evidence_digests=["cd" * 32], deadline=deadline,
    )


def test_only_inspectors_appointed_by_the_office_record_recheck_and_close() -> None:
    app = make_app()
    unit, organizer = a_member_unit(app)
    inspector = an_inspector(app)
    for someone in (organizer, OFFICE, an_auditor()):
        with pytest.raises(Forbidden), writes_nothing(app):
            a_problem(app, unit, someone)
    problem = a_problem(app, unit, inspector)
    app.rectify_problem(organizer, problem, "已清理", [])
    with pytest.raises(Forbidden), writes_nothing(app):
        app.recheck_problem(organizer, problem, "passed")
    assert inspector.id is not None
    app.dismiss_inspector(OFFICE, inspector.id)
    with pytest.raises(Forbidden), writes_nothing(app):
        app.recheck_problem(inspector, problem, "passed")
    with pytest.raises(Forbidden), writes_nothing(app):
        app.appoint_inspector(organizer, inspector.id)
    app.appoint_inspector(OFFICE, inspector.id)
    app.recheck_problem(inspector, problem, "passed", "已整改")
    app.close_problem(inspector, problem, "销账")
    assert app.get_problem(problem).status == "closed"


def test_a_problem_is_recorded_against_a_member_unit_only() -> None:
    app = make_app()
    inspector = an_inspector(app)
    plain = a_verified_organization(app, a_volunteer(app))
    with pytest.raises(RuleViolation, match="not a member unit") as refused, writes_nothing(app):
        a_problem(app, plain, inspector)
    assert refused.value.field == "organization_id"


def test_a_reopened_problem_is_rectified_again_before_its_next_recheck() -> None:
    app = make_app()
    unit, organizer = a_member_unit(app)
    inspector = an_inspector(app)
    problem = a_problem(app, unit, inspector)
    with pytest.raises(RuleViolation), writes_nothing(app):
        app.recheck_problem(inspector, problem, "passed")  # nothing to re-check yet
    app.rectify_problem(organizer, problem, "已清理", [])
    app.recheck_problem(inspector, problem, "reopened", "仍有乱停放")
    with pytest.raises(RuleViolation, match="re-check"), writes_nothing(app):
        app.close_problem(inspector, problem)
    app.rectify_problem(organizer, problem, "增设停车区", ["ef" * 32])
    app.recheck_problem(inspector, problem, "passed")
    app.close_problem(inspector, problem)
    found = app.get_problem(problem)
    assert (found.status, found.rectifications, found.reopened) == ("closed", 2, 1)


def test_the_clock_flags_a_problem_open_past_its_deadline_once_and_nothing_else() -> None:
    clock = FixedClock()
    app = make_app(clock)
    unit, organizer = a_member_unit(app)
    inspector = an_inspector(app)
    late, on_time = a_problem(app, unit, inspector, days=2), a_problem(app, unit, inspector, days=2)
    assert app.flag_problem_overdue(late, SYSTEM) is False  # not due yet
    app.rectify_problem(organizer, on_time, "已清理", [])
    clock.advance(days=3)

    assert [app.flag_problem_overdue(p, SYSTEM) for p in (late, on_time)] == [True, False]
    with writes_nothing(app):
        assert app.flag_problem_overdue(late, SYSTEM) is False
    assert [type(e).__name__ for e in app.events.get(late)] == ["Recorded", "FlaggedOverdue"]


def test_a_problems_history_is_for_the_office_auditors_inspectors_and_the_responsible_unit() -> None:
    app = make_app()
    unit, organizer = a_member_unit(app)
    _, rival = a_member_unit(app)
    inspector = an_inspector(app)
    problem = a_problem(app, unit, inspector)
    for reader in (OFFICE, an_auditor(), inspector, organizer):
        assert [type(e).__name__ for e in app.problem_history(reader, problem)] == ["Recorded"]
    with pytest.raises(Exception, match="not found"):
        app.problem_history(rival, problem)
