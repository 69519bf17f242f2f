"""Integrity flags: the same person in two places at once, at two organizations at once, or more than
16 hours in a day - each with the sessions and records that raised it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import insert

from api.services import Services
from projections.rosters import roster, shifts
from projections.service_records import service_records
from tests.api.conftest import ApiClient, Walk, expect


def test_more_than_16_hours_in_a_day_is_flagged_with_its_records(api: ApiClient, walk: Walk) -> None:
    person, moderate = walk.volunteer(), walk.volunteer()
    declared = walk.declared(person, minutes=600, service_date="2026-11-16")
    entry = {"volunteer_id": person.id, "service_date": "2026-11-16", "service_minutes": 400, "content": "社区清扫"}
    batch = expect(api.post("/api/service-records/batch", {"project_id": walk.project_id, "entries": [entry]}, walk.organizer.token), 201)
    records = [declared, *(r["id"] if isinstance(r, dict) else r for r in batch.get("ids", batch.get("records", [])))]
    walk.declared(moderate, minutes=600, service_date="2026-11-16")

    flags = expect(api.get("/api/audit/flags", walk.auditor(), kind="daily_total"), 200)

    assert [(f["volunteer_id"], f["date"], f["minutes"]) for f in flags] == [(person.id, "2026-11-16", 1000)]
    assert sorted(flags[0]["record_ids"]) == sorted(records)


def _session(conn: Any, volunteer_id: uuid.UUID, organization_id: uuid.UUID, start: datetime, hours: float) -> tuple[uuid.UUID, uuid.UUID]:
    """A shift of the organization the volunteer attended, and its record, as the views hold them."""
    shift_id, record_id = uuid.uuid4(), uuid.uuid4()
    end = start + timedelta(hours=hours)
    conn.execute(insert(shifts).values(id=shift_id, project_id=uuid.uuid4(), organization_id=organization_id, title="班", starts_at=start,
                                       ends_at=end, place="站", required_skills=[], capacity=5, signed_up_count=1))
    conn.execute(insert(roster).values(shift_id=shift_id, volunteer_id=volunteer_id, status="checked_out", signed_up_at=start,
                                       checked_in_at=start, checked_out_at=end, service_minutes=int(hours * 60), auto_closed=False))
    conn.execute(insert(service_records).values(
        id=record_id, volunteer_id=volunteer_id, organization_id=organization_id, project_id=uuid.uuid4(), shift_id=shift_id, activity="活动",
        category="elderly_care", service_date=start.date(), place="站", content="服务", service_minutes=int(hours * 60), person_in_charge="王",
        source="check_out", status="pending", recorded_at=end, flags=[], credited_minutes=0, pending_credit_minutes=0, rules_version="x",
        updated_at=end))
    return shift_id, record_id


def test_overlapping_sessions_and_two_organizations_at_once_are_flagged(api: ApiClient, walk: Walk, services: Services) -> None:
    """Sign-ups refuse double booking; these flags catch what reached the record anyway (back-filled or imported)."""
    person, careful = uuid.uuid4(), uuid.uuid4()
    org_a, org_b = uuid.uuid4(), uuid.uuid4()
    nine = datetime(2026, 11, 16, 1, 0, tzinfo=timezone.utc)
    with services.engine.begin() as conn:
        first = _session(conn, person, org_a, nine, 3)
        same_org = _session(conn, person, org_a, nine + timedelta(hours=2), 2)
        other_org = _session(conn, person, org_b, nine + timedelta(hours=1), 1)  # ends as same_org begins: overlaps only first
        _session(conn, careful, org_a, nine, 2)
        _session(conn, careful, org_b, nine + timedelta(hours=2), 2)  # back to back: no overlap

    flags = expect(api.get("/api/audit/flags", walk.auditor()), 200)

    found = {(f["kind"], frozenset(f["record_ids"])) for f in flags if f["kind"] != "daily_total"}
    assert found == {
        ("overlapping_sessions", frozenset({str(first[1]), str(same_org[1])})),
        ("two_organizations", frozenset({str(first[1]), str(other_org[1])})),
    }
    assert all(f["volunteer_id"] == str(person) and len(f["sessions"]) == 2 for f in flags)


def test_flags_are_for_auditors_and_name_a_bad_kind(api: ApiClient, walk: Walk) -> None:
    assert expect(api.get("/api/audit/flags", walk.auditor(), kind="nonsense"), 422)["field"] == "kind"
    expect(api.get("/api/audit/flags", walk.organizer.token), 403)
