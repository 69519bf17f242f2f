"""Replay: rebuild views from the event log into fresh tables and compare them with the live ones, row by row.

The fresh tables live apart from the live ones (a temporary SQLite file, or a schema of their own on
PostgreSQL), so a replay never disturbs what is served. Rows are compared in primary-key order, a
page at a time, so memory stays flat however long the log. Surrogate keys that only number rows
(an autoincrement `seq`) are compared by order, not value: a rolled-back batch may skip numbers.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Mapper
from sqlalchemy import Engine, Table, select, text

from projections.base import Projection
from projections.db import make_engine
from projections.runner import Projector, all_projections


@dataclass
class Difference:
    table: str
    key: Any
    live: dict[str, Any] | None
    replayed: dict[str, Any] | None


@dataclass
class ReplayReport:
    position: int = 0
    events: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # rows compared per table
    differences: list[Difference] = field(default_factory=list)
    more_differences: int = 0  # beyond those listed

    @property
    def identical(self) -> bool:
        return not self.differences


class BoundedRecorder:
    """The application's recorder as if the log ended at `stop`: replays up to a position."""

    def __init__(self, recorder: ApplicationRecorder, stop: int) -> None:
        self._recorder = recorder
        self._stop = stop

    def max_notification_id(self) -> int:
        return min(self._stop, self._recorder.max_notification_id() or 0)

    def select_notifications(self, start: int, limit: int, stop: int | None = None, **kwargs: Any) -> Any:
        return self._recorder.select_notifications(start, limit, stop=min(stop or self._stop, self._stop), **kwargs)


@contextmanager
def fresh_database(live: Engine, data_dir: Path) -> Iterator[Engine]:
    """An empty database for the replayed views, dropped afterwards."""
    if live.dialect.name == "postgresql":
        schema = f"tb_replay_{secrets.token_hex(6)}"
        with live.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(live.url.render_as_string(hide_password=False), schema=schema)
        try:
            yield engine
        finally:
            engine.dispose()
            with live.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="replay-", suffix=".sqlite", dir=data_dir)
    os.close(handle)
    engine = make_engine(f"sqlite:///{name}", journal="DELETE")
    try:
        yield engine
    finally:
        engine.dispose()
        Path(name).unlink(missing_ok=True)


def _order(table: Table) -> tuple[list[Any], set[str]]:
    """Columns to order by, and surrogate counters compared by order only."""
    keys = list(table.primary_key.columns)
    counters = {c.name for c in keys if c.autoincrement is True}
    return keys, counters


def pages(engine: Engine, table: Table, page: int = 2000) -> Iterator[dict[str, Any]]:
    keys, _ = _order(table)
    offset = 0
    while True:
        with engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(select(table).order_by(*keys).limit(page).offset(offset)).mappings()]
        yield from rows
        if len(rows) < page:
            return
        offset += page


def compare_table(live: Engine, replayed: Engine, table: Table, report: ReplayReport, keep: int = 20) -> None:
    keys, counters = _order(table)
    count = 0
    for old, new in _zip(pages(live, table), pages(replayed, table)):
        count += 1
        plain_old = {k: v for k, v in (old or {}).items() if k not in counters} if old is not None else None
        plain_new = {k: v for k, v in (new or {}).items() if k not in counters} if new is not None else None
        if plain_old != plain_new:
            if len(report.differences) < keep:
                row = old or new or {}
                report.differences.append(Difference(table.name, tuple(row.get(k.name) for k in keys), plain_old, plain_new))
            else:
                report.more_differences += 1
    report.rows[table.name] = count


def _zip(a: Iterator[dict[str, Any]], b: Iterator[dict[str, Any]]) -> Iterator[tuple[dict[str, Any] | None, dict[str, Any] | None]]:
    while True:
        x, y = next(a, None), next(b, None)
        if x is None and y is None:
            return
        yield x, y


def select_projections(names: Sequence[str]) -> list[Projection]:
    found = all_projections()
    if not names:
        return found
    by_name = {p.name: p for p in found}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise KeyError(f"no projection named {', '.join(missing)}; known: {', '.join(by_name)}")
    return [by_name[n] for n in names]


def position_at(recorder: ApplicationRecorder, mapper: Mapper[Any], moment: datetime) -> int:
    """The log position of the last event stored at or before `moment` (0 if none): what a view
    "as of a time" is rebuilt up to. Events are stamped as they are made, so their times follow the
    log's order; a binary search reads about log2(positions) events."""
    low, high = 0, recorder.max_notification_id() or 0
    while low < high:
        mid = (low + high + 1) // 2
        [found] = recorder.select_notifications(mid, 1)  # the first at or after mid (PostgreSQL's ids have gaps)
        event: Any = mapper.to_domain_event(found)  # the library's events carry the time they were made
        if event.timestamp <= moment:
            low = min(found.id, high)
        else:
            high = mid - 1
    return low


def replay(
    recorder: ApplicationRecorder, mapper: Mapper[Any], live: Engine, target: Engine, names: Sequence[str] = (),
    progress: Callable[[int], None] | None = None, stop: int | None = None, compare: bool = True,
) -> ReplayReport:
    """Rebuild the named views (all if none) into `target` from the log (up to `stop`) and compare them with `live`."""
    projections = select_projections(names)
    head = recorder.max_notification_id() or 0
    source: Any = BoundedRecorder(recorder, stop if stop is not None else head)
    projector = Projector(source, mapper, target, projections=projections)
    projector.create_tables()
    report = ReplayReport(position=source.max_notification_id())
    report.events = projector.catch_up(progress=progress)
    if compare:
        for projection in projections:
            for table in projection.tables:
                compare_table(live, target, table, report)
    return report
