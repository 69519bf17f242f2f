"""The clock: one active APScheduler runs the jobs (api/clock_lock.py); the schedule is declared here, once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from adapters.idempotency_store import IdempotencyStore
from api import job_runs
from api.clock_lock import ClockLock, SingletonClock
from api.matchmaking import run_matching
from api.services import Services
from projections import ledger_queries, office_queries, queries, star_levels
from timebank.clock import local_date
from timebank.domain.actors import Actor, Role
from timebank.jobs import (
    auto_close_check_outs,
    award_star_levels,
    expire_pending_records,
    expire_pending_transfers,
    flag_overdue_problems,
    grant_five_stars,
)

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger(__name__)


def run_expiry(services: Services) -> int:
    """Expire pending service records past their confirmation deadline (working days); void their pending credits."""
    app = services.timebank
    with services.engine.connect() as conn:
        candidates = queries.pending_records_past_deadline(conn, local_date(app.clock()))
    return expire_pending_records(app, candidates)


def run_auto_check_out(services: Services) -> int:
    """Close check-ins left open longer than the rules allow (24 h by default) and flag the records."""
    app = services.timebank
    hours = app.rules.in_force(local_date(app.clock())).auto_check_out_after_hours
    with services.engine.connect() as conn:
        candidates = queries.open_check_ins_before(conn, app.clock() - timedelta(hours=hours))
    return auto_close_check_outs(app, candidates)


def run_transfer_timeouts(services: Services) -> int:
    """Void pending transfers whose timeout has passed."""
    app = services.timebank
    with services.engine.connect() as conn:
        candidates = ledger_queries.pending_transfers_past_timeout(conn, app.clock())
    return expire_pending_transfers(app, candidates)


def run_flag_overdue_problems(services: Services) -> int:
    app = services.timebank
    with services.engine.connect() as conn:
        candidates = office_queries.problems_past_deadline(conn, local_date(app.clock()))
    return flag_overdue_problems(app, candidates)


def run_audit_seal(services: Services) -> int:
    """Seal every stored event not sealed yet into the audit log (idempotent)."""
    assert services.audit is not None
    return services.audit.seal_all()


def run_audit_checkpoint(services: Services) -> int:
    """Seal, then sign a checkpoint of the tree if it grew since the last one; 1 if one was issued."""
    assert services.audit is not None
    services.audit.seal_all()
    return 1 if services.audit.issue_checkpoint() else 0


def run_forget_idempotency_keys(services: Services) -> int:
    """Forget idempotency keys older than 24 h."""
    return IdempotencyStore(services.engine).forget_old_keys()


def run_star_levels(services: Services) -> int:
    """Award the star levels (1-4) and milestones that confirmed hours reach, each exactly once."""
    app = services.timebank
    with services.engine.connect() as conn:
        candidates = star_levels.award_candidates(conn, app.rules, local_date(app.clock()))
    return award_star_levels(app, candidates)


def run_five_star_grants(services: Services) -> int:
    """Grant five stars to nominees whose public notice has ended without an upheld objection."""
    app = services.timebank
    with services.engine.connect() as conn:
        candidates = star_levels.five_star_candidates(conn, local_date(app.clock()))
    return grant_five_stars(app, candidates)


def run_nightly_matching(services: Services) -> int:
    """Propose volunteers for the open slots of every open need; returns how many proposals were made.
    Running it twice proposes nothing new: pairs proposed once are never proposed again."""
    result = run_matching(services, Actor(Role.SYSTEM), services.timebank.clock())
    return int(result["proposals"])


SCHEDULE = (
    # (job, trigger, trigger arguments)
    (run_expiry, "cron", {"minute": 5}),
    (run_auto_check_out, "interval", {"minutes": 15}),
    (run_transfer_timeouts, "interval", {"minutes": 1}),
    (run_forget_idempotency_keys, "cron", {"minute": 35}),
    (run_star_levels, "interval", {"minutes": 10}),
    (run_five_star_grants, "cron", {"hour": 0, "minute": 20}),
    (run_flag_overdue_problems, "cron", {"minute": 15}),
    (run_nightly_matching, "cron", {"hour": 2, "minute": 15}),  # Beijing time
    (run_audit_seal, "interval", {"minutes": 1}),
    (run_audit_checkpoint, "interval", {"minutes": 10}),
)


TIMEZONE = "Asia/Shanghai"


def run_job(job: Callable[[Services], int], services: Services) -> int | None:
    """Run one scheduled job, recording its run where every process sees it (GET /api/admin/jobs)."""
    return job_runs.run_and_record(services.engine, job.__name__, lambda: job(services), services.timebank.clock)


def build_scheduler(services: Services, *, blocking: bool) -> BaseScheduler:
    # APScheduler is slow to import: only processes that run the clock pay for it.
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, EVENT_SCHEDULER_STARTED
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler: BaseScheduler = BlockingScheduler(timezone=TIMEZONE) if blocking else BackgroundScheduler(timezone=TIMEZONE)
    for job, trigger, trigger_args in SCHEDULE:
        scheduler.add_job(
            run_job, trigger, args=[job, services], id=job.__name__, coalesce=True, max_instances=1,
            misfire_grace_time=300, replace_existing=True, **trigger_args,
        )

    def _record_next_runs(_event: Any = None) -> None:
        try:
            job_runs.record_next_runs(services.engine, {job.id: job.next_run_time for job in scheduler.get_jobs()})
        except Exception:  # noqa: BLE001 - a display figure; never stop the clock for it
            log.exception("could not record the next runs of the jobs")

    scheduler.add_listener(_record_next_runs, EVENT_SCHEDULER_STARTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def clock_lock(services: Services) -> ClockLock:
    settings = services.settings
    return ClockLock(services.engine, data_dir=settings.data_dir, schema=settings.database_schema)


def singleton_clock(services: Services, *, retry_seconds: float = 15.0) -> SingletonClock:
    """The clock of `timebank serve`: runs the jobs only while no other clock does."""
    return SingletonClock(clock_lock(services), lambda: build_scheduler(services, blocking=False), retry_seconds=retry_seconds)


def job_statuses(services: Services) -> list[dict[str, Any]]:
    """Every scheduled job: its trigger, and its next and last run as the active clock recorded them."""
    runs = job_runs.last_runs(services.engine)
    statuses = []
    for job, trigger, trigger_args in SCHEDULE:
        last = runs.get(job.__name__, {})
        statuses.append({
            "name": job.__name__,
            "description": (job.__doc__ or "").strip().splitlines()[0] if job.__doc__ else "",
            "trigger": f"{trigger} " + ", ".join(f"{k}={v}" for k, v in trigger_args.items()),
            "next_run_at": last.get("next_run_at"),
            "last_started_at": last.get("started_at"),
            "last_finished_at": last.get("finished_at"),
            "last_result": last.get("result"),
            "last_error": last.get("error"),
            "runs": last.get("runs", 0),
        })
    return statuses
