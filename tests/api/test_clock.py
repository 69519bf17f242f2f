"""The clock's jobs over real read models: candidates come from a view, the command re-checks, twice is harmless."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from api.clock import SCHEDULE, build_scheduler, run_auto_check_out, run_expiry
from api.services import Services
from projections import ledger_queries, queries
from timebank.application import BatchEntry
from timebank.domain.actors import Actor, Role
from timebank.domain.ledger import TimeAccount


def a_scene(services: Services, clock: Any, first: int = 1) -> dict[str, Any]:
    app = services.timebank

    def person(n: int) -> Actor:
        reg = app.register_volunteer(name=f"p{n}", sex="male", birth_date=date(1980, 1, 1), id_type="passport",
                                     id_number=f"E{n:08d}", phone="13900000000", district="西城区")
        return Actor(Role.VOLUNTEER, reg.volunteer_id)

    organizer, volunteer = person(first), person(first + 1)
    org = app.register_organization(organizer, name="o", district="西城区")
    app.verify_organization(Actor(Role.ADMIN), org)
    project = app.publish_project(organizer, organization_id=org, name="p", person_in_charge="x")
    shift = app.add_shift(organizer, project, title="t", starts_at=clock() + timedelta(hours=1),
                          ends_at=clock() + timedelta(hours=3), place="here", capacity=2)
    return {"app": app, "organizer": organizer, "volunteer": volunteer, "project": project, "shift": shift}


def test_overdue_pending_records_expire_once_and_their_credits_are_voided(services: Services, clock: Any) -> None:
    s = a_scene(services, clock)
    record = s["app"].declare_service(s["volunteer"], project_id=s["project"], service_date=clock().date() - timedelta(days=1),
                                      service_minutes=60, content="c")
    services.projector.catch_up()
    assert run_expiry(services) == 0  # not overdue yet
    clock.advance(days=15)  # past 10 working days
    services.projector.catch_up()
    assert run_expiry(services) == 1
    services.projector.catch_up()
    assert run_expiry(services) == 0  # idempotent: nothing left to expire
    with services.engine.connect() as conn:
        row = queries.service_record(conn, record)
        account = ledger_queries.account(conn, TimeAccount.create_id(s["volunteer"].id))
    assert row is not None and row["status"] == "expired"
    assert account is not None and (account["balance"], account["pending"]) == (0, 0)


def test_a_check_in_left_open_is_closed_after_24_hours_and_flagged(services: Services, clock: Any) -> None:
    s = a_scene(services, clock)
    app, organizer, volunteer = s["app"], s["organizer"], s["volunteer"]
    app.sign_up(volunteer, s["shift"], volunteer.id)
    clock.advance(hours=1)
    app.check_in(organizer, s["shift"], volunteer.id)
    services.projector.catch_up()
    assert run_auto_check_out(services) == 0
    clock.advance(hours=25)
    assert run_auto_check_out(services) == 1
    services.projector.catch_up()
    assert run_auto_check_out(services) == 0
    with services.engine.connect() as conn:
        roster = queries.shift(conn, s["shift"], with_roster=True)
        records, total = queries.service_records_page(conn, volunteer_id=volunteer.id, limit=10, offset=0)
    assert roster is not None and roster["roster"][0]["auto_closed"] is True
    assert total == 1 and records[0]["flags"] == ["auto_closed"] and records[0]["service_minutes"] == 120


def test_every_scheduled_job_is_registered_once(services: Services) -> None:
    scheduler = build_scheduler(services, blocking=False)
    assert isinstance(scheduler, BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        assert sorted(job.id for job in scheduler.get_jobs()) == sorted(job.__name__ for job, _, _ in SCHEDULE)
        assert all(job.max_instances == 1 for job in scheduler.get_jobs())
    finally:
        scheduler.shutdown(wait=False)


def test_admins_see_each_job_with_its_trigger_and_its_last_run_as_the_clock_recorded_it(api: Any, walk: Any, services: Services, clock: Any) -> None:
    from api.clock import run_job, run_transfer_timeouts
    from tests.api.conftest import expect

    before = {job["name"]: job for job in expect(api.get("/api/admin/jobs", walk.admin), 200)}
    assert set(before) == {job.__name__ for job, _, _ in SCHEDULE}
    assert before["run_expiry"]["runs"] == 0 and before["run_expiry"]["last_started_at"] is None
    assert before["run_expiry"]["trigger"] == "cron minute=5" and before["run_expiry"]["description"].startswith("Expire pending")
    run_job(run_transfer_timeouts, services)  # as the clock process would, in another process
    scheduler = build_scheduler(services, blocking=False)
    scheduler.start(paused=True)  # the active clock records when each job runs next
    scheduler.shutdown(wait=False)
    after = {job["name"]: job for job in expect(api.get("/api/admin/jobs", walk.auditor()), 200)}
    timeouts = after["run_transfer_timeouts"]
    assert (timeouts["runs"], timeouts["last_result"], timeouts["last_error"]) == (1, 0, None)
    assert datetime.fromisoformat(timeouts["last_started_at"]) == clock()
    assert all(job["next_run_at"] is not None for job in after.values())


def test_volunteers_do_not_see_the_jobs(api: Any, walk: Any) -> None:
    from tests.api.conftest import expect

    expect(api.get("/api/admin/jobs", walk.organizer.token), 403)


AUDIT_JOBS = {"run_audit_seal", "run_audit_checkpoint"}


def every_job_once(services: Services) -> dict[str, int]:
    """Each scheduled job once, in the schedule's order, with the views caught up first, as the
    projector keeps them in a deployment (a job may read what the job before it wrote)."""
    from api.clock import run_job

    done = {}
    for job, _, _ in SCHEDULE:
        services.projector.catch_up()
        done[job.__name__] = run_job(job, services)
    return done


def test_every_scheduled_job_run_a_second_time_changes_nothing(services: Services, clock: Any) -> None:
    from timebank.application import TransferRequest

    s = a_scene(services, clock)
    app, organizer, volunteer = s["app"], s["organizer"], s["volunteer"]
    app.declare_service(volunteer, project_id=s["project"], service_date=clock().date() - timedelta(days=1), service_minutes=60, content="c")
    app.sign_up(volunteer, s["shift"], volunteer.id)
    clock.advance(hours=1)
    app.check_in(organizer, s["shift"], volunteer.id)
    other = a_scene(services, clock, first=3)
    confirmed = other["app"].record_service_batch(other["organizer"], other["project"], [
        BatchEntry(volunteer_id=other["volunteer"].id, service_date=clock().date() - timedelta(days=1), service_minutes=120, content="c")])
    assert confirmed
    payer, payee = (TimeAccount.create_id(v.id) for v in (other["volunteer"], volunteer))
    app.transfer(other["volunteer"], TransferRequest(payer, payee, 30, "exchange", pending=True, timeout_seconds=60))
    clock.advance(hours=25)  # past the check-out limit and the transfer's timeout
    first = every_job_once(services)
    clock.advance(days=15)  # past the confirmation deadline of 10 working days
    later = every_job_once(services)
    assert {name: n for name, n in first.items() if n and name not in AUDIT_JOBS} == {
        "run_auto_check_out": 1, "run_transfer_timeouts": 1, "run_star_levels": 1}
    assert {name: n for name, n in later.items() if n and name not in AUDIT_JOBS} == {"run_expiry": 2}  # the declared and the auto-closed
    # The audit jobs run last: each round seals what the jobs before them wrote, and signs the grown tree.
    assert first["run_audit_seal"] > 0 and later["run_audit_seal"] > 0
    assert (first["run_audit_checkpoint"], later["run_audit_checkpoint"]) == (1, 1)
    events = services.timebank.recorder.max_notification_id()
    second = every_job_once(services)
    assert set(second.values()) == {0}
    assert services.timebank.recorder.max_notification_id() == events


def test_pending_records_expire_after_ten_working_days_not_calendar_days(services: Services, clock: Any) -> None:
    s = a_scene(services, clock)  # the clock starts on Wednesday 2026-11-18
    s["app"].declare_service(s["volunteer"], project_id=s["project"], service_date=clock().date(), service_minutes=60, content="c")
    clock.advance(days=14)  # Wednesday 2 December: the tenth working day, the deadline itself (two weekends in between)
    services.projector.catch_up()
    assert run_expiry(services) == 0
    clock.advance(days=1)
    assert run_expiry(services) == 1
