"""Exactly one active clock: a lock that a clock holds for its whole life, and a standby that waits for it.

On PostgreSQL the lock is a session-level advisory lock held on a dedicated connection (keyed by the
schema, so deployments or test schemas sharing a database do not block each other): when the clock's
process dies its session ends and the lock is free. On SQLite it is an exclusive `flock` on a file in
the data directory, released by the kernel when the process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)


def advisory_key(schema: str | None, purpose: str = "clock") -> int:
    """A signed 64-bit key for pg_advisory_lock, one per schema and purpose: deployments in other
    schemas of the same database never wait on each other."""
    digest = hashlib.sha256(f"timebank-{purpose}:{schema or 'public'}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class ClockLock:
    """Try to become the one active clock; `held()` says whether this process still is."""

    def __init__(self, engine: Engine, *, data_dir: Path, schema: str | None) -> None:
        self.engine = engine
        self.path = data_dir / "clock.lock"
        self.key = advisory_key(schema)
        self._conn: Connection | None = None
        self._file: IO[str] | None = None

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def try_acquire(self) -> bool:
        if self.postgres:
            return self._try_advisory()
        return self._try_flock()

    def _try_advisory(self) -> bool:
        if self._conn is None:
            self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar())
        if not got:
            self._close_connection()
        return got

    def _try_flock(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a")  # noqa: SIM115 - held open for the clock's life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def held(self) -> bool:
        """Still ours? On PostgreSQL a lost connection means a lost lock."""
        if self._file is not None:
            return True
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - any failure of the session means the lock may be gone
            log.warning("the clock's lock connection failed; stepping down")
            self._close_connection()
            return False

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing the session releases it anyway
                self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._close_connection()

    def _close_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


class SingletonClock:
    """Runs a scheduler only while holding the clock lock; otherwise stands by and retries.

    `start()` returns at once: a thread takes the lock when it can (now, or when the active clock
    dies), then starts the scheduler `make_scheduler()` builds, and steps down if the lock is lost.
    """

    def __init__(self, lock: ClockLock, make_scheduler: Callable[[], Any], *, retry_seconds: float = 15.0) -> None:
        self.lock = lock
        self.make_scheduler = make_scheduler
        self.retry_seconds = retry_seconds
        self.scheduler: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.became_active = threading.Event()

    @property
    def active(self) -> bool:
        return self.scheduler is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="timebank-clock", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        waiting_logged = False
        while not self._stop.is_set():
            if self.scheduler is None:
                if self.lock.try_acquire():
                    log.info("this process is the active clock")
                    self.scheduler = self.make_scheduler()
                    self.scheduler.start()
                    self.became_active.set()
                    waiting_logged = False
                elif not waiting_logged:
                    log.info("another clock is active; standing by (retrying every %s s)", self.retry_seconds)
                    waiting_logged = True
            elif not self.lock.held():
                self._step_down()
            self._stop.wait(self.retry_seconds)

    def _step_down(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        self.became_active.clear()
        self.lock.release()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
        self._step_down()
