"""The projector: follows the event log and keeps every read model current, a batch at a time.

Each batch (a page of notifications) is applied to every projection behind it, and the rows and
the new positions are written in one transaction: a crash replays the batch, never half of it.
SQLite cannot push new events, so the projector polls; `nudge()` wakes it after a local command.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Mapper
from sqlalchemy import Engine, insert, inspect, select, update
from sqlalchemy.schema import CreateIndex, CreateTable

from projections.balances import Balances
from projections.base import Projection
from projections.db import metadata, positions
from projections.directory import Directory
from projections.exchanges import Exchanges
from projections.rosters import Rosters
from projections.service_records import ServiceRecords

log = logging.getLogger(__name__)

DEFAULT_BATCH = 1000


def all_projections() -> list[Projection]:
    return [Directory(), Rosters(), ServiceRecords(), Balances(), Exchanges()]


def _columns(engine: Engine, table: str) -> set[str]:
    inspector = inspect(engine)
    return {c["name"] for c in inspector.get_columns(table)} if inspector.has_table(table) else set()


def _fingerprint(projection: Projection, engine: Engine) -> str:
    ddl = [str(CreateTable(t).compile(dialect=engine.dialect)) for t in projection.tables]
    ddl += [str(CreateIndex(i).compile(dialect=engine.dialect)) for t in projection.tables for i in sorted(t.indexes, key=lambda i: str(i.name))]
    return hashlib.sha256("\n".join(ddl).encode()).hexdigest()[:16]


class ProjectionLagging(Exception):
    """A view did not reach the asked-for position in time."""

    def __init__(self, position: int, reached: int) -> None:
        super().__init__(f"views are at position {reached}, not yet at {position}")
        self.position = position
        self.reached = reached


class Projector:
    def __init__(
        self,
        recorder: ApplicationRecorder,
        mapper: Mapper[Any],
        engine: Engine,
        projections: Sequence[Projection] | None = None,
    ) -> None:
        self.recorder = recorder
        self.mapper = mapper
        self.engine = engine
        self.projections = list(projections) if projections is not None else all_projections()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def by_name(self, name: str) -> Projection:
        for projection in self.projections:
            if projection.name == name:
                return projection
        raise KeyError(f"no projection named {name!r}; known: {', '.join(p.name for p in self.projections)}")

    # Schema and positions ------------------------------------------------------
    def create_tables(self) -> list[str]:
        """Create missing tables; a view whose tables changed shape since it was built starts over.

        Each view's position row keeps a fingerprint of its tables' DDL. When the code defines them
        differently (a column added, an index changed), the old tables are dropped and the view is
        replayed from position 0 by the next catch-up. Returns the names of views reset that way.
        """
        if "fingerprint" not in _columns(self.engine, positions.name):
            metadata.drop_all(self.engine, tables=[positions])  # written before fingerprints: every view starts over
            metadata.drop_all(self.engine, tables=[t for p in self.projections for t in p.tables])
        metadata.create_all(self.engine, tables=[positions])
        reset = []
        with self.engine.begin() as conn:
            known = {r.name: r.fingerprint for r in conn.execute(select(positions.c.name, positions.c.fingerprint))}
            for projection in self.projections:
                fingerprint = _fingerprint(projection, self.engine)
                if projection.name not in known:
                    conn.execute(insert(positions).values(name=projection.name, position=0, fingerprint=fingerprint))
                elif known[projection.name] != fingerprint:
                    metadata.drop_all(conn, tables=list(projection.tables))
                    conn.execute(
                        update(positions).where(positions.c.name == projection.name).values(position=0, fingerprint=fingerprint)
                    )
                    reset.append(projection.name)
            metadata.create_all(conn, tables=[t for p in self.projections for t in p.tables])
        if reset:
            log.warning("read models %s changed shape; they are rebuilt from the event log", ", ".join(reset))
        return reset

    def positions(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {r.name: r.position for r in conn.execute(select(positions.c.name, positions.c.position))}

    # Processing ----------------------------------------------------------------
    def run_once(self, limit: int = DEFAULT_BATCH, only: Sequence[Projection] | None = None) -> int:
        """Process the next page of notifications; returns how many were read."""
        targets = list(only) if only is not None else self.projections
        current = self.positions()
        start = min(current.get(p.name, 0) for p in targets)
        notifications = self.recorder.select_notifications(start, limit, inclusive_of_start=False)
        if not notifications:
            return 0
        wanted = set().union(*(p.topics() for p in targets))
        last = notifications[-1].id
        with self.engine.begin() as conn:
            for notification in notifications:
                if notification.topic not in wanted:
                    continue
                event = self.mapper.to_domain_event(notification)
                for projection in targets:
                    if notification.id > current.get(projection.name, 0):
                        projection.handle(conn, event)
            for projection in targets:
                if last > current.get(projection.name, 0):
                    conn.execute(update(positions).where(positions.c.name == projection.name).values(position=last))
        return len(notifications)

    def catch_up(self, limit: int = DEFAULT_BATCH, progress: Callable[[int], None] | None = None, only: Sequence[Projection] | None = None) -> int:
        total = 0
        while True:
            count = self.run_once(limit, only)
            if not count:
                return total
            total += count
            if progress:
                progress(count)

    def rebuild(self, names: Sequence[str] = (), progress: Callable[[int], None] | None = None, limit: int = DEFAULT_BATCH) -> int:
        """Drop and recreate the named projections' tables (all if none named) and replay the log."""
        targets = [self.by_name(n) for n in names] if names else self.projections
        tables = [t for p in targets for t in p.tables]
        metadata.drop_all(self.engine, tables=tables)
        metadata.create_all(self.engine, tables=tables)
        self.create_tables()
        with self.engine.begin() as conn:
            for projection in targets:
                conn.execute(
                    update(positions).where(positions.c.name == projection.name).values(
                        position=0, rebuilt_at=datetime.now(timezone.utc)
                    )
                )
        return self.catch_up(limit, progress, only=targets)

    def wait_for(self, position: int, timeout: float) -> None:
        """Block until every view has processed `position`, or raise ProjectionLagging."""
        deadline = time.monotonic() + timeout
        delay = 0.002
        while True:
            reached = min(self.positions().values(), default=0)
            if reached >= position:
                return
            if time.monotonic() >= deadline:
                raise ProjectionLagging(position, reached)
            self.nudge()
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    # Running in the background ---------------------------------------------------
    def nudge(self) -> None:
        self._wake.set()

    def run_forever(self, poll_interval: float = 0.05) -> None:
        while not self._stop.is_set():
            try:
                while self.run_once():
                    if self._stop.is_set():
                        return
            except Exception:  # keep following the log; the batch is retried whole
                log.exception("projection batch failed; retrying")
                self._stop.wait(1.0)
            self._wake.wait(poll_interval)
            self._wake.clear()

    def start(self, poll_interval: float = 0.05) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, args=(poll_interval,), name="projector", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
