"""Reading your own writes: commands answer with X-Event-Position, reads wait for `?min_position=`
(bounded, then 503 with Retry-After; a position beyond the log is 422), and lists are paginated."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from api.services import Services
from tests.api.conftest import ApiClient, Walk, event_count, expect, register, registration


def position(response: object) -> int:
    return int(response.headers["X-Event-Position"])  # type: ignore[attr-defined]


def test_every_successful_command_answers_with_its_event_position_and_positions_grow(walk: Walk, services: Services) -> None:
    api, org = walk.api, walk.organizer
    person = walk.volunteer()
    responses = [
        api.post("/api/volunteers", registration()),
        api.post("/api/organizations", {"name": "新队", "district": "朝阳区"}, org.token),
        api.post(f"/api/projects/{walk.project_id}/shifts", walk.shift_body(starts_in=timedelta(days=2)), org.token),
        walk.sign_up(person),
        walk.check_in(person),
    ]
    walk.clock.advance(hours=1)
    responses.append(walk.check_out(person))
    record_id = responses[-1].get_json()["id"]
    responses += [
        walk.api.post(f"/api/service-records/{record_id}/corrections", {"service_minutes": 50, "reason": "早退"}, org.token),
        walk.confirm(record_id),
        walk.api.post(f"/api/service-records/{record_id}/revoke", {"reason": "误录"}, org.token),
        walk.api.post("/api/service-records/batch", {"project_id": walk.project_id, "entries": [
            {"volunteer_id": person.id, "service_date": "2026-11-17", "service_minutes": 30, "content": "x"}]}, org.token),
        walk.api.delete(f"/api/shifts/{responses[2].get_json()['id']}/signups/{person.id}", person.token),
    ]
    # The last one is refused (not signed up); every other one succeeded.
    assert [r.status_code for r in responses] == [201, 201, 201, 201, 201, 201, 201, 200, 200, 201, 409]
    positions = [position(r) for r in responses[:-1]]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert positions[-1] == event_count(services)
    assert "X-Event-Position" not in responses[-1].headers


def test_a_successful_delete_carries_the_position_too(walk: Walk) -> None:
    person = walk.volunteer()
    expect(walk.sign_up(person), 201)
    response = walk.api.delete(f"/api/shifts/{walk.shift_id}/signups/{person.id}", person.token)
    assert response.status_code == 204
    assert position(response) == walk.event_count()


def test_reads_never_carry_an_event_position(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.served(person)
    paths = [
        f"/api/volunteers/{person.id}",
        f"/api/organizations/{walk.organization_id}",
        f"/api/projects/{walk.project_id}",
        f"/api/projects/{walk.project_id}/shifts",
        f"/api/shifts/{walk.shift_id}",
        f"/api/service-records/{record_id}",
        f"/api/volunteers/{person.id}/service-records",
        f"/api/organizations/{walk.organization_id}/service-records",
        f"/api/accounts/{person.id}",
        f"/api/accounts/{person.id}/statement",
        f"/api/aggregates/{record_id}/events",
        "/api/health",
        "/openapi.json",
    ]
    for path in paths:
        response = walk.api.get(path, walk.admin)
        assert response.status_code == 200, path
        assert "X-Event-Position" not in response.headers, path


def test_a_read_with_the_commands_position_sees_the_command(api: ApiClient) -> None:
    created = api.post("/api/volunteers", registration(name="周敏"))
    body = expect(created, 201)

    response = api.get(f"/api/volunteers/{body['id']}", body["access_token"], min_position=position(created))

    assert expect(response, 200)["name"] == "周敏"


def test_each_read_waits_for_its_own_command(walk: Walk) -> None:
    """Interleave commands and reads: each read sees exactly the state after its command."""
    people = [walk.volunteer() for _ in range(3)]
    for count, person in enumerate(people, start=1):
        signed = walk.sign_up(person)
        shift = walk.api.get(f"/api/shifts/{walk.shift_id}", person.token, min_position=position(signed))
        assert expect(shift, 200)["signed_up_count"] == count


@pytest.mark.settings(read_wait_seconds=0.2)
def test_a_position_the_views_have_not_reached_is_503_with_retry_after(api: ApiClient, services: Services) -> None:
    person = register(api)
    expect(api.get(f"/api/volunteers/{person.id}", person.token), 200)  # the views have caught up
    services.projector.stop()  # ... and now fall behind the log
    try:
        reached = event_count(services)
        register(api)
        lagging = api.position
        assert lagging > reached

        started = time.monotonic()
        response = api.get(f"/api/volunteers/{person.id}", person.token, min_position=lagging)
        waited = time.monotonic() - started
    finally:
        services.projector.start(0.01)

    problem = expect(response, 503)
    assert response.headers["Retry-After"] == "1"
    assert problem["field"] == "min_position"
    assert problem["reached_position"] == reached
    assert str(lagging) in problem["message"]
    assert 0.2 <= waited < 3  # waits as configured, then gives up
    assert expect(api.get(f"/api/volunteers/{person.id}", person.token), 200)["id"] == person.id


def test_a_position_beyond_the_log_is_invalid_without_waiting(api: ApiClient, services: Services) -> None:
    """No command answered with it, so no wait can reach it: 422 at once, not 503 after the wait."""
    person = register(api)
    beyond = event_count(services) + 1_000_000

    started = time.monotonic()
    problem = expect(api.get(f"/api/volunteers/{person.id}", person.token, min_position=beyond), 422)

    assert time.monotonic() - started < 1  # read_wait_seconds is 5
    assert problem["field"] == "min_position"
    assert problem["head_position"] == event_count(services)
    assert list(problem["errors"]) == ["query"]


def test_a_negative_min_position_is_invalid(api: ApiClient) -> None:
    person = register(api)
    problem = expect(api.get(f"/api/volunteers/{person.id}", person.token, min_position=-1), 422)
    assert problem["field"] == "min_position"


def test_health_reports_the_log_and_the_views_positions(walk: Walk) -> None:
    health = expect(walk.api.get("/api/health"), 200)
    assert health["status"] == "ok"
    assert health["event_position"] == walk.event_count()
    assert set(health["views"]) == {
        "directory", "rosters", "service_records", "balances", "exchanges", "star_levels", "incentives", "key_projects", "problems",
        "matching",
    }


# Pagination ------------------------------------------------------------------------------
def test_lists_are_paginated_with_an_x_pagination_header(walk: Walk) -> None:
    for hours in (5, 9, 13, 17):
        walk.add_shift(starts_in=timedelta(hours=hours), hours=1)
    path = f"/api/projects/{walk.project_id}/shifts"

    first = walk.api.get(path, walk.organizer.token, page_size=2)
    second = walk.api.get(path, walk.organizer.token, page_size=2, page=2)
    last = walk.api.get(path, walk.organizer.token, page_size=2, page=3)

    meta = json.loads(first.headers["X-Pagination"])
    assert meta == {"total": 5, "total_pages": 3, "first_page": 1, "last_page": 3, "page": 1, "next_page": 2}
    pages = [expect(r, 200) for r in (first, second, last)]
    assert [len(p) for p in pages] == [2, 2, 1]
    starts = [s["starts_at"] for p in pages for s in p]
    assert starts == sorted(starts) and len(set(starts)) == 5
    assert json.loads(last.headers["X-Pagination"])["previous_page"] == 2


def test_the_page_size_is_capped_at_100(walk: Walk) -> None:
    path = f"/api/accounts/{walk.organizer.id}/statement"
    expect(walk.api.get(path, walk.organizer.token, page_size=100), 200)
    problem = expect(walk.api.get(path, walk.organizer.token, page_size=101), 422)
    assert problem["field"] == "page_size"
    assert problem["errors"]["query"]["page_size"]
    assert expect(walk.api.get(path, walk.organizer.token, page_size=0), 422)["field"] == "page_size"


def test_a_page_past_the_last_is_empty_however_far(walk: Walk) -> None:
    path = f"/api/projects/{walk.project_id}/shifts"
    for page in (3, 10**30):  # a huge page would overflow the database's integers as an OFFSET
        response = walk.api.get(path, walk.organizer.token, page=page)
        assert expect(response, 200) == []
        assert json.loads(response.headers["X-Pagination"])["total"] == 1


def test_the_statement_is_newest_first_and_paginated(walk: Walk) -> None:
    person = walk.volunteer()
    for day in ("2026-11-16", "2026-11-17"):
        expect(walk.api.post("/api/service-records/batch", {"project_id": walk.project_id, "entries": [
            {"volunteer_id": person.id, "service_date": day, "service_minutes": 30, "content": "x"}]}, walk.organizer.token), 201)

    response = walk.api.get(f"/api/accounts/{person.id}/statement", person.token, page_size=1)

    assert [(line["amount"], line["balance"]) for line in expect(response, 200)] == [(30, 60)]
    assert json.loads(response.headers["X-Pagination"])["total"] == 2
