"""An aggregate's history: every event with its actor, for its owner, organizers, auditors and admins;
personal data masked."""

from __future__ import annotations

import json
from typing import Any

from api.services import Services
from tests.api.conftest import Walk, expect, registration
from timebank.domain.access import token_id
from timebank.domain.volunteer import IdentityClaim


def history(walk: Walk, aggregate_id: str, token: str, **query: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = expect(walk.api.get(f"/api/aggregates/{aggregate_id}/events", token, **query), 200)
    return events


def test_a_records_history_lists_every_step_with_who_took_it(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.served(person)
    expect(walk.confirm(record_id), 200)
    expect(walk.api.post(f"/api/service-records/{record_id}/corrections", {"service_minutes": 70, "reason": "多服务了十分钟"}, person.token), 201)
    expect(walk.api.post(f"/api/service-records/{record_id}/corrections", {"service_minutes": 70, "reason": "核实属实"}, walk.organizer.token), 201)
    expect(walk.api.post(f"/api/service-records/{record_id}/revoke", {"reason": "活动取消"}, walk.organizer.token), 200)

    events = history(walk, record_id, person.token)

    organizer, volunteer = f"volunteer:{walk.organizer.id}", f"volunteer:{person.id}"
    assert [(e["type"], e["actor"]) for e in events] == [
        ("ServiceRecord.Recorded", organizer),
        ("ServiceRecord.Confirmed", organizer),
        ("ServiceRecord.CorrectionRequested", volunteer),
        ("ServiceRecord.Corrected", organizer),
        ("ServiceRecord.Revoked", organizer),
    ]
    assert [e["version"] for e in events] == [1, 2, 3, 4, 5]
    assert events[0]["data"]["service_minutes"] == 60
    assert events[3]["data"]["previous_minutes"] == 60
    assert events[3]["data"]["service_minutes"] == 70
    assert events[4]["data"]["reason"] == "活动取消"
    assert all(e["timestamp"] for e in events)


def test_a_records_history_is_read_by_owner_organizer_auditor_and_admin_but_not_another_volunteer(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.served(person)
    for token in (person.token, walk.organizer.token, walk.auditor(), walk.admin):
        assert [e["type"] for e in history(walk, record_id, token)] == ["ServiceRecord.Recorded"]

    problem = expect(walk.api.get(f"/api/aggregates/{record_id}/events", walk.volunteer().token), 404)
    assert problem["field"] == "aggregate_id"


def test_an_organizations_history_is_for_its_organizers(walk: Walk) -> None:
    events = history(walk, walk.organization_id, walk.organizer.token)
    assert [e["type"] for e in events] == ["Organization.Registered", "Organization.Verified"]
    admin_token = walk.services.timebank.authenticate(walk.admin)
    assert admin_token is not None and admin_token.id is not None
    assert events[1]["actor"] == f"admin:{admin_token.id}"  # which admin token verified it
    expect(walk.api.get(f"/api/aggregates/{walk.organization_id}/events", walk.volunteer().token), 404)


def test_a_history_needs_a_token(walk: Walk) -> None:
    expect(walk.api.get(f"/api/aggregates/{walk.organization_id}/events"), 401)


def test_an_unknown_aggregate_has_no_history(walk: Walk) -> None:
    expect(walk.api.get("/api/aggregates/00000000-0000-4000-8000-000000000005/events", walk.admin), 404)


def test_personal_data_is_sealed_in_the_registration_event(walk: Walk) -> None:
    body = registration(phone="13700001234")
    created = expect(walk.api.post("/api/volunteers", body), 201)

    response = walk.api.get(f"/api/aggregates/{created['id']}/events", created["access_token"])
    events = expect(response, 200)

    text = response.get_data(as_text=True)
    assert body["id_number"] not in text
    assert "13700001234" not in text
    assert body["birth_date"] not in text
    assert events[0]["type"] == "Volunteer.Registered"
    assert events[0]["actor"] == f"volunteer:{created['id']}"
    assert body["name"] not in text
    assert events[0]["data"]["personal_data"] == "(sealed)"
    for token in (walk.auditor(), walk.admin):  # readers with every right still see it masked
        assert body["id_number"] not in json.dumps(history(walk, created["id"], token))


def test_a_volunteers_history_is_theirs_alone(walk: Walk) -> None:
    person, stranger = walk.volunteer(), walk.volunteer()
    assert history(walk, person.id, person.token)[0]["type"] == "Volunteer.Registered"
    expect(walk.api.get(f"/api/aggregates/{person.id}/events", stranger.token), 404)


def test_a_long_history_is_paginated(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.served(person)
    expect(walk.confirm(record_id), 200)
    expect(walk.api.post(f"/api/service-records/{record_id}/revoke", {"reason": "x"}, walk.organizer.token), 200)

    response = walk.api.get(f"/api/aggregates/{record_id}/events", person.token, page=2, page_size=2)

    assert [e["version"] for e in expect(response, 200)] == [3]
    meta = json.loads(response.headers["X-Pagination"])
    assert (meta["total"], meta["total_pages"], meta["page"]) == (3, 2, 2)


def test_a_credit_transfers_history_is_read_by_the_account_owner_only(walk: Walk) -> None:
    person = walk.volunteer()
    expect(walk.confirm(walk.served(person)), 200)
    transfer_id = walk.statement(person)[0]["transfer_id"]

    events = history(walk, transfer_id, person.token)

    assert [(e["type"], e["actor"]) for e in events] == [
        ("Transfer.Created", f"volunteer:{walk.organizer.id}"),
        ("Transfer.Posted", f"volunteer:{walk.organizer.id}"),
    ]
    assert events[0]["data"]["kind"] == "service_credit"
    expect(walk.api.get(f"/api/aggregates/{transfer_id}/events", walk.volunteer().token), 404)


def test_tokens_and_identity_claims_are_nobodys_visible_history(walk: Walk, services: Services) -> None:
    body = registration()
    created = expect(walk.api.post("/api/volunteers", body), 201)
    claim_id = IdentityClaim.create_id(services.timebank.identity_key("resident_id", body["id_number"]))
    for aggregate_id in (token_id(created["access_token"]), claim_id):
        assert aggregate_id in services.timebank.repository
        expect(walk.api.get(f"/api/aggregates/{aggregate_id}/events", walk.admin), 404)
        expect(walk.api.get(f"/api/aggregates/{aggregate_id}/events", created["access_token"]), 404)
