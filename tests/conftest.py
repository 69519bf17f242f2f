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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "settings(**overrides): override fields of the test's Settings")


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


@contextmanager
def fresh_schema(url: str | None) -> Iterator[str | None]:
    """A fresh PostgreSQL schema (None on SQLite), dropped afterwards."""
    if not url:
        yield None
        return
    import psycopg
    from psycopg import sql

    schema = f"tb_{secrets.token_hex(8)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield schema
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            # Fail rather than hang if a connection left open still holds a lock in the schema.
            conn.execute("SET lock_timeout = '10s'")
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def database_schema() -> Iterator[str | None]:
    """A fresh PostgreSQL schema for this test (None on SQLite), dropped after the test."""
    with fresh_schema(os.environ.get(DATABASE_URL_VAR)) as schema:
        yield schema


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
