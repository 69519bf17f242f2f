"""Read-model database: engine, UTC datetimes, and the table of projection positions."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Dialect, Integer, MetaData, String, Table, TypeDecorator, create_engine, event
from sqlalchemy.engine import Engine

metadata = MetaData()

positions = Table(
    "projection_positions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("rebuilt_at", DateTime(timezone=True)),
    Column("fingerprint", String(16)),  # of the view's table definitions: a changed shape means a rebuild
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def make_engine(url: str, *, schema: str | None = None, journal: str = "WAL", **kwargs: Any) -> Engine:
    """An engine for the read models. SQLite gets WAL (or the `journal` mode asked for) and a busy
    timeout; PostgreSQL a pool."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute(f"PRAGMA journal_mode={journal}")
            cursor.execute("PRAGMA synchronous=NORMAL" if journal == "WAL" else "PRAGMA synchronous=FULL")
            cursor.close()

        return engine
    # The read models' queries are short: JIT compilation, which PostgreSQL starts for any query
    # the planner estimates above jit_above_cost, took 20 ms of a 50 ms candidate query.
    options = "-c jit=off"
    if schema:
        options += f" -csearch_path={schema}"
    connect_args: dict[str, Any] = {"options": options}
    return create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True, connect_args=connect_args, **kwargs)


__all__ = ["metadata", "positions", "UTCDateTime", "make_engine", "Integer"]
