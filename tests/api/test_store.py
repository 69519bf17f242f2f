"""The composition root puts the event store and the views where the settings say."""

from __future__ import annotations

import os
import time
from typing import Any

import psycopg
import pytest

from api.app import build_services
from api.services import Services
from tests.api.conftest import ApiClient, register
from tests.conftest import DATABASE_URL_VAR, postgres_only, race_in_processes
from timebank.settings import Settings


def test_on_sqlite_the_events_and_the_views_are_files_in_the_data_directory(settings: Settings, api: ApiClient) -> None:
    register(api)
    if settings.uses_postgres:
        assert settings.database_schema
        return
    assert (settings.data_dir / "events.sqlite").stat().st_size > 0
    assert (settings.data_dir / "readmodels.sqlite").stat().st_size > 0


@postgres_only
def test_on_postgresql_the_events_and_the_views_live_in_the_configured_schema(settings: Settings, services: Services, api: ApiClient) -> None:
    register(api)
    assert settings.database_schema and settings.database_schema.startswith("tb_")
    with psycopg.connect(os.environ[DATABASE_URL_VAR]) as conn:
        rows = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (settings.database_schema,))
        tables = {name for (name,) in rows}
        events = conn.execute(f'SELECT count(*) FROM "{settings.database_schema}".timebank_events').fetchone()
    assert {"timebank_events", "projection_positions", "volunteers", "service_records", "statement_entries"} <= tables
    assert events is not None and events[0] == services.timebank.recorder.max_notification_id()


def _start_and_stop(settings: Settings, start: Any, results: Any) -> None:
    start.wait(30)
    try:
        build_services(settings).close()
    except Exception as exc:  # reported to the parent, which fails the test
        results.put(f"{type(exc).__name__}: {exc}")
    else:
        results.put("ok")


@pytest.mark.fresh_store
def test_workers_starting_together_on_an_empty_store_all_come_up(settings: Settings) -> None:
    """Several gunicorn workers create the tables at the same moment; each must start."""
    assert race_in_processes(_start_and_stop, (settings,), 4) == ["ok"] * 4


@postgres_only
def test_creating_tables_in_one_schema_never_waits_for_another_schema(settings: Settings) -> None:
    """The start-up lock is per schema: deployments (and test workers) in other schemas go on."""
    from dataclasses import replace
    from threading import Thread

    from api.clock_lock import advisory_key
    from tests.conftest import fresh_schema

    assert advisory_key("tb_x", "tables") != advisory_key("tb_x")  # the clock's lock is another
    url = os.environ[DATABASE_URL_VAR]
    with psycopg.connect(url, autocommit=True) as holder, fresh_schema(url) as other:
        holder.execute("SELECT pg_advisory_lock(%s)", (advisory_key(other, "tables"),))  # the other schema is "starting"
        outcome: list[str] = []
        starter = Thread(target=lambda: outcome.append(_start_and_stop_here(settings)), daemon=True)
        starter.start()
        starter.join(60)
        assert outcome == ["ok"]
        holder.execute("SELECT pg_advisory_unlock(%s)", (advisory_key(other, "tables"),))
        assert replace(settings, database_schema=other).database_schema == other


def _start_and_stop_here(settings: Settings) -> str:
    build_services(settings).close()
    return "ok"


@postgres_only
def test_start_up_waits_for_a_slow_first_connection_longer_than_a_request_would(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request waits POSTGRES_CONNECT_TIMEOUT (1 s) for a pooled connection; start-up, whose first
    connection is made while the new pool is still connecting, waits longer (a busy CI machine once
    took over a second)."""
    from eventsourcing.postgres import ConnectionPool, PostgresFactory

    from timebank.application import TimeBank

    assert settings.event_store_env()["POSTGRES_CONNECT_TIMEOUT"] == "1"
    connect = ConnectionPool._connect

    def slow_connect(self: Any, timeout: float | None = None) -> Any:
        time.sleep(1.5)
        return connect(self, timeout=timeout)

    monkeypatch.setattr(ConnectionPool, "_connect", slow_connect)
    app = TimeBank(env=settings.event_store_env())  # before the start-up wait: PoolTimeout after 1 s
    try:
        assert isinstance(app.factory, PostgresFactory) and app.factory.datastore.pool.get_stats()["connections_num"] >= 1
    finally:
        app.close()
