"""Security over HTTP: logins and sessions, idempotency keys, limits, actors on every event."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.services import Services
from tests.api.conftest import ApiClient, Person, Walk, event_count, expect, register, registration
from tests.conftest import Clock
from timebank.clock import utcnow

PASSWORD = "lantern-42-river"


def set_password(api: ApiClient, person: Person, password: str = PASSWORD, current: str | None = None) -> Any:
    body = {"password": password, **({"current_password": current} if current else {})}
    return api.post("/api/auth/password", body, person.token)


def login(api: ApiClient, login_name: str, **secret: str) -> Any:
    return api.post("/api/auth/login", {"login": login_name, **secret})


@pytest.fixture
def person(api: ApiClient) -> Person:
    someone = register(api, phone="13811112222")
    expect(set_password(api, someone), 204)
    return someone


# Logging in ---------------------------------------------------------------------------------
def test_a_volunteer_logs_in_by_number_or_phone_and_the_token_works(api: ApiClient, person: Person) -> None:
    for name in (person.volunteer_number, "138 1111 2222"):
        tokens = expect(login(api, name, password=PASSWORD), 200)
        assert tokens["volunteer_id"] == person.id and tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
        assert tokens["access_token"].count(".") == 2  # a JWT
        expect(api.get(f"/api/volunteers/{person.id}", tokens["access_token"]), 200)


def test_wrong_password_and_unknown_login_get_the_same_401(api: ApiClient, person: Person) -> None:
    wrong = expect(login(api, person.volunteer_number, password="not-the-password"), 401)
    unknown = expect(login(api, "BJ0000000000", password=PASSWORD), 401)
    assert wrong["message"] == unknown["message"]


def test_a_phone_shared_by_two_volunteers_cannot_log_in_but_the_number_can(api: ApiClient) -> None:
    first, second = register(api, phone="13722223333"), register(api, phone="13722223333")
    for who in (first, second):
        expect(set_password(api, who), 204)
    expect(login(api, "13722223333", password=PASSWORD), 401)
    assert expect(login(api, second.volunteer_number, password=PASSWORD), 200)["volunteer_id"] == second.id


def test_five_failures_lock_the_login_with_429_and_retry_after(api: ApiClient, person: Person, clock: Clock) -> None:
    for _ in range(5):
        expect(login(api, person.volunteer_number, password="wrong-password-1"), 401)
    locked = login(api, person.volunteer_number, password=PASSWORD)  # even the right one is refused now
    expect(locked, 429)
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    clock.advance(minutes=16)
    expect(login(api, person.volunteer_number, password=PASSWORD), 200)


def test_changing_a_password_needs_the_current_one(api: ApiClient, person: Person) -> None:
    assert expect(set_password(api, person, "new-secret-77"), 401)["field"] == "current_password"
    expect(set_password(api, person, "new-secret-77", current=PASSWORD), 204)
    expect(login(api, person.volunteer_number, password=PASSWORD), 401)
    expect(login(api, person.volunteer_number, password="new-secret-77"), 200)


@pytest.mark.parametrize("weak", ["short1", "12345678901", "aaaaaaaaaaaa"])
def test_weak_passwords_are_refused_naming_the_field(api: ApiClient, weak: str) -> None:
    someone = register(api)
    assert expect(set_password(api, someone, weak), 422)["field"] == "password"


def test_a_one_time_code_logs_in_once(api: ApiClient, services: Services, person: Person, clock: Clock) -> None:
    sent: list[tuple[str, str]] = []
    services.code_sender = lambda phone, code: sent.append((phone, code))
    assert expect(api.post("/api/auth/code", {"login": person.volunteer_number}), 202)
    assert expect(api.post("/api/auth/code", {"login": "BJ0000000000"}), 202)  # same answer for nobody
    assert len(sent) == 1 and sent[0][0] == "13811112222"
    code = sent[0][1]
    expect(login(api, person.volunteer_number, code=code), 200)
    expect(login(api, person.volunteer_number, code=code), 401)  # used
    expect(api.post("/api/auth/code", {"login": person.volunteer_number}), 202)
    clock.advance(minutes=6)
    expect(login(api, person.volunteer_number, code=sent[-1][1]), 401)  # expired


def test_access_tokens_expire_by_the_service_clock(api: ApiClient, person: Person, clock: Clock) -> None:
    token = expect(login(api, person.volunteer_number, password=PASSWORD), 200)["access_token"]
    expect(api.get(f"/api/volunteers/{person.id}", token), 200)
    clock.advance(minutes=16)
    expect(api.get(f"/api/volunteers/{person.id}", token), 401)


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_session(api: ApiClient, person: Person) -> None:
    first = expect(login(api, person.volunteer_number, password=PASSWORD), 200)
    second = expect(api.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]}), 200)
    assert second["refresh_token"] != first["refresh_token"] and second["session_id"] == first["session_id"]
    expect(api.get(f"/api/volunteers/{person.id}", second["access_token"]), 200)
    # The spent token comes back (stolen): the whole session ends, the new tokens too.
    expect(api.post("/api/auth/refresh", {"refresh_token": first["refresh_token"]}), 401)
    expect(api.get(f"/api/volunteers/{person.id}", second["access_token"]), 401)
    expect(api.post("/api/auth/refresh", {"refresh_token": second["refresh_token"]}), 401)


def test_logging_out_revokes_the_session_at_once(api: ApiClient, person: Person) -> None:
    tokens = expect(login(api, person.volunteer_number, password=PASSWORD), 200)
    expect(api.post("/api/auth/logout", {}, tokens["access_token"]), 204)
    expect(api.get(f"/api/volunteers/{person.id}", tokens["access_token"]), 401)
    expect(api.post("/api/auth/refresh", {"refresh_token": tokens["refresh_token"]}), 401)


def test_only_the_owner_or_an_admin_revokes_a_session(api: ApiClient, walk: Walk, person: Person) -> None:
    tokens = expect(login(api, person.volunteer_number, password=PASSWORD), 200)
    other = walk.volunteer()
    expect(api.post(f"/api/auth/sessions/{tokens['session_id']}/revoke", {}, other.token), 404)
    expect(api.post(f"/api/auth/sessions/{tokens['session_id']}/revoke", {}, walk.auditor()), 404)
    expect(api.get(f"/api/volunteers/{person.id}", tokens["access_token"]), 200)
    expect(api.post(f"/api/auth/sessions/{tokens['session_id']}/revoke", {}, walk.admin), 204)
    expect(api.get(f"/api/volunteers/{person.id}", tokens["access_token"]), 401)


def test_a_tampered_or_foreign_jwt_is_refused(api: ApiClient, person: Person) -> None:
    from joserfc import jwt
    from joserfc.jwk import OctKey

    token = expect(login(api, person.volunteer_number, password=PASSWORD), 200)["access_token"]
    _, payload, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(b"another-key-another-key-another-k"))
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    unsigned = f"{none_header}.{payload}."
    for bad in (forged, unsigned, token[:-2] + ("AA" if token[-2:] != "AA" else "BB")):
        expect(api.get(f"/api/volunteers/{person.id}", bad), 401)


def test_an_opaque_token_is_revoked_by_its_holder(api: ApiClient, walk: Walk) -> None:
    auditor = walk.auditor()
    expect(api.get("/api/reconciliation", auditor), 200)
    expect(api.post("/api/auth/tokens/revoke", {"token": auditor}, auditor), 204)
    expect(api.get("/api/reconciliation", auditor), 401)


def test_security_actions_are_events_with_actors(api: ApiClient, services: Services, person: Person) -> None:
    expect(login(api, person.volunteer_number, password="wrong-password-9"), 401)
    tokens = expect(login(api, person.volunteer_number, password=PASSWORD), 200)
    expect(api.post("/api/auth/logout", {}, tokens["access_token"]), 204)
    notifications = services.timebank.recorder.select_notifications(1, 100_000)
    topics = [n.topic.rsplit(":", 1)[1] for n in notifications]
    for expected in ("Credentials.PasswordSet", "Credentials.LoginFailed", "Credentials.LoggedIn", "LoginSession.Started", "LoginSession.Revoked"):
        assert expected in topics


# Every event names its actor ----------------------------------------------------------------------
def test_every_event_of_a_busy_walk_records_its_actor(api: ApiClient, walk: Walk, services: Services) -> None:
    person = walk.volunteer()
    record_id = walk.served(person)
    expect(walk.confirm(record_id), 200)
    expect(set_password(api, person), 204)
    expect(login(api, person.volunteer_number, password=PASSWORD), 200)
    expect(api.delete(f"/api/volunteers/{person.id}/personal-data", person.token), 204)
    app = services.timebank
    missing = []
    for notification in app.recorder.select_notifications(1, 100_000):
        event = app.mapper.to_domain_event(notification)
        actor = getattr(event, "actor", None)
        if not (isinstance(actor, str) and ":" in actor):
            missing.append(notification.topic)
    assert missing == []
    assert len(app.recorder.select_notifications(1, 100_000)) > 20


# Idempotency keys ---------------------------------------------------------------------------------
def keyed(client: FlaskClient, path: str, body: Any, key: str, token: str | None = None) -> Any:
    headers = {"Idempotency-Key": key, **({"Authorization": f"Bearer {token}"} if token else {})}
    return client.post(path, json=body, headers=headers)


def test_a_registration_retried_with_its_key_returns_the_first_response(api: ApiClient, services: Services) -> None:
    body = registration()
    first = keyed(api.client, "/api/volunteers", body, "reg-1")
    before = event_count(services)
    again = keyed(api.client, "/api/volunteers", body, "reg-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert event_count(services) == before
    other = keyed(api.client, "/api/volunteers", {**body, "name": "李四"}, "reg-1")
    assert expect(other, 422)["field"] == "Idempotency-Key"
    assert event_count(services) == before


def test_kept_responses_are_encrypted_and_keys_stored_only_as_hashes(api: ApiClient, services: Services, settings: Any) -> None:
    body = registration()
    token = expect(keyed(api.client, "/api/volunteers", body, "reg-secret-key"), 201)["access_token"]
    with services.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT scoped_key, body FROM idempotency_keys").all()
    assert rows and all(b"reg-secret-key" not in r[0].encode() for r in rows)
    assert all(token.encode() not in bytes(r[1]) and body["name"].encode() not in bytes(r[1]) for r in rows)


def test_keys_are_scoped_by_caller(api: ApiClient, walk: Walk) -> None:
    """The same key from two volunteers is two requests: nobody replays another's response."""
    a, b = walk.volunteer(), walk.volunteer()
    body = {"project_id": walk.project_id, "service_date": "2026-11-17", "service_minutes": 60, "content": "陪老人聊天"}
    first = expect(keyed(api.client, "/api/service-records", body, "same-key", a.token), 201)
    second = expect(keyed(api.client, "/api/service-records", body, "same-key", b.token), 201)
    assert first["id"] != second["id"]


def test_concurrent_duplicates_run_once(api: ApiClient, walk: Walk, services: Services) -> None:
    person = walk.volunteer()
    body = {"project_id": walk.project_id, "service_date": "2026-11-17", "service_minutes": 60, "content": "陪老人聊天"}
    client = api.client.application.test_client()
    results: list[Any] = []
    positions: list[int] = []
    barrier = threading.Barrier(6)

    def send() -> None:
        barrier.wait()
        response = keyed(client, "/api/service-records", body, "burst-1", person.token)
        results.append((response.status_code, response.get_json()))
        positions.append(int(response.headers.get("X-Event-Position", 0)))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [status for status, _ in results] == [201] * 6
    assert len({json["id"] for _, json in results}) == 1
    # These requests went through another client: wait for their position, not the api client's.
    records = expect(api.get(f"/api/volunteers/{person.id}/service-records", person.token, min_position=max(positions)), 200)
    assert len(records) == 1


def test_a_refused_request_is_kept_too_and_a_bad_key_is_refused(api: ApiClient, walk: Walk, services: Services) -> None:
    person = walk.volunteer()
    body = {"project_id": walk.project_id, "service_date": "2026-11-17", "service_minutes": 0, "content": "x"}
    assert keyed(api.client, "/api/service-records", body, "k-422", person.token).status_code == 422
    again = keyed(api.client, "/api/service-records", body, "k-422", person.token)
    assert again.status_code == 422 and again.headers["Idempotent-Replayed"] == "true"
    assert expect(keyed(api.client, "/api/service-records", body, "x" * 201, person.token), 422)["field"] == "Idempotency-Key"


def test_every_creating_post_documents_the_idempotency_key(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    missing = []
    for path, operations in spec["paths"].items():
        post = operations.get("post")
        if post is None or path.startswith("/api/auth/"):
            continue
        names = {p.get("name") or p.get("$ref", "").rsplit("/", 1)[-1] for p in post.get("parameters", [])}
        if not names & {"Idempotency-Key", "IdempotencyKey"}:
            missing.append(path)
    assert missing == []


# Limits -------------------------------------------------------------------------------------------
@pytest.mark.settings(rate_limit="5/minute", login_rate_limit="3/minute")
def test_rate_limits_answer_429_with_retry_after(api: ApiClient) -> None:
    someone = register(api)
    statuses = [api.get(f"/api/volunteers/{someone.id}", someone.token).status_code for _ in range(6)]
    assert statuses[:4] == [200] * 4 and statuses[-1] == 429
    limited = api.get(f"/api/volunteers/{someone.id}", someone.token)
    assert expect(limited, 429)["code"] == 429 and 0 < int(limited.headers["Retry-After"]) <= 60
    logins = [api.post("/api/auth/login", {"login": "BJ0000000001", "password": "whatever-1"}).status_code for _ in range(4)]
    assert logins[:3] == [401] * 3 and logins[3] == 429


def test_a_body_over_the_limit_is_413(api: ApiClient) -> None:
    response = api.client.post("/api/volunteers", data=b"{" + b" " * (1024 * 1024 + 10) + b"}", content_type="application/json")
    assert expect(response, 413)["code"] == 413


def test_page_sizes_are_capped(api: ApiClient, walk: Walk) -> None:
    response = api.get(f"/api/organizations/{walk.organization_id}/service-records", walk.organizer.token, page_size=100_000)
    assert expect(response, 422)["field"] == "page_size"


def test_clock_forgets_old_idempotency_keys(api: ApiClient, services: Services) -> None:
    from adapters.idempotency_store import IdempotencyStore
    from api.clock import SCHEDULE, run_forget_idempotency_keys

    assert run_forget_idempotency_keys in [job for job, _, _ in SCHEDULE]
    expect(keyed(api.client, "/api/volunteers", registration(), "old-key"), 201)
    assert run_forget_idempotency_keys(services) == 0
    assert IdempotencyStore(services.engine).forget_old_keys(now=utcnow() + timedelta(days=2)) == 1  # kept by wall-clock time
    assert keyed(api.client, "/api/volunteers", registration(), "old-key").status_code == 201  # runs again


def test_master_keys_rotate_and_the_old_one_can_then_be_dropped(tmp_path: Any) -> None:
    from uuid import uuid4

    from click.testing import CliRunner

    from adapters.keys import MemoryKeyStore
    from adapters.vault import AesGcmVault
    from api.cli import main

    store = MemoryKeyStore()
    old, new = {"k1": b"1" * 32}, {"k2": b"2" * 32}
    subject = uuid4()
    sealed = AesGcmVault(store, old).seal(subject, {"name": "钱旋转"})
    rotating = AesGcmVault(store, {**new, **old})
    assert rotating.rewrap_all() == 1 and rotating.rewrap_all() == 0
    assert AesGcmVault(store, new).open(subject, sealed) == {"name": "钱旋转"}  # k1 no longer needed
    # The CLI does the same on a data directory.
    result = CliRunner().invoke(main, ["keys", "rewrap", "--data-dir", str(tmp_path)], env={"TIMEBANK_SECRET_KEY": "x"})
    assert result.exit_code == 0 and "0 data keys moved" in result.output
