"""The batch a page of events is folded into: what it writes, in what order, and what it remembers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import JSON, Boolean, Column, Date, Engine, ForeignKey, Integer, MetaData, String, Table, Uuid, inspect, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from api.services import Services
from projections.balances import accounts
from projections.batch import Batch, RowCache, _sqlite_utc
from projections.db import UTCDateTime
from projections.runner import Projector, all_projections
from tests.projections.test_projector import a_history, dump
from timebank.application import TransferRequest
from timebank.domain.ledger import TimeAccount

probe_metadata = MetaData()
parents = Table(
    "batch_parents", probe_metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(40), nullable=False),
    Column("count", Integer, nullable=False, default=0),
    Column("note", String(40)),
    Column("at", UTCDateTime),
    Column("day", Date),
    Column("tags", JSON),
    Column("flag", Boolean),
)
children = Table(
    "batch_children", probe_metadata,
    Column("parent_id", Uuid, ForeignKey("batch_parents.id"), primary_key=True),
    Column("n", Integer, primary_key=True),
)
lines = Table(
    "batch_lines", probe_metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("text", String(40), nullable=False),
)


@pytest.fixture
def engine(services: Services) -> Iterator[Engine]:
    probe_metadata.create_all(services.engine)
    yield services.engine
    probe_metadata.drop_all(services.engine)


def rows(engine: Engine, table: Table) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()]


def write(engine: Engine, *changes: Any, cache: RowCache | None = None) -> Batch:
    with engine.begin() as conn:
        batch = Batch(conn, cache)
        for change in changes:
            change(batch)
        batch.flush()
    batch.remember()
    return batch


def test_values_of_every_type_are_written_and_read_back_unchanged(engine: Engine) -> None:
    key = uuid4()
    at = datetime(2026, 11, 18, 2, 0, 0, tzinfo=timezone.utc)  # no microseconds: stored like any other
    write(engine, lambda b: b.insert(parents, dict(id=key, name="甲", at=at, day=date(2026, 2, 29 - 1), tags=["a", 1], flag=True)))
    (row,) = rows(engine, parents)
    assert row == dict(id=key, name="甲", count=0, note=None, at=at, day=date(2026, 2, 28), tags=["a", 1], flag=True)
    with engine.connect() as conn:  # and SQL comparisons still work on what was written
        assert conn.execute(select(parents.c.id).where(parents.c.at == at, parents.c.day == date(2026, 2, 28))).scalar_one() == key


def test_a_row_made_and_changed_in_one_batch_is_written_once_as_it_ended(engine: Engine) -> None:
    key, gone = uuid4(), uuid4()

    def changes(b: Batch) -> None:
        b.insert(parents, dict(id=key, name="a"))
        b.update(parents, key, count=b.get(parents, key)["count"] + 2)  # type: ignore[index]
        b.insert(parents, dict(id=gone, name="brief"))
        b.delete(parents, gone)

    write(engine, changes)
    assert [(r["id"], r["name"], r["count"]) for r in rows(engine, parents)] == [(key, "a", 2)]


def test_only_the_changed_columns_of_an_existing_row_are_written(engine: Engine) -> None:
    key = uuid4()
    write(engine, lambda b: b.insert(parents, dict(id=key, name="a", note="kept")))
    with engine.begin() as conn:
        batch = Batch(conn)
        batch.update(parents, key, count=5)
        conn.execute(update(parents).values(note="changed meanwhile"))
        batch.flush()
    (row,) = rows(engine, parents)
    assert (row["count"], row["note"]) == (5, "changed meanwhile")


def test_a_deleted_row_inserted_again_replaces_the_old_one_and_children_follow_their_parent(engine: Engine) -> None:
    key = uuid4()
    write(engine, lambda b: b.insert(parents, dict(id=key, name="old", count=7)))

    def changes(b: Batch) -> None:
        b.insert(children, dict(parent_id=key, n=1))  # the child first: the flush inserts parents before children
        b.delete(parents, key)
        b.insert(parents, dict(id=key, name="new"))

    write(engine, changes)
    assert [(r["name"], r["count"]) for r in rows(engine, parents)] == [("new", 0)]
    assert rows(engine, children) == [dict(parent_id=key, n=1)]


def test_updating_or_deleting_a_missing_row_does_nothing_and_a_duplicate_key_fails_the_flush(engine: Engine) -> None:
    key = uuid4()
    write(engine, lambda b: b.insert(parents, dict(id=key, name="a")))
    assert write(engine, lambda b: b.update(parents, uuid4(), name="x"), lambda b: b.delete(parents, uuid4()))
    assert [r["name"] for r in rows(engine, parents)] == ["a"]
    with pytest.raises(IntegrityError):
        write(engine, lambda b: b.insert(parents, dict(id=key, name="again")))
    with pytest.raises(ValueError, match="exists already"):
        write(engine, lambda b: b.get(parents, key), lambda b: b.insert(parents, dict(id=key, name="again")))
    assert [r["name"] for r in rows(engine, parents)] == ["a"]


def test_appended_lines_keep_their_order(engine: Engine) -> None:
    write(engine, *(lambda b, n=n: b.append(lines, dict(text=f"line {n}")) for n in range(5)))
    write(engine, lambda b: b.append(lines, dict(text="line 5")))
    assert [r["text"] for r in rows(engine, lines)] == [f"line {n}" for n in range(6)]


def test_prefetch_reads_many_rows_at_once_and_the_cache_spares_the_next_batch_the_reads(engine: Engine) -> None:
    keys = [uuid4() for _ in range(30)]
    write(engine, *(lambda b, k=k: b.insert(parents, dict(id=k, name="p")) for k in keys))
    cache = RowCache()

    def read_all(b: Batch) -> None:
        b.prefetch(parents, [*keys, uuid4()])
        assert all(b.get(parents, k) is not None for k in keys)

    first = write(engine, read_all, lambda b: b.update(parents, keys[0], count=1), cache=cache)
    assert first.loads == 31  # one query for all of them (counted per row), none afterwards
    second = write(engine, lambda b: b.update(parents, keys[0], count=b.get(parents, keys[0])["count"] + 1), cache=cache)  # type: ignore[index]
    assert second.loads == 0
    assert [r["count"] for r in rows(engine, parents) if r["id"] == keys[0]] == [2]


def test_the_row_cache_keeps_the_most_recently_written_rows_within_its_bound() -> None:
    cache = RowCache(per_table=8)
    keys = [(UUID(int=n),) for n in range(12)]
    for key in keys:
        cache.put(parents, key, {"n": key})
    cache.put(parents, keys[4], {"n": "again"})  # written again: now the most recent
    assert len(cache) <= 8
    assert cache.get(parents, keys[-1]) == (True, {"n": keys[-1]})
    assert cache.get(parents, keys[4]) == (True, {"n": "again"})
    assert cache.get(parents, keys[0]) == (False, None)
    cache.forget([parents])
    assert len(cache) == 0


def test_a_projector_overtaken_by_another_writes_nothing_and_its_views_stay_exact(services: Services, clock: Any) -> None:
    a_history(services, clock)
    services.projector.catch_up()
    expected = dump(services)
    late = Projector(services.timebank.recorder, services.timebank.mapper, services.engine)
    reads = iter([{name: 0 for name in services.projector.positions()}])  # read before the other projector moved them
    fresh = late.positions
    late.positions = lambda: next(reads, None) or fresh()  # type: ignore[method-assign]
    assert late.run_once() > 0  # the page is read, but its positions no longer match: nothing is written
    assert dump(services) == expected


def test_a_projector_forgets_its_cached_rows_when_another_projector_moved_its_views_on(services: Services, clock: Any) -> None:
    h = a_history(services, clock)
    a, b = TimeAccount.create_id(h["a"].id), TimeAccount.create_id(h["b"].id)
    services.projector.catch_up()  # caches the rows of a's and b's accounts
    services.timebank.transfer(h["a"], TransferRequest(a, b, 10, "exchange"))
    other = Projector(services.timebank.recorder, services.timebank.mapper, services.engine)
    other.catch_up()  # this transfer reaches the views through the other projector
    services.timebank.transfer(h["b"], TransferRequest(b, a, 4, "exchange"))
    services.projector.catch_up()  # must start from the rows as the other projector left them
    live = dump(services)
    services.projector.rebuild()
    assert dump(services) == live
    with services.engine.connect() as conn:
        balance = conn.execute(select(accounts.c.posted_credits - accounts.c.posted_debits).where(accounts.c.id == b)).scalar_one()
    assert balance == 0 + 10 - 4


def test_a_rebuild_that_fails_still_leaves_every_index_and_start_up_restores_a_missing_one(services: Services, clock: Any) -> None:
    a_history(services, clock)
    broken = all_projections()

    def explode(batch: Any, event: Any) -> None:
        raise RuntimeError("disk full")

    broken[0].handle = explode  # type: ignore[method-assign]
    projector = Projector(services.timebank.recorder, services.timebank.mapper, services.engine, broken)
    with pytest.raises(RuntimeError):
        projector.rebuild()
    wanted = {str(i.name) for p in broken for t in p.tables for i in t.indexes}

    def present() -> set[str]:
        inspector = inspect(services.engine)
        return {str(i["name"]) for p in broken for t in p.tables for i in inspector.get_indexes(t.name)}

    assert wanted <= present()
    some = next(i for p in broken for t in p.tables for i in t.indexes)
    some.drop(services.engine)
    assert some.name not in present()
    services.projector.create_tables()
    assert wanted <= present()


@pytest.mark.parametrize("value", [
    datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc),
    datetime(2026, 11, 18, 10, 30, 5, 120, tzinfo=timezone(timedelta(hours=8))),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
    None,
])
def test_the_fast_sqlite_datetime_conversion_writes_what_sqlalchemy_would(value: datetime | None) -> None:
    dialect = sqlite.dialect()
    assert _sqlite_utc(value) == UTCDateTime().dialect_impl(dialect).bind_processor(dialect)(value)  # type: ignore[misc]
