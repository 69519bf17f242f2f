"""A full disk or a read-only store refuses commands with 503 and Retry-After, writes nothing (the
event log's head, the views' positions and every balance unchanged: no half transfer), still
answers reads, and takes commands again as soon as the fault is lifted, without a restart.

Faults, on the store the suite runs on:
- SQLite, disk full: the data directory on a small tmpfs, filled up (a real ENOSPC: SQLITE_FULL).
- SQLite, read-only: every store connection switched to SQLite's query_only mode (SQLITE_READONLY);
  as root, permissions do not stop writes, and a tmpfs with open files cannot be remounted read-only.
- PostgreSQL, read-only: a private database set to `default_transaction_read_only` and its sessions
  ended (25006 read_only_sql_transaction on every write that follows).
- PostgreSQL, disk full: a private cluster whose data directory is a small tmpfs (its WAL elsewhere,
  as PostgreSQL panics when the WAL cannot grow), filled up (53100 disk_full once a table must grow).

TIMEBANK_SOAK=1 injects and lifts each fault more times.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import TestResponse

from api.app import build_services, create_app
from api.services import Services
from projections.runner import ProjectionLagging
from tests.api.conftest import ApiClient, Person, Walk, expect
from tests.conftest import DATABASE_URL_VAR, Clock
from tests.reliability.pg_cluster import private_cluster, private_database
from tests.reliability.storage_faults import PostgresReadOnly, SqliteReadOnly, fill, tmpfs, truncate_wal
from timebank.settings import Settings

PG_URL = os.environ.get(DATABASE_URL_VAR)
ROUNDS = 3 if os.environ.get("TIMEBANK_SOAK") == "1" else 1


def _settings(data_dir: Path, database_url: str | None = None) -> Settings:
    return Settings(
        database_url=database_url, data_dir=data_dir, secret_key="test-secret", calendar="weekdays", read_wait_seconds=5,
        rate_limit="100000/minute", login_rate_limit="100000/minute",
    )


@contextmanager
def running(settings: Settings, clock: Clock) -> Iterator[tuple[ApiClient, Walk]]:
    """The service on these settings, its projector following the log in the background."""
    services = build_services(settings, clock=clock)
    services.projector.start(0.01)
    try:
        api = ApiClient(create_app(settings, services=services).test_client())
        yield api, Walk(api, services, clock)
    finally:
        services.close()


@dataclass
class Scene:
    """A volunteer with 120 confirmed minutes, another one, and a record waiting for confirmation."""

    api: ApiClient
    walk: Walk
    earner: Person
    payee: Person
    pending: str

    @classmethod
    def set_up(cls, api: ApiClient, walk: Walk) -> Scene:
        earner = walk.volunteer(name="赵敏")
        expect(walk.confirm(walk.declared(earner, minutes=120)), 200)
        payee = walk.volunteer(name="周芷")
        return cls(api, walk, earner, payee, walk.declared(payee, minutes=45))

    @property
    def services(self) -> Services:
        return self.walk.services

    def commands(self) -> dict[str, tuple[Callable[[], TestResponse], int]]:
        """Each command and its status once the store takes writes again."""
        payee_account = self.walk.account(self.payee)["id"]
        earner_account = self.walk.account(self.earner)["id"]
        transfer = {"debit_account_id": earner_account, "credit_account_id": payee_account, "minutes": 30, "kind": "exchange",
                    "transfer_id": str(uuid.uuid4())}
        declaration = {"project_id": self.walk.project_id, "service_date": "2026-11-17", "service_minutes": 20, "content": "读报"}
        from tests.api.conftest import registration

        return {
            "register": (lambda: self.api.post("/api/volunteers", registration(name="吴新")), 201),
            "declare": (lambda: self.api.post("/api/service-records", declaration, self.earner.token), 201),
            "transfer": (lambda: self.api.post("/api/transfers", transfer, self.earner.token), 201),
            "confirm": (lambda: self.walk.confirm(self.pending), 200),
        }

    def state(self) -> dict[str, Any]:
        """What a refused command must leave alone: the log's head, the views, the balances, the record."""
        events = self.walk.event_count()
        try:
            self.services.projector.wait_for(events, 3)  # the views as of the log's head, not on their way
            views: dict[str, int] | None = self.services.projector.positions()
        except ProjectionLagging:
            views = None  # the fault keeps them behind (PostgreSQL's disk full after writes that fitted)

        def read(path: str, token: str) -> Any:
            return expect(self.api.get(path, token, after_last_command=False), 200)

        return {
            "events": events,
            "views": views,
            "earner": read(f"/api/accounts/{self.earner.id}", self.earner.token)["balance"],
            "payee": read(f"/api/accounts/{self.payee.id}", self.payee.token)["balance"],
            "pending": read(f"/api/service-records/{self.pending}", self.walk.organizer.token)["status"],
        }


def unchanged(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """The same state; views are compared when both readings had them caught up."""
    if before["views"] is None or after["views"] is None:
        before, after = {**before, "views": None}, {**after, "views": None}
    return before == after


def refused_then_taken(scene: Scene, inject: Callable[[], None], lift: Callable[[], None], reason: str, *, exhaust: int = 0) -> dict[str, int]:
    """Inject the fault; commands answer 503 with Retry-After and the reason, and a refused one
    writes nothing; reads work meanwhile; lift the fault; every command is then taken, and the
    balances are what the commands say, each applied once.

    `exhaust`: a store that still has room inside its files (PostgreSQL fills a table's last page
    before it must grow the file) takes small writes after the disk is full; up to `exhaust`
    declarations are sent first until one is refused, and a command that still fits must then be
    taken whole. Without it every command must be refused."""
    initial = scene.state()
    commands = scene.commands()
    refused, fitted, taken = 0, 0, set()
    inject()
    try:
        if exhaust:
            for _ in range(exhaust):
                if commands["declare"][0]().status_code == 503:
                    break
                fitted += 1
            else:
                pytest.fail(f"{exhaust} declarations all fitted: the store never ran out of space")
        for name, (command, status) in commands.items():
            before = scene.state()
            response = command()
            if exhaust and response.status_code == status:
                taken.add(name)
                continue
            body = expect(response, 503)
            refused += 1
            assert response.headers["Retry-After"].isdigit(), name
            assert body["reason"] == reason and "retry" in body["message"], (name, body)
            assert unchanged(before, scene.state()), f"{name} was refused but wrote something"
    finally:
        lift()
    for name, (command, status) in commands.items():
        if name not in taken:
            assert command().status_code == status, name
    after = scene.state()
    assert after["views"] is not None and min(after["views"].values()) == after["events"], "the views did not catch up"
    assert refused >= 1 and after["events"] > initial["events"] and after["pending"] == "confirmed"
    assert after["earner"] == initial["earner"] - 30 and after["payee"] == initial["payee"] + 30 + 45
    return {"commands_refused": refused, "writes_that_still_fitted": fitted + len(taken), "log_advanced_by": after["events"] - initial["events"]}


def test_a_full_disk_refuses_commands_with_503_and_takes_them_when_space_is_freed(clock: Clock) -> None:
    with ExitStack() as stack:
        if PG_URL:
            cluster_disk = stack.enter_context(tmpfs(96))
            cluster = stack.enter_context(private_cluster(data_on=cluster_disk))
            settings = _settings(stack.enter_context(_tmp_dir()), cluster.url())
            space, exhaust = cluster_disk, 60
        else:
            space = stack.enter_context(tmpfs(24))
            settings, exhaust = _settings(space / "data"), 0
        api, walk = stack.enter_context(running(settings, clock))
        for _ in range(ROUNDS):
            scene = Scene.set_up(api, walk)

            def inject() -> None:
                if not PG_URL:  # see truncate_wal: only a write that must grow a file meets the full disk
                    for database in ("events.sqlite", "readmodels.sqlite"):
                        truncate_wal(settings.data_dir / database)
                fill(space)

            figures = refused_then_taken(scene, inject, lambda: (space / "filler.bin").unlink(), "store_full", exhaust=exhaust)
            print(f"\ndisk full ({'PostgreSQL' if PG_URL else 'SQLite'}): {figures}")


def test_a_read_only_store_refuses_commands_with_503_answers_reads_and_recovers(clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with ExitStack() as stack:
        fault: SqliteReadOnly | PostgresReadOnly
        if PG_URL:
            url = stack.enter_context(private_database(PG_URL))
            fault = PostgresReadOnly(PG_URL, url.rpartition("/")[2])
            settings = _settings(tmp_path, url)
        else:
            fault = SqliteReadOnly(monkeypatch)  # before the service opens its connections
            settings = _settings(tmp_path)
        api, walk = stack.enter_context(running(settings, clock))
        for _ in range(ROUNDS):
            scene = Scene.set_up(api, walk)
            figures = refused_then_taken(scene, fault.inject, fault.lift, "store_read_only")
            print(f"\nread-only ({'PostgreSQL' if PG_URL else 'SQLite'}): {figures}")


@contextmanager
def _tmp_dir() -> Iterator[Path]:
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="tb-data-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(bool(PG_URL), reason="SQLite only: on PostgreSQL events and views share one database; "
                    "test_database_outage's restart test shows the projector going on after an outage there")
def test_the_projector_waits_out_a_read_only_view_store_and_catches_up(clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The event log takes a command while the views cannot be written: reads that must see it
    answer 503 (the views lag), the projector's thread keeps trying, and catches up once the views
    can be written again, without a restart."""
    views = SqliteReadOnly(monkeypatch, only="readmodels.sqlite")
    settings = _settings(tmp_path)
    with running(settings, clock) as (api, walk):
        volunteer = walk.volunteer(name="郑和")
        views.inject()
        try:
            record_id = walk.declared(volunteer, minutes=25)  # only the event store is written
            lagging = api.get(f"/api/service-records/{record_id}", volunteer.token)
            assert expect(lagging, 503)["field"] == "min_position" and lagging.headers["Retry-After"]
            time.sleep(1.5)  # the projector meets the fault more than once (it retries every second)
            assert walk.services.projector._thread is not None and walk.services.projector._thread.is_alive()
        finally:
            views.lift()
        assert walk.record(record_id, volunteer.token)["service_minutes"] == 25
        assert min(walk.services.projector.positions().values()) == walk.event_count()
