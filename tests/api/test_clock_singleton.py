"""Exactly one active clock per store: a second clock stands by and takes over when the first stops."""

from __future__ import annotations

from typing import Any

from api.clock import SCHEDULE, clock_lock, run_job, singleton_clock
from api.clock_lock import ClockLock, advisory_key
from api.services import Services

WAIT = 30.0  # an upper bound for a background thread to act, never a measured time


def test_a_second_lock_on_the_same_store_is_refused_until_the_first_is_released(services: Services) -> None:
    first, second = clock_lock(services), clock_lock(services)
    try:
        assert first.try_acquire() is True
        assert second.try_acquire() is False
        assert first.held()
        first.release()
        assert second.try_acquire() is True
    finally:
        first.release()
        second.release()


def test_locks_of_different_schemas_do_not_block_each_other() -> None:
    assert advisory_key("tb_a") != advisory_key("tb_b")
    assert advisory_key(None) == advisory_key(None)


def test_of_two_clocks_on_one_store_exactly_one_runs_the_jobs_and_the_other_takes_over(services: Services) -> None:
    first = singleton_clock(services, retry_seconds=0.05)
    second = singleton_clock(services, retry_seconds=0.05)
    first.start()
    try:
        assert first.became_active.wait(WAIT)
        second.start()
        # The standby has tried the lock (several times) and stays a standby while the first is active.
        for _ in range(5):
            assert not second.became_active.wait(0.1)
        assert first.active and not second.active
        assert {job.id for job in first.scheduler.get_jobs()} == {job.__name__ for job, _, _ in SCHEDULE}
        first.stop()
        assert second.became_active.wait(WAIT)
        assert second.active and not first.active
    finally:
        first.stop()
        second.stop()


def test_a_clock_that_lost_its_lock_steps_down(services: Services) -> None:
    clock = singleton_clock(services, retry_seconds=0.05)
    clock.start()
    try:
        assert clock.became_active.wait(WAIT)
        lock: ClockLock = clock.lock
        lock.held = lambda: False  # type: ignore[method-assign] # as if the lock's session had died
        for _ in range(600):
            if not clock.active:
                break
            clock._stop.wait(0.05)
        assert not clock.active
    finally:
        clock.stop()


def test_a_job_run_is_recorded_with_its_result_or_its_error(services: Services, clock: Any) -> None:
    from api.job_runs import last_runs

    def counts_three(_: Services) -> int:
        return 3

    def fails(_: Services) -> int:
        raise RuntimeError("the read model is gone")

    assert run_job(counts_three, services) == 3
    assert run_job(fails, services) is None
    runs = last_runs(services.engine)
    assert (runs["counts_three"]["result"], runs["counts_three"]["error"], runs["counts_three"]["runs"]) == (3, None, 1)
    assert runs["counts_three"]["started_at"] == clock() and runs["counts_three"]["finished_at"] == clock()
    assert runs["fails"]["result"] is None and "the read model is gone" in runs["fails"]["error"]
