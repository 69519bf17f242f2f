"""Fixtures shared by every layer: settings for SQLite or PostgreSQL, a hand-wound clock, services, a client.

The store is chosen by TIMEBANK_TEST_DATABASE_URL: unset, SQLite files in the test's tmp_path; set
(postgresql://...), PostgreSQL, each test isolated in a fresh schema that is dropped afterwards.
Per-test settings overrides: `@pytest.mark.settings(read_wait_seconds=0.2)`.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.app import build_services, create_app
from api.services import Services
from tests.builders import FixedClock as Clock
from timebank.settings import Settings

DATABASE_URL_VAR = "TIMEBANK_TEST_DATABASE_URL"

postgres_only = pytest.mark.skipif(
    not os.environ.get(DATABASE_URL_VAR),
    reason=f"set {DATABASE_URL_VAR}=postgresql://... to run PostgreSQL tests",
)

# For tests that start real processes on a store of their choosing: each store's case runs in that
# store's run of the suite (CI runs the suite once per store), never twice.
STORES = [
    pytest.param("sqlite", marks=pytest.mark.skipif(
        bool(os.environ.get(DATABASE_URL_VAR)), reason=f"runs in the suite's SQLite run ({DATABASE_URL_VAR} unset)")),
    pytest.param("postgres", marks=pytest.mark.skipif(
        not os.environ.get(DATABASE_URL_VAR), reason=f"set {DATABASE_URL_VAR}=postgresql://... to run against PostgreSQL")),
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "settings(**overrides): override fields of the test's Settings")
    config.addinivalue_line("markers", "fresh_store: a new, empty PostgreSQL schema (not an emptied one)")


def race_in_processes(target: Callable[..., None], args: tuple[Any, ...], count: int) -> list[Any]:
    """Start `count` spawned processes that call target(*args, start, results) and wait on `start`,
    release them together, and return what each put on `results`."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    processes = [context.Process(target=target, args=(*args, start, results)) for _ in range(count)]
    for process in processes:
        process.start()
    start.set()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(60)
    return outcomes


def _create_schema(url: str) -> str:
    import psycopg
    from psycopg import sql

    schema = f"tb_{secrets.token_hex(8)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    return schema


def _drop_schema(url: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        # Fail rather than hang if a connection left open still holds a lock in the schema.
        conn.execute("SET lock_timeout = '10s'")
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@contextmanager
def fresh_schema(url: str | None) -> Iterator[str | None]:
    """A fresh PostgreSQL schema (None on SQLite), dropped afterwards."""
    if not url:
        yield None
        return
    schema = _create_schema(url)
    try:
        yield schema
    finally:
        _drop_schema(url, schema)


# Schemas a finished test left in exactly the shape services build, emptied of every row, for the
# next test of this process. PostgreSQL needs about a second to create the ~30 tables and their
# indexes of a new schema and a twentieth of that to empty one; the suite builds services ~2,000 times.
_emptied_schemas: list[str] = []
_pristine_shape: list[list[tuple[Any, ...]]] = []  # the shape of a schema build_services made, once per process

_SHAPE_SQL = r"""
SELECT 'column', c.relname, a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(schema)s AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
UNION ALL
SELECT 'index', tablename, regexp_replace(indexdef, ' ON [^ ]+\.', ' ON ') FROM pg_indexes WHERE schemaname = %(schema)s
UNION ALL
SELECT 'constraint', cl.relname, co.conname || ' ' || co.contype::text FROM pg_constraint co
  JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = co.connamespace WHERE n.nspname = %(schema)s
UNION ALL
SELECT 'relation', c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %(schema)s AND c.relkind NOT IN ('r', 'p', 'i')
UNION ALL
SELECT 'routine', p.proname, '' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %(schema)s
UNION ALL
SELECT 'trigger', c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(schema)s AND NOT t.tgisinternal
ORDER BY 1, 2, 3
"""


def _shape(conn: Any, schema: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(_SHAPE_SQL, {"schema": schema})]


def _emptied_if_pristine(url: str, schema: str) -> bool:
    """Empty the schema if it has exactly the shape build_services gives a new one (True); else False."""
    import psycopg
    from psycopg import sql

    if not _pristine_shape:
        import tempfile

        with fresh_schema(url) as reference, tempfile.TemporaryDirectory() as data_dir:
            build_services(Settings(database_url=url, database_schema=reference, data_dir=Path(data_dir),
                                    secret_key="shape", calendar="weekdays")).close()
            with psycopg.connect(url, autocommit=True) as conn:
                _pristine_shape.append(_shape(conn, str(reference)))
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '5s'")
            if _shape(conn, schema) != _pristine_shape[0]:
                return False
            with conn.transaction():
                conn.execute("SET LOCAL session_replication_role = replica")  # no triggers, no foreign-key order
                tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)).fetchall()
                for (table,) in tables:
                    conn.execute(sql.SQL("DELETE FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
                sequences = conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = %s", (schema,)).fetchall()
                for (sequence,) in sequences:
                    conn.execute("SELECT setval(%s::regclass, 1, false)", (sql.Identifier(schema, sequence).as_string(conn),))
    except psycopg.Error:
        return False  # e.g. a connection the test left open holds a lock: the schema is dropped instead
    return True


@pytest.fixture(scope="session", autouse=True)
def _drop_emptied_schemas() -> Iterator[None]:
    yield
    url = os.environ.get(DATABASE_URL_VAR)
    while url and _emptied_schemas:
        _drop_schema(url, _emptied_schemas.pop())


@pytest.fixture
def database_schema(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """A PostgreSQL schema of this test's own (None on SQLite), dropped or emptied afterwards.

    Either new, or one an earlier test of this process left in exactly the shape services build,
    emptied of every row and with its counters reset: the same to a test, at a twentieth of the cost.
    `@pytest.mark.fresh_store` asks for a new, empty schema (tests of what start-up creates).
    """
    url = os.environ.get(DATABASE_URL_VAR)
    if not url:
        yield None
        return
    fresh = request.node.get_closest_marker("fresh_store") is not None
    schema = _emptied_schemas.pop() if _emptied_schemas and not fresh else _create_schema(url)
    try:
        yield schema
    finally:
        if not fresh and _emptied_if_pristine(url, schema):
            _emptied_schemas.append(schema)
        else:
            _drop_schema(url, schema)


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_schema: str | None) -> Settings:
    base = Settings(
        database_url=os.environ.get(DATABASE_URL_VAR) or None,
        database_schema=database_schema,
        data_dir=tmp_path,
        secret_key="test-secret",
        calendar="weekdays",
        read_wait_seconds=5,
        # Tests send hundreds of requests a second from one address; tests of the limits set their own.
        rate_limit="100000/minute",
        login_rate_limit="100000/minute",
    )
    marker = request.node.get_closest_marker("settings")
    return replace(base, **marker.kwargs) if marker else base


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    """The composition root's services on this test's store; the projector is not running."""
    built = build_services(settings, clock=clock)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def client(settings: Settings, services: Services) -> FlaskClient:
    return create_app(settings, services=services).test_client()
