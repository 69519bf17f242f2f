"""What every benchmark shares: a throwaway store (SQLite files or a PostgreSQL schema) and the report."""

from __future__ import annotations

import argparse
import functools
import json
import operator
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Engine, Table

from timebank.settings import Settings


@contextmanager
def throwaway_store(database_url: str | None) -> Iterator[Settings]:
    """Settings for fresh SQLite files, or a fresh PostgreSQL schema; either is removed afterwards."""
    schema = None
    if database_url is not None:
        import psycopg

        schema = "bench_" + secrets.token_hex(4)
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    data_dir = Path(tempfile.mkdtemp(prefix="tb-bench-"))
    try:
        yield Settings(database_url=database_url, database_schema=schema, data_dir=data_dir, secret_key="bench", calendar="weekdays")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)  # the SQLite files of a long run are hundreds of MB
        if schema and database_url is not None:
            import psycopg

            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


def server_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a server process (gunicorn, `timebank projector`) reads these settings from
    (`Settings.from_env`), with `extra` TIMEBANK_* variables on top."""
    env = {**os.environ, "TIMEBANK_DATA_DIR": str(settings.data_dir), "TIMEBANK_SECRET_KEY": settings.secret_key,
           "TIMEBANK_CALENDAR": settings.calendar, "TIMEBANK_LOG_LEVEL": "WARNING"}
    for name, value in (("TIMEBANK_DATABASE_URL", settings.database_url), ("TIMEBANK_DATABASE_SCHEMA", settings.database_schema)):
        if value:
            env[name] = value
        else:
            env.pop(name, None)
    return {**env, **extra}


def report(figures: dict[str, Any]) -> None:
    """A table for people and a JSON line for machines."""
    print(f"{'figure':<36}{'value':>14}")
    for key, value in figures.items():
        print(f"{key:<36}{value!s:>14}")
    print(json.dumps(figures))


def standalone(
    doc: str | None, add_arguments: Callable[[argparse.ArgumentParser], None], run: Callable[[argparse.Namespace], dict[str, Any]],
) -> None:
    """Run one benchmark on its own (`python -m benchmarks.NAME`); the suite is `python -m benchmarks`."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0] if doc else None)
    add_arguments(parser)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL; SQLite files when omitted")
    report(run(parser.parse_args()))


def stop_process(process: subprocess.Popen[Any], grace: float = 30) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `grace` seconds."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _identity(value: Any) -> Any:
    return value


def driver_value(engine: Engine, column: Any) -> Callable[[Any], Any]:
    """A value as the driver takes it: the column type's own conversion on SQLite (hex UUIDs, naive UTC
    text), none on PostgreSQL (COPY adapts UUIDs and aware datetimes itself); JSON as its text on both."""
    if isinstance(column.type, JSON):  # as JSON text, which COPY writes as it is
        return functools.partial(json.dumps, ensure_ascii=False)
    if engine.dialect.name == "postgresql":
        return _identity
    # The dialect's implementation: a TypeDecorator's own bind_processor leaves out its impl's (the
    # text SQLite stores datetimes as, which comparisons with bound parameters depend on).
    return column.type.dialect_impl(engine.dialect).bind_processor(engine.dialect) or _identity


def bulk_writer(engine: Engine, table: Table) -> Callable[[Any, list[dict[str, Any]]], None]:
    """Rows (dicts of driver values) in bulk: COPY on PostgreSQL, the driver's executemany on SQLite.
    The columns are the Table's, so a column added to it and not filled here fails loudly."""
    names = [c.name for c in table.columns]
    values = operator.itemgetter(*names)
    if engine.dialect.name == "postgresql":
        def copy(conn: Any, rows: list[dict[str, Any]]) -> None:
            with conn.connection.driver_connection.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as out:
                for row in rows:
                    out.write_row(values(row))
        return copy
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"

    def executemany(conn: Any, rows: list[dict[str, Any]]) -> None:
        conn.connection.driver_connection.executemany(sql, [values(row) for row in rows])
    return executemany


def empty_tables_without_indexes(engine: Engine, tables: list[Table]) -> None:
    """The tables dropped and made afresh, without their secondary indexes: a bulk fill writes
    faster into bare tables, and `create_indexes` builds them once at the end."""
    metadata = tables[0].metadata
    metadata.drop_all(engine, tables=tables)
    metadata.create_all(engine, tables=tables)
    with engine.begin() as conn:
        for table in tables:
            for index in table.indexes:
                index.drop(conn)


def create_indexes(conn: Any, tables: list[Table]) -> None:
    for table in tables:
        for index in table.indexes:
            index.create(conn)


def settle(engine: Engine, tables: list[Table]) -> None:
    """After a bulk fill, what a live store has: statistics for the planner, and on PostgreSQL the
    visibility map that autovacuum keeps (index-only scans need it)."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.exec_driver_sql(f"VACUUM ANALYZE {table.name}")
