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
from projections.batch import Batch, RowCache
from projections.db import metadata, positions
from projections.directory import Directory
from projections.exchanges import Exchanges
from projections.incentives import Incentives
from projections.key_projects import KeyProjects
from projections.matching import MatchingViews
from projections.problems import Problems
from projections.rosters import Rosters
from projections.service_records import ServiceRecords
from projections.star_levels import StarLevels

log = logging.getLogger(__name__)

DEFAULT_BATCH = 1000


def all_projections() -> list[Projection]:
    return [
        Directory(), Rosters(), ServiceRecords(), Balances(), Exchanges(), StarLevels(), Incentives(), KeyProjects(), Problems(),
        MatchingViews(),
    ]


def _columns(engine: Engine, table: str) -> set[str]:
    inspector = inspect(engine)
    return {c["name"] for c in inspector.get_columns(table)} if inspector.has_table(table) else set()


def _fingerprint(projection: Projection, engine: Engine) -> str:
    ddl = [str(CreateTable(t).compile(dialect=engine.dialect)) for t in projection.tables]
    ddl += [str(CreateIndex(i).compile(dialect=engine.dialect)) for t in projection.tables for i in sorted(t.indexes, key=lambda i: str(i.name))]
    return hashlib.sha256("\n".join(ddl).encode()).hexdigest()[:16]


def _interested(projections: Sequence[Projection]) -> dict[type, list[Projection]]:
    """For each event class, the projections that handle it, in projection order."""
    found: dict[type, list[Projection]] = {}
    for projection in projections:
        for event_class in projection.handlers():
            found.setdefault(event_class, []).append(projection)
    return found


class _Overtaken(Exception):
    """A view's position moved while this projector worked on a page."""


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
        cache_rows: int = 20_000,
    ) -> None:
        self.recorder = recorder
        self.mapper = mapper
        self.engine = engine
        self.projections = list(projections) if projections is not None else all_projections()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: threading.Thread | None = None
        self._lock = threading.RLock()  # one page at a time per projector, whichever thread asks
        self._cache = RowCache(cache_rows)  # rows as this projector last wrote them, per table
        self._written: dict[str, int] = {}  # the positions this projector last wrote

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
            for index in (i for p in self.projections for t in p.tables for i in t.indexes):
                index.create(conn, checkfirst=True)  # one a crashed rebuild had dropped
        if reset:
            log.warning("read models %s changed shape; they are rebuilt from the event log", ", ".join(reset))
        return reset

    def positions(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {r.name: r.position for r in conn.execute(select(positions.c.name, positions.c.position))}

    # Processing ----------------------------------------------------------------
    def run_once(self, limit: int = DEFAULT_BATCH, only: Sequence[Projection] | None = None) -> int:
        """Process the next page of notifications; returns how many positions the views moved on (0: none to do).

        The page is folded into a `Batch` per run (every projection behind it sees the events it
        has not seen yet), then written with one statement per table and kind of change, and the
        positions advance in the same transaction. A position that moved meanwhile (another
        projector, a rebuild) aborts the whole page, which the next run reads again.
        """
        with self._lock:
            targets = list(only) if only is not None else self.projections
            current = self.positions()
            for projection in targets:
                if self._written.get(projection.name) != current.get(projection.name, 0):
                    self._cache.forget(projection.tables)  # someone else wrote this view: our rows may be stale
            start = min(current.get(p.name, 0) for p in targets)
            # Only the topics some view needs are read (an account's own debit and credit events,
            # say, are not). The log's end is read first: every event up to it is committed (both
            # stores assign positions in commit order), so a short page means the views have
            # seen everything up to `stop`, not just up to the last event they needed.
            stop = self.recorder.max_notification_id() or 0
            if stop <= start:
                return 0
            wanted = sorted(set().union(*(p.topics() for p in targets)))
            notifications = self.recorder.select_notifications(start, limit, stop=stop, topics=wanted, inclusive_of_start=False)
            events = [(n.id, self.mapper.to_domain_event(n)) for n in notifications]
            last = notifications[-1].id if len(notifications) == limit else stop
            behind = [p for p in targets if last > current.get(p.name, 0)]
            try:
                with self.engine.begin() as conn:
                    batch = Batch(conn, self._cache)
                    for projection in behind:
                        since = current.get(projection.name, 0)
                        projection.prefetch(batch, [e for i, e in events if i > since])
                    interested = _interested(behind)
                    for position, event in events:
                        for projection in interested.get(type(event), ()):
                            if position > current.get(projection.name, 0):
                                projection.handle(batch, event)
                    batch.flush()
                    for projection in behind:
                        advanced = conn.execute(
                            update(positions)
                            .where(positions.c.name == projection.name, positions.c.position == current.get(projection.name, 0))
                            .values(position=last)
                        ).rowcount
                        if advanced != 1:
                            raise _Overtaken(projection.name)
            except Exception as failure:
                self._forget()
                moved = [p.name for p in behind if self.positions().get(p.name, 0) != current.get(p.name, 0)]
                if not (moved or isinstance(failure, _Overtaken)):
                    raise
                # Another projector wrote this page first (its rows made ours collide, or its
                # position made ours stale): nothing of ours was written; the next run goes on from there.
                log.info("views %s moved on under this projector; reading from their new positions", ", ".join(moved))
                return last - start
            except BaseException:
                self._forget()
                raise
            batch.remember()
            self._written.update({p.name: last for p in behind})
            return last - start

    def _forget(self) -> None:
        self._cache.forget()
        self._written.clear()

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
        with self._lock:  # this projector's own background thread waits until the rebuild is done
            self._forget()
            metadata.drop_all(self.engine, tables=tables)
            metadata.create_all(self.engine, tables=tables)
            self.create_tables()
            indexes = [i for t in tables for i in t.indexes]
            with self.engine.begin() as conn:
                for projection in targets:
                    conn.execute(
                        update(positions).where(positions.c.name == projection.name).values(
                            position=0, rebuilt_at=datetime.now(timezone.utc)
                        )
                    )
                for index in indexes:  # filled without them, then indexed once: cheaper than index upkeep per row
                    index.drop(conn)
            try:
                return self.catch_up(limit, progress, only=targets)
            finally:
                with self.engine.begin() as conn:
                    for index in indexes:
                        index.create(conn, checkfirst=True)

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
            self._wake.clear()  # before reading: a commit during this run wakes the next wait at once
            try:
                while self.run_once():
                    if self._stop.is_set():
                        return
            except Exception:  # keep following the log; the batch is retried whole
                log.exception("projection batch failed; retrying")
                self._stop.wait(1.0)
            self._wake.wait(poll_interval)

    def _listen(self) -> None:
        """PostgreSQL: wake on the NOTIFY the event store sends with every write, instead of
        waiting for the next poll. Polling goes on regardless, so a lost listener costs only latency."""
        from psycopg import sql

        channel = sql.SQL("LISTEN {0}").format(sql.Identifier(self.recorder.channel_name))  # type: ignore[attr-defined]
        while not self._stop.is_set():
            try:
                with self.recorder.datastore.get_connection() as conn:  # type: ignore[attr-defined]
                    conn.execute(channel)
                    conn.commit()
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self._wake.set()
            except Exception:
                log.warning("listening for new events failed; polling until it works again", exc_info=True)
                self._stop.wait(5.0)

    def start(self, poll_interval: float = 0.05) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, args=(poll_interval,), name="projector", daemon=True)
        self._thread.start()
        if hasattr(self.recorder, "channel_name") and hasattr(self.recorder, "datastore"):
            self._listener = threading.Thread(target=self._listen, name="projector-listen", daemon=True)
            self._listener.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in (self._thread, self._listener):
            if thread:
                thread.join(timeout=10)
