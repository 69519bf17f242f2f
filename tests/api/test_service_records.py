"""Service records: confirmation posts credits, rejection voids them, corrections and revocations are
new transfers, bulk entry is all or nothing, and only the organization's organizers decide."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Person, Walk, expect

UNKNOWN = "00000000-0000-4000-8000-0000000000ff"


def batch(walk: Walk, *entries: dict[str, Any], token: str | None = None) -> Any:
    return walk.api.post("/api/service-records/batch", {"project_id": walk.project_id, "entries": list(entries)}, token or walk.organizer.token)


def entry(person: Person, minutes: int = 120, service_date: str = "2026-11-17", **extra: Any) -> dict[str, Any]:
    return {"volunteer_id": person.id, "service_date": service_date, "service_minutes": minutes, "content": "社区清扫", **extra}


def correct(walk: Walk, record_id: str, minutes: int, token: str, reason: str = "签退时间记错") -> Any:
    return walk.api.post(f"/api/service-records/{record_id}/corrections", {"service_minutes": minutes, "reason": reason}, token)


# Confirmation ---------------------------------------------------------------------------
def test_confirming_posts_the_credits_at_sixty_credit_minutes_per_hour(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.served(person, minutes=90)

    assert expect(walk.confirm(record_id), 200) == {"id": record_id, "outcome": "confirmed"}

    account = walk.account(person)
    assert (account["balance"], account["available"], account["pending"], account["earned_to_date"]) == (90, 90, 0, 90)
    record = walk.record(record_id, person.token)
    assert record["status"] == "confirmed"
    assert record["credited_minutes"] == 90
    assert record["decided_by"] == f"volunteer:{walk.organizer.id}"
    assert record["decided_at"] == "2026-11-18T03:30:00+00:00"
    lines = walk.statement(person)
    assert [(line["kind"], line["phase"], line["amount"], line["balance"]) for line in lines] == [
        ("service_credit", "posted", 90, 90),
        ("service_credit", "pending", 90, 0),
    ]


def test_confirming_twice_conflicts_and_credits_once(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.served(person)
    expect(walk.confirm(record_id), 200)
    before = walk.event_count()

    problem = expect(walk.confirm(record_id), 409)

    assert "confirmed" in problem["message"]
    assert walk.event_count() == before
    assert walk.account(person)["balance"] == 60


def test_only_organizers_of_the_organization_confirm_others_get_403_and_nothing_is_written(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.served(person)
    rival = walk.volunteer(name="别队队长")
    expect(walk.api.post("/api/organizations", {"name": "别的队", "district": "海淀区"}, rival.token), 201)

    for token in (person.token, rival.token, walk.admin, walk.auditor()):
        before = walk.event_count()
        expect(walk.confirm(record_id, token), 403)
        assert walk.event_count() == before

    assert walk.record(record_id)["status"] == "pending"
    assert walk.account(person)["balance"] == 0


def test_an_organizer_cannot_confirm_their_own_record(walk: Walk) -> None:
    own = walk.declared(walk.organizer)
    before = walk.event_count()
    expect(walk.confirm(own), 403)
    assert walk.event_count() == before
    helper = walk.volunteer()
    expect(walk.api.post(f"/api/organizations/{walk.organization_id}/organizers", {"volunteer_id": helper.id}, walk.organizer.token), 201)
    expect(walk.confirm(own, helper.token), 200)  # another organizer may


# Self-declaration and rejection ------------------------------------------------------------
def test_a_self_declaration_is_pending_until_confirmed(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.declared(person, minutes=90)

    record = walk.record(record_id, person.token)
    assert (record["status"], record["source"], record["service_minutes"], record["service_date"]) == ("pending", "self_declared", 90, "2026-11-17")
    assert record["activity"] == "助老送餐"
    assert walk.account(person)["pending"] == 90


def test_rejected_minutes_never_reach_the_balance(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.declared(person, minutes=90)

    response = walk.api.post(f"/api/service-records/{record_id}/reject", {"reason": "当天未见到本人"}, walk.organizer.token)

    assert expect(response, 200) == {"id": record_id, "outcome": "rejected"}
    record = walk.record(record_id, person.token)
    assert (record["status"], record["reason"], record["pending_credit_minutes"], record["credited_minutes"]) == ("rejected", "当天未见到本人", 0, 0)
    account = walk.account(person)
    assert (account["balance"], account["available"], account["pending"], account["earned_to_date"]) == (0, 0, 0, 0)
    phases = [(line["phase"], line["amount"], line["balance"]) for line in walk.statement(person)]
    assert phases == [("voided", 90, 0), ("pending", 90, 0)]
    expect(walk.confirm(record_id), 409)  # a rejected record stays rejected


@pytest.mark.parametrize(("body", "field"), [({}, "reason"), ({"reason": ""}, "reason"), ({"reason": "   "}, "reason")])
def test_a_rejection_needs_a_reason(walk: Walk, body: dict[str, str], field: str) -> None:
    record_id = walk.declared(walk.volunteer())
    before = walk.event_count()
    problem = expect(walk.api.post(f"/api/service-records/{record_id}/reject", body, walk.organizer.token), 422)
    assert problem["field"] == field
    assert walk.event_count() == before


def test_a_service_date_in_the_future_is_refused(walk: Walk) -> None:
    body = {"project_id": walk.project_id, "service_date": "2026-11-19", "service_minutes": 60, "content": "明天的服务"}
    problem = expect(walk.api.post("/api/service-records", body, walk.volunteer().token), 422)
    assert problem["field"] == "service_date"
    assert "future" in problem["message"]


def test_hours_are_recorded_within_ten_working_days(walk: Walk) -> None:
    person = walk.volunteer()
    late = {"project_id": walk.project_id, "service_date": "2026-11-03", "service_minutes": 60, "content": "两周前"}
    problem = expect(walk.api.post("/api/service-records", late, person.token), 422)
    assert problem["field"] == "service_date"
    assert "2026-11-17" in problem["message"]  # the deadline: 10 working days after Tue 3 Nov
    expect(walk.api.post("/api/service-records", {**late, "service_date": "2026-11-04"}, person.token), 201)


@pytest.mark.parametrize("minutes", [0, -30, 961, 1441, "60", 1.5])
def test_service_minutes_must_be_a_positive_whole_number_within_the_daily_limit(walk: Walk, minutes: Any) -> None:
    person = walk.volunteer()
    before = walk.event_count()
    body = {"project_id": walk.project_id, "service_date": "2026-11-17", "service_minutes": minutes, "content": "x"}
    problem = expect(walk.api.post("/api/service-records", body, person.token), 422)
    assert problem["field"] == "service_minutes"
    assert walk.event_count() == before


def test_only_volunteers_declare_their_own_service(walk: Walk) -> None:
    body = {"project_id": walk.project_id, "service_date": "2026-11-17", "service_minutes": 60, "content": "x"}
    expect(walk.api.post("/api/service-records", body, walk.admin), 403)


def test_a_declaration_for_a_shift_may_not_exceed_its_length(walk: Walk) -> None:
    body = {"project_id": walk.project_id, "shift_id": walk.shift_id, "service_date": "2026-11-18", "service_minutes": 181, "content": "x"}
    assert expect(walk.api.post("/api/service-records", body, walk.volunteer().token), 422)["field"] == "service_minutes"


# Corrections and revocation -----------------------------------------------------------------
def test_a_correction_by_the_volunteer_is_only_a_request_and_the_balance_is_unchanged(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.served(person, minutes=60)
    expect(walk.confirm(record_id), 200)

    response = correct(walk, record_id, 90, person.token, reason="我待到了最后")

    assert expect(response, 201) == {"id": record_id, "outcome": "requested"}
    record = walk.record(record_id, person.token)
    assert (record["service_minutes"], record["requested_minutes"], record["requested_reason"]) == (60, 90, "我待到了最后")
    assert walk.account(person)["balance"] == 60
    assert [line["kind"] for line in walk.statement(person)] == ["service_credit", "service_credit"]


def test_a_correction_by_an_organizer_is_applied_by_a_new_correction_transfer(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.served(person, minutes=60)
    expect(walk.confirm(record_id), 200)
    expect(correct(walk, record_id, 150, person.token), 201)

    response = correct(walk, record_id, 45, walk.organizer.token, reason="提前离开")

    assert expect(response, 201) == {"id": record_id, "outcome": "applied"}
    record = walk.record(record_id, person.token)
    assert (record["status"], record["service_minutes"], record["credited_minutes"]) == ("confirmed", 45, 45)
    assert record["requested_minutes"] is None  # the open request is settled
    account = walk.account(person)
    assert (account["balance"], account["earned_to_date"]) == (45, 45)
    newest = walk.statement(person)[0]
    assert (newest["kind"], newest["phase"], newest["amount"], newest["balance"]) == ("correction", "posted", -15, 45)
    assert newest["reference"] == f"service-record:{record_id}"


def test_an_organizer_correcting_a_pending_record_replaces_its_pending_credit(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.served(person, minutes=60)
    expect(correct(walk, record_id, 30, walk.organizer.token, reason="迟到半小时"), 201)

    assert walk.account(person)["pending"] == 30
    expect(walk.confirm(record_id), 200)
    account = walk.account(person)
    assert (account["balance"], account["pending"]) == (30, 0)


def test_a_stranger_cannot_correct_a_record(walk: Walk) -> None:
    record_id, stranger = walk.served(walk.volunteer()), walk.volunteer()
    before = walk.event_count()
    expect(correct(walk, record_id, 30, stranger.token), 403)
    assert walk.event_count() == before


def test_a_correction_needs_new_minutes_and_a_reason(walk: Walk) -> None:
    record_id = walk.served(walk.volunteer(), minutes=60)
    assert expect(correct(walk, record_id, 60, walk.organizer.token), 422)["field"] == "service_minutes"
    assert expect(correct(walk, record_id, 0, walk.organizer.token), 422)["field"] == "service_minutes"
    assert expect(correct(walk, record_id, 30, walk.organizer.token, reason=""), 422)["field"] == "reason"


def test_revoking_a_confirmed_record_takes_its_credits_back_by_a_new_transfer(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.served(person, minutes=60)
    expect(walk.confirm(record_id), 200)

    response = walk.api.post(f"/api/service-records/{record_id}/revoke", {"reason": "重复登记"}, walk.organizer.token)

    assert expect(response, 200) == {"id": record_id, "outcome": "revoked"}
    record = walk.record(record_id, person.token)
    assert (record["status"], record["reason"], record["credited_minutes"]) == ("revoked", "重复登记", 0)
    account = walk.account(person)
    assert (account["balance"], account["earned_to_date"]) == (0, 0)
    newest = walk.statement(person)[0]
    assert (newest["kind"], newest["amount"], newest["balance"]) == ("revocation", -60, 0)
    profile = expect(walk.api.get(f"/api/volunteers/{person.id}", person.token), 200)
    assert profile["confirmed_service_minutes"] == 0


def test_only_confirmed_records_are_revoked_and_only_with_a_reason(walk: Walk) -> None:
    record_id = walk.served(walk.volunteer())
    expect(walk.api.post(f"/api/service-records/{record_id}/revoke", {"reason": "x"}, walk.organizer.token), 409)
    expect(walk.confirm(record_id), 200)
    expect(walk.api.post(f"/api/service-records/{record_id}/revoke", {}, walk.organizer.token), 422)
    expect(walk.api.post(f"/api/service-records/{record_id}/revoke", {"reason": "x"}, walk.volunteer().token), 403)


# Bulk entry -----------------------------------------------------------------------------
def test_bulk_entry_records_confirmed_hours_for_several_volunteers(walk: Walk) -> None:
    a, b = walk.volunteer(), walk.volunteer()

    ids = expect(batch(walk, entry(a, 120), entry(b, 30), entry(a, 60, "2026-11-16")), 201)["ids"]

    assert len(ids) == 3
    records = [walk.record(record_id) for record_id in ids]
    assert [(r["volunteer_id"], r["status"], r["source"], r["service_minutes"]) for r in records] == [
        (a.id, "confirmed", "bulk_entry", 120),
        (b.id, "confirmed", "bulk_entry", 30),
        (a.id, "confirmed", "bulk_entry", 60),
    ]
    assert walk.account(a)["balance"] == 180
    assert walk.account(b)["balance"] == 30


@pytest.mark.parametrize(
    ("bad", "status", "field"),
    [
        ({"service_minutes": 0}, 422, "entries.1.service_minutes"),
        ({"service_minutes": -10}, 422, "entries.1.service_minutes"),
        ({"service_date": "2026-11-19"}, 422, "entries.1.service_date"),  # in the future: refused by the domain
        ({"service_date": "2026-10-01"}, 422, "entries.1.service_date"),  # past the recording deadline
        ({"volunteer_id": UNKNOWN}, 404, "entries.1.volunteer_id"),
        ({"hours": 2}, 422, "entries.1.hours"),
    ],
)
def test_bulk_entry_is_all_or_nothing_and_names_the_bad_entry(walk: Walk, bad: dict[str, Any], status: int, field: str) -> None:
    a, b = walk.volunteer(), walk.volunteer()
    before = walk.event_count()

    problem = expect(batch(walk, entry(a), {**entry(b), **bad}, entry(b)), status)

    assert problem["field"] == field
    assert walk.event_count() == before
    assert walk.account(a)["balance"] == 0


def test_organizers_may_not_bulk_enter_their_own_hours(walk: Walk) -> None:
    person = walk.volunteer()
    before = walk.event_count()
    problem = expect(batch(walk, entry(person), entry(walk.organizer)), 403)
    assert problem["field"] == "entries.1.volunteer_id"
    assert walk.event_count() == before


def test_only_organizers_bulk_enter(walk: Walk) -> None:
    person = walk.volunteer()
    expect(batch(walk, entry(walk.volunteer()), token=person.token), 403)


def test_an_empty_batch_is_refused(walk: Walk) -> None:
    assert expect(batch(walk), 422)["field"] == "entries"


# Reading records ---------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["get", "confirm", "reject", "corrections", "revoke"])
def test_an_unknown_record_is_404(walk: Walk, action: str) -> None:
    if action == "get":
        response = walk.api.get(f"/api/service-records/{UNKNOWN}", walk.organizer.token)
    else:
        body = {"reason": "x", "service_minutes": 30} if action == "corrections" else {"reason": "x"} if action != "confirm" else {}
        response = walk.api.post(f"/api/service-records/{UNKNOWN}/{action}", body, walk.organizer.token)
    assert expect(response, 404)["field"] == "record_id"


def test_a_record_is_read_by_its_volunteer_its_organizers_auditors_and_admins_only(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.served(person)
    for token in (person.token, walk.organizer.token, walk.auditor(), walk.admin):
        assert walk.record(record_id, token)["id"] == record_id
    problem = expect(walk.api.get(f"/api/service-records/{record_id}", walk.volunteer().token), 404)
    assert problem["field"] == "record_id"


def test_a_volunteers_records_are_listed_newest_service_first_and_filtered_by_status(walk: Walk) -> None:
    person = walk.volunteer()
    pending = walk.declared(person, minutes=30, service_date="2026-11-16")
    confirmed = walk.declared(person, minutes=40, service_date="2026-11-17")
    expect(walk.confirm(confirmed), 200)

    everything = expect(walk.api.get(f"/api/volunteers/{person.id}/service-records", person.token), 200)
    assert [r["id"] for r in everything] == [confirmed, pending]
    only_pending = expect(walk.api.get(f"/api/volunteers/{person.id}/service-records", person.token, status="pending"), 200)
    assert [r["id"] for r in only_pending] == [pending]
    since = expect(walk.api.get(f"/api/volunteers/{person.id}/service-records", person.token, since="2026-11-17"), 200)
    assert [r["id"] for r in since] == [confirmed]
    expect(walk.api.get(f"/api/volunteers/{person.id}/service-records", walk.volunteer().token), 404)
    expect(walk.api.get(f"/api/volunteers/{person.id}/service-records", person.token, status="lost"), 422)


def test_an_organizations_records_are_listed_for_its_organizers_and_hidden_from_others(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.declared(person)
    path = f"/api/organizations/{walk.organization_id}/service-records"
    assert [r["id"] for r in expect(walk.api.get(path, walk.organizer.token), 200)] == [record_id]
    assert [r["id"] for r in expect(walk.api.get(path, walk.auditor()), 200)] == [record_id]
    assert expect(walk.api.get(path, person.token), 404)["field"] == "organization_id"


def test_a_final_decision_closes_the_open_correction_request(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.declared(person, minutes=90)
    expect(correct(walk, record_id, 120, person.token), 201)
    assert walk.record(record_id)["requested_minutes"] == 120

    expect(walk.api.post(f"/api/service-records/{record_id}/reject", {"reason": "无人证明"}, walk.organizer.token), 200)

    record = walk.record(record_id, person.token)
    assert record["status"] == "rejected"
    expect(correct(walk, record_id, 120, walk.organizer.token), 409)  # it can never be applied now...
    assert (record["requested_minutes"], record["requested_reason"]) == (None, None)  # ...so it is not open
