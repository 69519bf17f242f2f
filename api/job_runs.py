"""The clock's log of job runs, in the read-model database so every process can see it.

One row per job: when it last started and ended, and what it did (a count) or the error it raised.
The clock process writes it around each run; `GET /api/admin/jobs` reads it with each job's
trigger and next run, computed from the schedule declared in api/clock.py.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, insert, select, update

from projections.db import UTCDateTime

log = logging.getLogger(__name__)

job_runs_metadata = MetaData()
job_runs = Table(
    "clock_job_runs",
    job_runs_metadata,
    Column("job", String(80), primary_key=True),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("result", Integer),  # what the job did (a count); None while running or after an error
    Column("error", Text),
    Column("runs", Integer, nullable=False),
    Column("next_run_at", UTCDateTime),  # as the active clock's scheduler planned it
)


def create_table(engine: Engine) -> None:
    job_runs_metadata.create_all(engine)


def run_and_record(engine: Engine, name: str, job: Callable[[], int], clock: Callable[[], datetime]) -> int | None:
    """Run the job, writing its start, its end and its result or error. An error is logged, not raised:
    the scheduler keeps its schedule and the next run tries again."""
    started = clock()
    with engine.begin() as conn:
        values: dict[str, Any] = {"started_at": started, "finished_at": None, "result": None, "error": None}
        changed = conn.execute(update(job_runs).where(job_runs.c.job == name).values(runs=job_runs.c.runs + 1, **values)).rowcount
        if not changed:
            conn.execute(insert(job_runs).values(job=name, runs=1, **values))
    try:
        result: int | None = int(job())
        error = None
    except Exception as failure:  # noqa: BLE001 - recorded for /api/admin/jobs, and logged
        log.exception("job %s failed", name)
        result, error = None, "".join(traceback.format_exception_only(failure)).strip()
    with engine.begin() as conn:
        conn.execute(update(job_runs).where(job_runs.c.job == name).values(finished_at=clock(), result=result, error=error))
    return result


def record_next_runs(engine: Engine, next_runs: dict[str, datetime | None]) -> None:
    """The active clock writes when each job runs next (at its start and after every run)."""
    with engine.begin() as conn:
        known = set(conn.execute(select(job_runs.c.job)).scalars())
        for name, moment in next_runs.items():
            if name in known:
                conn.execute(update(job_runs).where(job_runs.c.job == name).values(next_run_at=moment))
            else:
                conn.execute(insert(job_runs).values(job=name, runs=0, next_run_at=moment))


def last_runs(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        return {r.job: dict(r._mapping) for r in conn.execute(select(job_runs))}
