"""Builders for the API specifications: valid registrations, a client that carries tokens and event
positions, and `walk` - a verified organization with a project and a shift, ready for volunteers.

The projector runs in the background (as in production), so every read after a command passes
`?min_position=` with the command's X-Event-Position; `ApiClient.get` does that by default.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from stdnum.cn import ric
from werkzeug.test import TestResponse

from api.app import create_app
from api.services import Services
from tests.conftest import Clock
from timebank.domain.actors import Role
from timebank.settings import Settings

REGION = "110105"  # 北京市朝阳区
_sequence = itertools.count(1)


def resident_id_number(birth_date: date, sequence: int | None = None) -> str:
    """A valid 18-digit resident ID number (GB 11643) for this birth date."""
    seq = next(_sequence) % 1000 if sequence is None else sequence
    first17 = f"{REGION}{birth_date:%Y%m%d}{seq:03d}"
    # stdnum's calc_check_digit takes the whole number and ignores its last character.
    return first17 + ric.calc_check_digit(first17 + "0")


def with_wrong_check_digit(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def registration(**overrides: Any) -> dict[str, Any]:
    """A valid registration body; the ID number follows the birth date unless given."""
    birth = overrides.get("birth_date", "1990-05-17")
    birth_date = birth if isinstance(birth, date) else date.fromisoformat(birth)
    body: dict[str, Any] = {
        "name": "张晓明",
        "sex": "female",
        "birth_date": birth_date.isoformat(),
        "id_number": resident_id_number(birth_date),
        "phone": "13912345678",
        "district": "朝阳区",
        "street": "三里屯街道",
        "skills": ["first_aid"],
        "service_categories": ["elderly_care"],
        "privacy_consent": True,
    }
    body.update({k: (v.isoformat() if isinstance(v, date) else v) for k, v in overrides.items()})
    return body


@dataclass(frozen=True)
class Person:
    id: str
    volunteer_number: str
    token: str


class ApiClient:
    """The Flask test client with bearer tokens; remembers the highest X-Event-Position it saw."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.position = 0

    def request(self, method: str, path: str, *, token: str | None = None, json: Any = None, query: dict[str, Any] | None = None) -> TestResponse:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.open(path, method=method, json=json, headers=headers, query_string=query or {})
        position = response.headers.get("X-Event-Position")
        if position is not None:
            self.position = max(self.position, int(position))
        return response

    def post(self, path: str, json: Any = None, token: str | None = None) -> TestResponse:
        return self.request("POST", path, token=token, json={} if json is None else json)

    def delete(self, path: str, token: str | None = None) -> TestResponse:
        return self.request("DELETE", path, token=token)

    def get(self, path: str, token: str | None = None, *, after_last_command: bool = True, **query: Any) -> TestResponse:
        """GET; by default waits (`min_position`) until the views include the last command seen."""
        if after_last_command and self.position and "min_position" not in query:
            query["min_position"] = self.position
        return self.request("GET", path, token=token, query=query)


def expect(response: TestResponse, status: int) -> Any:
    """Assert the status (showing the body when it differs) and return the JSON body."""
    assert response.status_code == status, f"{response.status_code} != {status}: {response.get_data(as_text=True)}"
    return response.get_json(silent=True)


def event_count(services: Services) -> int:
    """How many events the store holds: a refused command must leave it unchanged."""
    return services.timebank.recorder.max_notification_id() or 0


def register(client: ApiClient | FlaskClient, **overrides: Any) -> Person:
    """Register a volunteer with valid data (override any field); returns their id, number and token."""
    body = expect(client.post("/api/volunteers", json=registration(**overrides)), 201)
    return Person(body["id"], body["volunteer_number"], body["access_token"])


class Walk:
    """A verified organization (its organizer registered it), a project and a shift 1 h after the clock."""

    def __init__(self, api: ApiClient, services: Services, clock: Clock) -> None:
        self.api = api
        self.services = services
        self.clock = clock
        self.admin = services.timebank.create_token(Role.ADMIN, label="test admin")
        self.organizer = register(api, name="王组织")
        created = expect(api.post("/api/organizations", {"name": "三里屯社区志愿服务队", "district": "朝阳区"}, self.organizer.token), 201)
        self.organization_id: str = created["id"]
        expect(api.post(f"/api/organizations/{self.organization_id}/verify", token=self.admin), 200)
        project = {"organization_id": self.organization_id, "name": "助老送餐", "category": "elderly_care", "person_in_charge": "王老师"}
        self.project_id: str = expect(api.post("/api/projects", project, self.organizer.token), 201)["id"]
        self.shift_id = self.add_shift()

    def auditor(self) -> str:
        return self.services.timebank.create_token(Role.AUDITOR, label="test auditor")

    def shift_body(self, *, starts_in: timedelta = timedelta(hours=1), hours: float = 3, capacity: int = 5, **overrides: Any) -> dict[str, Any]:
        starts_at: datetime = self.clock() + starts_in
        body: dict[str, Any] = {
            "title": "上午班",
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=hours)).isoformat(),
            "place": "三里屯社区服务站",
            "capacity": capacity,
        }
        body.update(overrides)
        return body

    def add_shift(self, **kw: Any) -> str:
        response = self.api.post(f"/api/projects/{self.project_id}/shifts", self.shift_body(**kw), self.organizer.token)
        shift_id: str = expect(response, 201)["id"]
        return shift_id

    def volunteer(self, **overrides: Any) -> Person:
        return register(self.api, **overrides)

    def sign_up(self, person: Person, shift_id: str | None = None) -> TestResponse:
        return self.api.post(f"/api/shifts/{shift_id or self.shift_id}/signups", {}, person.token)

    def check_in(self, person: Person, shift_id: str | None = None, token: str | None = None, **body: Any) -> TestResponse:
        return self.api.post(f"/api/shifts/{shift_id or self.shift_id}/check-ins", {"volunteer_id": person.id, **body}, token or self.organizer.token)

    def check_out(self, person: Person, shift_id: str | None = None, token: str | None = None, **body: Any) -> TestResponse:
        return self.api.post(f"/api/shifts/{shift_id or self.shift_id}/check-outs", {"volunteer_id": person.id, **body}, token or self.organizer.token)

    def served(self, person: Person, minutes: int = 60) -> str:
        """Sign up, check in now, serve `minutes`, check out: the id of the pending record."""
        expect(self.sign_up(person), 201)
        expect(self.check_in(person), 201)
        self.clock.advance(minutes=minutes)
        record_id: str = expect(self.check_out(person), 201)["id"]
        return record_id

    def declared(self, person: Person, minutes: int = 90, service_date: str = "2026-11-17") -> str:
        """A self-declared (pending) record of the volunteer for the walk's project."""
        body = {"project_id": self.project_id, "service_date": service_date, "service_minutes": minutes, "content": "陪老人聊天"}
        record_id: str = expect(self.api.post("/api/service-records", body, person.token), 201)["id"]
        return record_id

    def confirm(self, record_id: str, token: str | None = None) -> TestResponse:
        return self.api.post(f"/api/service-records/{record_id}/confirm", token=token or self.organizer.token)

    def record(self, record_id: str, token: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = expect(self.api.get(f"/api/service-records/{record_id}", token or self.organizer.token), 200)
        return body

    def account(self, person: Person) -> dict[str, Any]:
        body: dict[str, Any] = expect(self.api.get(f"/api/accounts/{person.id}", person.token), 200)
        return body

    def statement(self, person: Person) -> list[dict[str, Any]]:
        body: list[dict[str, Any]] = expect(self.api.get(f"/api/accounts/{person.id}/statement", person.token), 200)
        return body

    def event_count(self) -> int:
        return event_count(self.services)


@pytest.fixture
def client(settings: Settings, services: Services) -> Iterator[FlaskClient]:
    """The test client, with the projector following the log in the background as in production."""
    services.projector.start(0.01)
    try:
        yield create_app(settings, services=services).test_client()
    finally:
        services.projector.stop()


@pytest.fixture
def api(client: FlaskClient) -> ApiClient:
    return ApiClient(client)


@pytest.fixture
def walk(api: ApiClient, services: Services, clock: Clock) -> Walk:
    return Walk(api, services, clock)
