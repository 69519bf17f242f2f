"""The whole walk over HTTP against a real `timebank serve` process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from stdnum.cn import ric

from tests.conftest import STORES
from tests.e2e.server import PG_URL_VAR, Deployment

pytestmark = pytest.mark.e2e


@pytest.fixture(params=STORES)
def deployment(request: pytest.FixtureRequest, tmp_path: Path, database_schema: str | None) -> Deployment:
    """A deployment on SQLite, or on PostgreSQL in the test's own schema (conftest's `database_schema`)."""
    if request.param == "sqlite":
        return Deployment(tmp_path)
    return Deployment(tmp_path, os.environ[PG_URL_VAR], database_schema)


def resident_id(birth: str, seq: int) -> str:
    first17 = f"110105{birth.replace('-', '')}{seq:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")  # it ignores the last character


class Client:
    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.token = token
        self.position = 0

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def post(self, path: str, body: dict[str, Any] | None = None, expect: int = 201, headers: dict[str, str] | None = None) -> Any:
        r = requests.post(self.base + path, json=body or {}, headers={**self._headers(), **(headers or {})}, timeout=10)
        assert r.status_code == expect, (path, r.status_code, r.text)
        self.position = max(self.position, int(r.headers.get("X-Event-Position", 0)))
        return r.json() if r.content else None

    def get(self, path: str, expect: int = 200, **params: Any) -> Any:
        params.setdefault("min_position", self.position)
        r = requests.get(self.base + path, params=params, headers=self._headers(), timeout=10)
        assert r.status_code == expect, (path, r.status_code, r.text)
        return r.json()


def register(base: str, name: str, seq: int) -> tuple[str, Client]:
    body = {
        "name": name, "sex": "female", "birth_date": "1985-06-15", "id_number": resident_id("1985-06-15", seq),
        "phone": f"139{seq:08d}", "district": "朝阳区", "skills": ["first_aid"], "privacy_consent": True,
    }
    reg = Client(base).post("/api/volunteers", body)
    return reg["id"], Client(base, reg["access_token"])


def test_the_whole_walk_survives_a_restart_and_a_rebuild(deployment: Deployment) -> None:
    admin_token = deployment.cli("tokens", "create", "--role", "admin").strip()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with deployment.server() as base:
        admin = Client(base, admin_token)
        organizer_id, organizer = register(base, "王芳", 1)
        volunteer_id, volunteer = register(base, "李娜", 2)

        org = organizer.post("/api/organizations", {"name": "朝阳门街道志愿服务队", "district": "东城区"})["id"]
        organizer.post("/api/projects", {"organization_id": org, "name": "社区助老", "person_in_charge": "王芳"}, expect=422)
        admin.post(f"/api/organizations/{org}/verify", expect=200)
        project = organizer.post("/api/projects", {"organization_id": org, "name": "社区助老", "person_in_charge": "王芳"})["id"]
        shift = organizer.post(f"/api/projects/{project}/shifts", {
            "title": "上午班", "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(), "place": "朝阳门社区服务中心", "capacity": 5,
        })["id"]

        volunteer.post(f"/api/shifts/{shift}/signups", {})
        organizer.post(f"/api/shifts/{shift}/check-ins", {"volunteer_id": volunteer_id, "at": (now - timedelta(minutes=50)).isoformat()})
        record = organizer.post(f"/api/shifts/{shift}/check-outs", {"volunteer_id": volunteer_id, "at": now.isoformat()})["id"]
        volunteer.position = organizer.position
        assert volunteer.get(f"/api/accounts/{volunteer_id}")["pending"] == 50

        organizer.post(f"/api/service-records/{record}/confirm", expect=200)
        volunteer.position = organizer.position
        account = volunteer.get(f"/api/accounts/{volunteer_id}")
        assert (account["balance"], account["available"], account["pending"]) == (50, 50, 0)

        # A self-declared record is rejected and never reaches the balance.
        yesterday = (now - timedelta(days=1)).date().isoformat()
        declared = volunteer.post("/api/service-records", {
            "project_id": project, "service_date": yesterday, "service_minutes": 120, "content": "陪老人聊天",
        })["id"]
        organizer.post(f"/api/service-records/{declared}/reject", {"reason": "not on the roster"}, expect=200)
        volunteer.position = organizer.position
        assert volunteer.get(f"/api/service-records/{declared}")["status"] == "rejected"
        assert volunteer.get(f"/api/accounts/{volunteer_id}")["balance"] == 50

        # A correction changes the balance by a new transfer.
        organizer.post(f"/api/service-records/{record}/corrections", {"service_minutes": 40, "reason": "left early"})
        volunteer.position = organizer.position
        assert volunteer.get(f"/api/accounts/{volunteer_id}")["balance"] == 40
        lines = volunteer.get(f"/api/accounts/{volunteer_id}/statement")
        assert [(line["kind"], line["phase"], line["amount"]) for line in lines if line["phase"] == "posted"] == [
            ("correction", "posted", -10), ("service_credit", "posted", 50),
        ]

        # The record's history lists every step with its actor.
        history = volunteer.get(f"/api/aggregates/{record}/events")
        assert [(e["type"], e["actor"]) for e in history] == [
            ("ServiceRecord.Recorded", f"volunteer:{organizer_id}"),
            ("ServiceRecord.Confirmed", f"volunteer:{organizer_id}"),
            ("ServiceRecord.Corrected", f"volunteer:{organizer_id}"),
        ]
        # Credits move: a gift retried with the same Idempotency-Key moves once; a donation to a pool.
        mine = volunteer.get(f"/api/accounts/{volunteer_id}")["id"]
        theirs = organizer.get(f"/api/accounts/{organizer_id}")["id"]
        gift = {"debit_account_id": mine, "credit_account_id": theirs, "minutes": 10, "kind": "gift", "relation": "spouse"}
        first = volunteer.post("/api/transfers", gift, headers={"Idempotency-Key": "walk-gift"})
        assert volunteer.post("/api/transfers", gift, headers={"Idempotency-Key": "walk-gift"}) == first
        pool = next(p for p in volunteer.get("/api/accounts/pools") if p["district"] == "朝阳区")["id"]
        volunteer.post("/api/transfers", {"debit_account_id": mine, "credit_account_id": pool, "minutes": 5, "kind": "donation"})
        volunteer.post("/api/transfers", {"debit_account_id": mine, "credit_account_id": pool, "minutes": 26, "kind": "donation"}, expect=422)
        assert volunteer.get(f"/api/accounts/{volunteer_id}")["balance"] == 25
        admin.position = volunteer.position
        reconciliation = admin.get("/api/reconciliation")
        assert reconciliation["balanced"] and reconciliation["total"]["issued_credits"] == 40
        before = volunteer.get(f"/api/accounts/{volunteer_id}")
        statement_before = volunteer.get(f"/api/accounts/{volunteer_id}/statement")
        records_before = organizer.get(f"/api/organizations/{org}/service-records")
        position = volunteer.position

    # Stopping and starting again loses nothing.
    with deployment.server() as base:
        again = Client(base, volunteer.token)
        again.position = position
        assert again.get(f"/api/accounts/{volunteer_id}") == before
        assert Client(base, organizer.token).get(f"/api/organizations/{org}/service-records", min_position=position) == records_before

    # Rebuilding the projections gives the same balances, statements and records.
    out = deployment.cli("projections", "rebuild")
    assert "rebuilt all projections" in out
    with deployment.server() as base:
        rebuilt = Client(base, volunteer.token)
        rebuilt.position = position
        assert rebuilt.get(f"/api/accounts/{volunteer_id}") == before
        assert rebuilt.get(f"/api/accounts/{volunteer_id}/statement") == statement_before
        assert Client(base, admin_token).get("/api/reconciliation", min_position=position) == reconciliation
        assert Client(base, organizer.token).get(f"/api/organizations/{org}/service-records", min_position=position) == records_before


def test_demo_serve_seeds_once_and_prints_tokens(deployment: Deployment) -> None:
    with deployment.server("--demo") as base:
        health = requests.get(base + "/api/health", timeout=5).json()
        assert health["event_position"] > 1000
    log = next(deployment.data_dir.glob("server-*.log")).read_text()
    tokens = {line.split()[0]: line.split()[1] for line in log.splitlines() if line.startswith("  ") and len(line.split()) == 2}
    assert set(tokens) >= {"admin", "auditor", "organizer", "volunteer"}
    with deployment.server("--demo") as base:
        health_again = requests.get(base + "/api/health", timeout=5).json()
        assert health_again["event_position"] == health["event_position"]  # not seeded twice
        r = requests.get(base + "/openapi.json", timeout=5)
        assert r.status_code == 200 and "/api/service-records/{record_id}/confirm" in r.json()["paths"]
        me = requests.get(base + "/api/health", timeout=5)
        assert me.status_code == 200
        auditor = requests.get(base + "/api/volunteers/00000000-0000-0000-0000-000000000000",
                               headers={"Authorization": f"Bearer {tokens['auditor']}"}, timeout=5)
        assert auditor.status_code == 404  # the token authenticates; the volunteer does not exist
