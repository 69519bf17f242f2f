"""The clock: one APScheduler process runs the jobs; the schedule is declared here, once."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from adapters.idempotency_store import IdempotencyStore
from api.services import Services
from projections import ledger_queries, queries
from timebank.clock import local_date
from timebank.jobs import auto_close_check_outs, expire_pending_records, expire_pending_transfers

log = logging.getLogger(__name__)


def run_expiry(services: Services) -> int:
    app = services.timebank
    with services.engine.connect() as conn:
        candidates = queries.pending_records_past_deadline(conn, local_date(app.clock()))
    return expire_pending_records(app, candidates)


def run_auto_check_out(services: Services) -> int:
    app = services.timebank
    hours = app.rules.in_force(local_date(app.clock())).auto_check_out_after_hours
    with services.engine.connect() as conn:
        candidates = queries.open_check_ins_before(conn, app.clock() - timedelta(hours=hours))
    return auto_close_check_outs(app, candidates)


def run_transfer_timeouts(services: Services) -> int:
    app = services.timebank
    with services.engine.connect() as conn:
        candidates = ledger_queries.pending_transfers_past_timeout(conn, app.clock())
    return expire_pending_transfers(app, candidates)


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
    return IdempotencyStore(services.engine).forget_old_keys()


SCHEDULE = (
    # (job, trigger, trigger arguments)
    (run_expiry, "cron", {"minute": 5}),
    (run_auto_check_out, "interval", {"minutes": 15}),
    (run_transfer_timeouts, "interval", {"minutes": 1}),
    (run_forget_idempotency_keys, "cron", {"minute": 35}),
    (run_audit_seal, "interval", {"minutes": 1}),
    (run_audit_checkpoint, "interval", {"minutes": 10}),
)


def build_scheduler(services: Services, *, blocking: bool) -> BaseScheduler:
    scheduler: BaseScheduler = BlockingScheduler(timezone="Asia/Shanghai") if blocking else BackgroundScheduler(timezone="Asia/Shanghai")
    for job, trigger, trigger_args in SCHEDULE:
        scheduler.add_job(
            job, trigger, args=[services], id=job.__name__, coalesce=True, max_instances=1,
            misfire_grace_time=300, replace_existing=True, **trigger_args,
        )
    return scheduler
