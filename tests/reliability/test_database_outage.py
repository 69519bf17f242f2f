"""When the store is unreachable or restarting, every request answers 503 with Retry-After (never a
500, never a hang), nothing is half-written, and the service recovers by itself when the store is back.

- The error table, in process, on both stores: real driver errors (SQLite's result codes, psycopg's
  SQLSTATEs, a refused connection) raised where the store is used answer 503 with Retry-After and
  the reason; bugs and conflicts do not.
- PostgreSQL restarted under load: a real `timebank serve` on a private cluster (the machine's
  PostgreSQL is shared and never restarted), client threads writing and reading, the cluster
  restarted (`pg_ctl restart -m fast`) and stopped for a few seconds then started again.

TIMEBANK_SOAK=1 runs three outage rounds (default: one round of a restart, 3 s down, 14 s down).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import psycopg.errors
import pytest
import requests
import sqlalchemy.exc
from eventsourcing import persistence

from api.services import Services
from tests.api.conftest import ApiClient, Walk, expect
from tests.conftest import postgres_only
from tests.e2e.server import Deployment, free_port
from tests.reliability.pg_cluster import private_cluster

ROOT = Path(__file__).resolve().parents[2]
SOAK = os.environ.get("TIMEBANK_SOAK") == "1"
CLIENT_TIMEOUT = 15.0  # seconds; a request that takes longer counts as a hang
RECOVERY_BOUND = 5.0  # seconds from the store being back to the first command taken (psycopg_pool's backoff alone took 20)


# Real driver errors ------------------------------------------------------------------------------
def sqlite_full() -> Exception:
    """SQLITE_FULL, from a database not allowed to grow (max_page_count)."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.execute("PRAGMA max_page_count = 2")
    try:
        conn.execute("INSERT INTO t VALUES (zeroblob(100000))")
    except sqlite3.Error as error:
        return error
    finally:
        conn.close()
    raise AssertionError("SQLite wrote past max_page_count")


def sqlite_read_only() -> Exception:
    """SQLITE_READONLY, from a connection in query_only mode."""
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA query_only = ON")
    try:
        conn.execute("CREATE TABLE t (x)")
    except sqlite3.Error as error:
        return error
    finally:
        conn.close()
    raise AssertionError("SQLite wrote in query_only mode")


def sqlite_no_such_table() -> Exception:
    """A bug, not an outage: SQLITE_ERROR."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("SELECT * FROM missing")
    except sqlite3.Error as error:
        return error
    finally:
        conn.close()
    raise AssertionError("a missing table was found")


def postgres_refused() -> Exception:
    """What psycopg says when nothing listens on the port (no SQLSTATE: the server never answered)."""
    try:
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres", connect_timeout=3).close()
    except psycopg.Error as error:
        return error
    raise AssertionError("something listens on a free port")


def wrapped(driver_error: Exception) -> persistence.PersistenceError:
    """The driver's error as eventsourcing 9.5 raises it: the same-named class, `from` the original."""
    cls = next(
        (getattr(persistence, c.__name__) for c in type(driver_error).__mro__ if isinstance(getattr(persistence, c.__name__, None), type)
         and issubclass(getattr(persistence, c.__name__), persistence.PersistenceError)),
        persistence.PersistenceError,
    )
    try:
        raise cls(str(driver_error)) from driver_error
    except persistence.PersistenceError as error:
        return error


OUTAGES: dict[str, tuple[Callable[[], Exception], str, str]] = {
    # name: (the driver error, the reason in the body, Retry-After)
    "sqlite-full": (sqlite_full, "store_full", "30"),
    "sqlite-read-only": (sqlite_read_only, "store_read_only", "30"),
    "pg-refused": (postgres_refused, "store_unavailable", "5"),
    "pg-admin-shutdown": (lambda: psycopg.errors.AdminShutdown("terminating connection due to administrator command"), "store_unavailable", "5"),
    "pg-cannot-connect-now": (lambda: psycopg.errors.CannotConnectNow("the database system is starting up"), "store_unavailable", "5"),
    "pg-read-only": (lambda: psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"), "store_read_only", "30"),
    "pg-disk-full": (lambda: psycopg.errors.DiskFull('could not extend file "base/1/2": No space left on device'), "store_full", "30"),
}


# In process: the error table ----------------------------------------------------------------------
def fail_with(error: Exception) -> Callable[..., Any]:
    def raising(*args: Any, **kwargs: Any) -> Any:
        raise error
    return raising


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_a_store_failure_answers_503_with_retry_after_and_writes_nothing(
    outage: str, api: ApiClient, walk: Walk, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, reason, retry_after = OUTAGES[outage]
    volunteer = walk.volunteer(name="钱多多")
    declaration = {"project_id": walk.project_id, "service_date": str(walk.clock().date()), "service_minutes": 30, "content": "陪老人聊天"}
    before = walk.event_count()
    with monkeypatch.context() as patch:
        # Writes fail in the event store, as eventsourcing raises it; reads in the views, as SQLAlchemy does.
        patch.setattr(services.timebank.recorder, "insert_events", fail_with(wrapped(make())))
        patch.setattr(services.projector, "positions", fail_with(sqlalchemy.exc.OperationalError("SELECT", {}, make())))
        for response in (api.post("/api/service-records", declaration, volunteer.token), api.get("/api/health", after_last_command=False)):
            body = expect(response, 503)
            assert response.headers["Retry-After"] == retry_after
            assert body["reason"] == reason and body["retry_after"] == int(retry_after)
            assert "database" in body["message"]
        assert walk.event_count() == before
    # The store is back: the same command goes through, no restart needed.
    record_id = expect(api.post("/api/service-records", declaration, volunteer.token), 201)["id"]
    assert walk.record(record_id, volunteer.token)["service_minutes"] == 30
    assert expect(api.get("/api/health"), 200)["status"] == "ok"


def test_bugs_and_conflicts_in_the_store_are_not_reported_as_outages(
    api: ApiClient, walk: Walk, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    volunteer = walk.volunteer(name="孙悟")
    declaration = {"project_id": walk.project_id, "service_date": str(walk.clock().date()), "service_minutes": 30, "content": "陪老人聊天"}
    before = walk.event_count()
    bugs = [wrapped(sqlite_no_such_table()), wrapped(psycopg.errors.UndefinedTable('relation "stored_events" does not exist'))]
    for bug in bugs:
        monkeypatch.setattr(services.timebank.recorder, "insert_events", fail_with(bug))
        response = api.post("/api/service-records", declaration, volunteer.token)
        assert response.status_code == 500, response.get_data(as_text=True)
        assert "Retry-After" not in response.headers
    # A unique violation is another writer's version of the aggregate: retried, then a conflict (409).
    monkeypatch.setattr(services.timebank.recorder, "insert_events", fail_with(wrapped(psycopg.errors.UniqueViolation("duplicate key"))))
    assert expect(api.post("/api/service-records", declaration, volunteer.token), 409)
    assert walk.event_count() == before


# A real PostgreSQL restart under load ------------------------------------------------------------
@dataclass
class Outcome:
    started: float
    took: float
    method: str
    status: int | None  # None: no answer (timeout, refused connection)
    retry_after: str | None = None
    error: str = ""


@dataclass
class Load:
    """Client threads that declare service and read it back, recording every answer."""

    base: str
    tokens: list[str]
    project_id: str
    outcomes: list[Outcome] = field(default_factory=list)
    acknowledged: dict[str, tuple[str, int]] = field(default_factory=dict)  # record id -> (token, position)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _call(self, method: str, path: str, token: str, **kwargs: Any) -> requests.Response | None:
        started = time.monotonic()
        try:
            response = requests.request(method, self.base + path, headers={"Authorization": f"Bearer {token}"}, timeout=CLIENT_TIMEOUT, **kwargs)
        except requests.RequestException as error:
            with self.lock:
                self.outcomes.append(Outcome(started, time.monotonic() - started, method, None, error=repr(error)))
            return None
        outcome = Outcome(started, time.monotonic() - started, method, response.status_code, response.headers.get("Retry-After"))
        if response.status_code >= 500 or response.status_code not in (200, 201, 503):
            outcome.error = response.text[:300]
        with self.lock:
            self.outcomes.append(outcome)
        return response

    def worker(self, token: str) -> None:
        position = 0
        while not self.stop.is_set():
            body = {"project_id": self.project_id, "service_date": date.today().isoformat(), "service_minutes": 1, "content": "巡逻"}
            response = self._call("POST", "/api/service-records", token, json=body)
            if response is not None and response.status_code == 201:
                position = int(response.headers["X-Event-Position"])
                with self.lock:
                    self.acknowledged[response.json()["id"]] = (token, position)
            self._call("GET", "/api/health", token, params={"min_position": position} if position else {})
            time.sleep(0.01)

    def first_success_after(self, moment: float) -> float | None:
        """Seconds from `moment` to the end of the first command started after it that was acknowledged."""
        with self.lock:
            done = [o.started + o.took for o in self.outcomes if o.method == "POST" and o.status == 201 and o.started >= moment]
        return min(done) - moment if done else None


@postgres_only
def test_a_postgresql_restart_under_load_answers_503_never_500_and_recovers_by_itself(tmp_path: Path) -> None:
    with private_cluster() as cluster:
        deployment = Deployment(tmp_path, cluster.url())
        deployment.env.update({"PYTHONPATH": str(ROOT), "TIMEBANK_RATE_LIMIT": "1000000/minute", "TIMEBANK_READ_WAIT_SECONDS": "5"})
        admin_token = deployment.cli("tokens", "create", "--role", "admin").strip()
        with deployment.server() as base:  # with its clock, as in production
            tokens, project_id = _cast(base, admin_token, volunteers=3)
            load = Load(base, tokens, project_id)
            threads = [threading.Thread(target=load.worker, args=(t,), daemon=True) for t in tokens]
            for thread in threads:
                thread.start()
            recoveries: list[tuple[str, float | None]] = []
            outage_windows: list[tuple[float, float]] = []
            try:
                time.sleep(1.5)
                for _ in range(3 if SOAK else 1):
                    began = time.monotonic()
                    cluster.restart("fast")
                    back = time.monotonic()
                    outage_windows.append((began, back))
                    recoveries.append(("restart", _await_recovery(load, back)))
                    # Down for less, then for more than a request waits for a connection (~12 s).
                    for down in (3, 14):
                        began = time.monotonic()
                        cluster.stop("fast")
                        time.sleep(down)
                        cluster.start()
                        back = time.monotonic()
                        outage_windows.append((began, back))
                        recoveries.append((f"down {down} s", _await_recovery(load, back)))
                time.sleep(1)
            finally:
                load.stop.set()
                for thread in threads:
                    thread.join(CLIENT_TIMEOUT + 5)
            statuses = Counter(o.status for o in load.outcomes)
            during = [o for o in load.outcomes if any(a - 0.5 <= o.started <= b + 0.5 for a, b in outage_windows)]
            report = {
                "requests": len(load.outcomes), "statuses": dict(statuses), "during_outages": len(during),
                "503_during_outages": sum(o.status == 503 for o in during), "acknowledged": len(load.acknowledged),
                "recovery_seconds": recoveries, "slowest": round(max(o.took for o in load.outcomes), 2),
            }
            print(f"\nPostgreSQL restart under load: {report}")
            bad = [o for o in load.outcomes if o.status not in (200, 201, 503)]
            assert not bad, f"{len(bad)} answers neither 2xx nor 503, e.g. {bad[:5]}\n{_server_log(tmp_path)}"
            assert all(o.retry_after for o in load.outcomes if o.status == 503), "a 503 without Retry-After"
            assert statuses[503] > 0, "the outages were never seen: the test did not test anything"
            assert all(took is not None and took <= RECOVERY_BOUND for _, took in recoveries), f"slow or no recovery: {recoveries}"
            assert max(o.took for o in load.outcomes) < CLIENT_TIMEOUT
            # Every acknowledged declaration is there, and the views caught up without a restart.
            last = max((p for _, p in load.acknowledged.values()), default=0)
            for record_id, (token, _) in load.acknowledged.items():
                response = requests.get(f"{base}/api/service-records/{record_id}", params={"min_position": last},
                                        headers={"Authorization": f"Bearer {token}"}, timeout=CLIENT_TIMEOUT)
                assert response.status_code == 200, (record_id, response.status_code, response.text)
            health = requests.get(f"{base}/api/health", timeout=CLIENT_TIMEOUT).json()
            assert min(health["views"].values()) == health["event_position"] >= last


def _await_recovery(load: Load, back: float, bound: float = 30.0) -> float | None:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        took = load.first_success_after(back)
        if took is not None:
            return round(took, 2)
        time.sleep(0.05)
    return None


def _cast(base: str, admin_token: str, volunteers: int) -> tuple[list[str], str]:
    """An organizer with a verified organization and a project, and volunteers' tokens."""
    from tests.api.conftest import registration

    def post(path: str, body: dict[str, Any], token: str | None = None, status: int = 201) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = requests.post(base + path, json=body, headers=headers, timeout=CLIENT_TIMEOUT)
        assert response.status_code == status, (path, response.status_code, response.text)
        return response.json()

    organizer = post("/api/volunteers", registration(name="王组织", phone="13900000001"))["access_token"]
    organization = post("/api/organizations", {"name": "朝阳门街道志愿服务队", "district": "朝阳区"}, organizer)["id"]
    post(f"/api/organizations/{organization}/verify", {}, admin_token, status=200)
    project = post("/api/projects", {"organization_id": organization, "name": "社区巡逻", "person_in_charge": "王组织"}, organizer)["id"]
    tokens = [post("/api/volunteers", registration(name=f"志愿者{i}", phone=f"1390000{i + 10:04d}"))["access_token"] for i in range(volunteers)]
    return tokens, project


def _server_log(data_dir: Path) -> str:
    return "\n".join(p.read_text(errors="replace")[-3000:] for p in data_dir.glob("server-*.log"))
