"""Reading the event store with plain SQL: the recorders' tables, in notification (commit) order.

Both the sealer and the independent verifier read the stored events this way, never through the
application, so what they hash is exactly the bytes in the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, text

APPLICATION_NAME = "timebank"  # eventsourcing names the PostgreSQL table after the application: TimeBank -> timebank_events


@dataclass(frozen=True)
class StoredRow:
    notification_id: int
    originator_id: str
    originator_version: int
    topic: str
    state: bytes

    @property
    def key(self) -> tuple[str, int]:
        return self.originator_id, self.originator_version


def connect(url: str, schema: str | None = None) -> Engine:
    """An engine on the event store (or the read models) for plain reads."""
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    connect_args: dict[str, Any] = {"options": f"-csearch_path={schema}"} if schema else {}
    return create_engine(url, pool_size=2, max_overflow=2, pool_pre_ping=True, connect_args=connect_args)


def _source(engine: Engine) -> tuple[str, str]:
    """(table, position column): SQLite's recorder numbers notifications by rowid."""
    if engine.dialect.name == "sqlite":
        return "stored_events", "rowid"
    return f"{APPLICATION_NAME}_events", "notification_id"


def _row(r: Any) -> StoredRow:
    return StoredRow(int(r[0]), str(r[1]), int(r[2]), str(r[3]), bytes(r[4]) if r[4] is not None else b"")


def read_page(engine: Engine, after: int, limit: int) -> list[StoredRow]:
    table, position = _source(engine)
    statement = text(
        f"SELECT {position}, originator_id, originator_version, topic, state FROM {table} "  # noqa: S608 - fixed names
        f"WHERE {position} > :after ORDER BY {position} LIMIT :limit"
    )
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(statement, {"after": after, "limit": limit})]


def stream(engine: Engine, after: int = 0, page: int = 1000) -> Iterator[StoredRow]:
    """Every stored event after position `after`, in order, a page at a time (memory stays flat)."""
    while True:
        rows = read_page(engine, after, page)
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1].notification_id


def find(engine: Engine, key: tuple[str, int]) -> StoredRow | None:
    """The stored event of this aggregate and version, wherever it now stands."""
    table, position = _source(engine)
    originator = "CAST(originator_id AS TEXT)" if engine.dialect.name == "postgresql" else "originator_id"
    statement = text(
        f"SELECT {position}, originator_id, originator_version, topic, state FROM {table} "  # noqa: S608 - fixed names
        f"WHERE {originator} = :originator_id AND originator_version = :version"
    )
    with engine.connect() as conn:
        found = conn.execute(statement, {"originator_id": key[0], "version": key[1]}).first()
    return _row(found) if found is not None else None


def count(engine: Engine) -> int:
    table, _ = _source(engine)
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())  # noqa: S608 - fixed names
