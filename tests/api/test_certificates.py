"""Service certificates (志愿服务证明): whoever recorded the service certifies it; anyone holding the
number verifies it; the issuing organization revokes it with a reason; it prints as a PDF."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.api.conftest import ApiClient, Person, Walk, expect, register, resident_id_number

SERVICE_DATE = "2026-11-17"


def confirmed(walk: Walk, person: Person, minutes: int = 90) -> str:
    record_id = walk.declared(person, minutes=minutes, service_date=SERVICE_DATE)
    expect(walk.confirm(record_id), 200)
    return record_id


def issue(walk: Walk, person: Person, record_ids: list[str], token: str | None = None, **extra: Any) -> Any:
    body = {"volunteer_id": person.id, "organization_id": walk.organization_id, "record_ids": record_ids, **extra}
    return walk.api.post("/api/certificates", body, token or walk.organizer.token)


def test_a_certificate_states_the_confirmed_service_and_masks_the_id_number(api: ApiClient, walk: Walk) -> None:
    id_number = resident_id_number(date(1990, 5, 17), sequence=987)
    person = walk.volunteer(name="林志愿", id_number=id_number, birth_date="1990-05-17")
    records = [confirmed(walk, person, 90), confirmed(walk, person, 45)]

    body = expect(issue(walk, person, records), 201)

    assert body["number"].startswith("ZM") and body["status"] == "current" and body["genuine"] is True
    assert body["holder"] == {"name": "林志愿", "id_type": "resident_id", "id_number_masked": id_number[:3] + "*" * 13 + id_number[-2:]}
    assert body["volunteer_number"] == person.volunteer_number
    assert body["total_service_minutes"] == 135 and len(body["content"]) == 2
    assert body["organization_name"] == "三里屯社区志愿服务队" and body["person_in_charge"] == "王老师"
    assert id_number not in str(body)


def test_anyone_with_the_number_verifies_it_and_sees_a_revocation_with_its_reason(api: ApiClient, walk: Walk) -> None:
    person = walk.volunteer()
    number = expect(issue(walk, person, [confirmed(walk, person)]), 201)["number"]

    current = expect(api.get(f"/api/certificates/{number}/verification"), 200)  # no token
    expect(api.post(f"/api/certificates/{number}/revoke", {"reason": "服务记录有误"}, walk.organizer.token), 200)
    revoked = expect(api.get(f"/api/certificates/{number}/verification"), 200)

    assert current["status"] == "current" and current["revocation_reason"] is None and current["total_service_minutes"] == 90
    assert revoked["status"] == "revoked" and revoked["revocation_reason"] == "服务记录有误" and revoked["revoked_at"]
    assert expect(api.post(f"/api/certificates/{number}/revoke", {"reason": "again"}, walk.organizer.token), 409)["field"] == "number"


def test_an_unknown_number_is_not_genuine(api: ApiClient) -> None:
    assert expect(api.get("/api/certificates/ZM20261118AAAAAAAAAAAA/verification"), 404)["field"] == "number"
    assert expect(api.get("/api/certificates/nonsense/verification"), 404)["field"] == "number"


def test_the_same_records_are_certified_once_a_day(api: ApiClient, walk: Walk) -> None:
    person = walk.volunteer()
    records = [confirmed(walk, person)]
    expect(issue(walk, person, records), 201)
    before = walk.event_count()

    assert expect(issue(walk, person, records), 409)["field"] == "record_ids"
    assert walk.event_count() == before


@pytest.mark.parametrize(("case", "status", "field"), [
    ("pending record", 422, "record_ids"),
    ("another volunteer's record", 422, "record_ids"),
    ("no records", 422, "record_ids"),
    ("unknown record", 404, "record_ids"),
    ("unknown field", 422, "colour"),
    ("unknown organization", 404, "organization_id"),
])
def test_bad_requests_name_the_field_and_write_nothing(api: ApiClient, walk: Walk, case: str, status: int, field: str) -> None:
    person, other = walk.volunteer(), walk.volunteer()
    pending = walk.declared(person, service_date=SERVICE_DATE)
    others = confirmed(walk, other)
    bodies: dict[str, dict[str, Any]] = {
        "pending record": {"record_ids": [pending]},
        "another volunteer's record": {"record_ids": [others]},
        "no records": {"record_ids": []},
        "unknown record": {"record_ids": ["00000000-0000-4000-8000-000000000000"]},
        "unknown field": {"record_ids": [others], "colour": "red"},
        "unknown organization": {"record_ids": [others], "organization_id": "00000000-0000-4000-8000-000000000000"},
    }
    before = walk.event_count()

    body = {"volunteer_id": person.id, "organization_id": walk.organization_id, **bodies[case]}
    response = expect(api.post("/api/certificates", body, walk.organizer.token), status)

    assert response["field"] == field
    assert walk.event_count() == before


def test_only_the_recording_organizations_organizers_issue_and_revoke(api: ApiClient, walk: Walk) -> None:
    person = walk.volunteer()
    record = confirmed(walk, person)
    rival = register(api, name="李对手")
    expect(api.post("/api/organizations", {"name": "海淀志愿服务队", "district": "海淀区"}, rival.token), 201)
    before = walk.event_count()

    assert expect(issue(walk, person, [record], token=rival.token), 403)["field"] == "organization_id"
    assert expect(issue(walk, person, [record], token=person.token), 403)["field"] == "organization_id"
    number = expect(issue(walk, person, [record]), 201)["number"]
    after_issue = walk.event_count()
    assert expect(api.post(f"/api/certificates/{number}/revoke", {"reason": "x"}, rival.token), 403)["field"] == "number"
    assert expect(api.post(f"/api/certificates/{number}/revoke", {"reason": " "}, walk.organizer.token), 422)["field"] == "reason"
    assert before + 1 == after_issue == walk.event_count()


def test_the_pdf_prints_for_its_volunteer_and_is_hidden_from_others(api: ApiClient, walk: Walk) -> None:
    person, stranger = walk.volunteer(), walk.volunteer(name="路人甲")
    number = expect(issue(walk, person, [confirmed(walk, person)]), 201)["number"]

    pdf = api.get(f"/api/certificates/{number}.pdf", person.token)

    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert b"STSong-Light" in pdf.data  # the CID font: Chinese text without a font file
    assert expect(api.get(f"/api/certificates/{number}.pdf", stranger.token), 404)["field"] == "number"


def test_erasure_removes_the_person_from_the_certificate_not_the_certificate(api: ApiClient, walk: Walk) -> None:
    person = walk.volunteer()
    number = expect(issue(walk, person, [confirmed(walk, person)]), 201)["number"]

    expect(api.delete(f"/api/volunteers/{person.id}/personal-data", person.token), 204)
    after = expect(api.get(f"/api/certificates/{number}/verification"), 200)

    assert after["holder"] is None and after["total_service_minutes"] == 90 and after["status"] == "current"
