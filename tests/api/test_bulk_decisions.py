"""Bulk confirmation and rejection: each record decided on its own, refusals reported per record,
only the organization's organizers; and the names organizers see on record lists."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Walk, expect

UNKNOWN = "00000000-0000-4000-8000-0000000000ff"


def confirm_all(walk: Walk, ids: list[str], token: str | None = None) -> Any:
    return walk.api.post("/api/service-records/confirmations", {"record_ids": ids}, token or walk.organizer.token)


def reject_all(walk: Walk, ids: list[str], reason: str = "未到岗", token: str | None = None) -> Any:
    return walk.api.post("/api/service-records/rejections", {"record_ids": ids, "reason": reason}, token or walk.organizer.token)


def test_eight_pending_records_are_confirmed_in_one_call_and_credited(walk: Walk) -> None:
    people = [walk.volunteer() for _ in range(8)]
    ids = [walk.declared(person, minutes=30 + i) for i, person in enumerate(people)]

    body = expect(confirm_all(walk, ids), 200)

    assert (body["decided"], body["refused"]) == (8, 0)
    assert [(r["id"], r["outcome"], r["status"]) for r in body["results"]] == [(i, "confirmed", None) for i in ids]
    assert [walk.account(p)["balance"] for p in people] == [30 + i for i in range(8)]
    assert {walk.record(i)["status"] for i in ids} == {"confirmed"}


def test_one_refused_record_does_not_hold_back_the_others(walk: Walk) -> None:
    first, second = walk.volunteer(), walk.volunteer()
    done = walk.declared(first)
    expect(walk.confirm(done), 200)
    pending = walk.declared(second)

    body = expect(confirm_all(walk, [done, UNKNOWN, pending]), 200)

    assert (body["decided"], body["refused"]) == (1, 2)
    outcomes = [(r["outcome"], r["status"]) for r in body["results"]]
    assert outcomes == [("refused", 409), ("refused", 404), ("confirmed", None)]
    assert "confirmed" in body["results"][0]["message"]
    assert walk.record(pending)["status"] == "confirmed"
    assert walk.account(first)["balance"] == 90  # confirmed once, not twice


def test_bulk_rejection_voids_the_pending_credits_with_the_reason(walk: Walk) -> None:
    people = [walk.volunteer() for _ in range(3)]
    ids = [walk.declared(person) for person in people]

    body = expect(reject_all(walk, ids, reason="无签到记录"), 200)

    assert [r["outcome"] for r in body["results"]] == ["rejected"] * 3
    for record_id, person in zip(ids, people, strict=True):
        record = walk.record(record_id)
        assert (record["status"], record["reason"]) == ("rejected", "无签到记录")
        account = walk.account(person)
        assert (account["balance"], account["pending"]) == (0, 0)


def test_only_the_organizations_organizers_decide_in_bulk_and_nothing_is_written_otherwise(walk: Walk) -> None:
    person = walk.volunteer()
    record_id = walk.declared(person)
    rival = walk.volunteer(name="别队队长")
    expect(walk.api.post("/api/organizations", {"name": "别的队", "district": "海淀区"}, rival.token), 201)

    for token in (person.token, rival.token, walk.admin, walk.auditor()):
        before = walk.event_count()
        expect(confirm_all(walk, [record_id], token), 403)
        expect(reject_all(walk, [record_id], token=token), 403)
        assert walk.event_count() == before
    expect(walk.api.post("/api/service-records/confirmations", {"record_ids": [record_id]}), 401)
    assert walk.record(record_id)["status"] == "pending"


@pytest.mark.parametrize(("body", "field"), [
    ({"record_ids": []}, "record_ids"),
    ({"record_ids": [UNKNOWN, UNKNOWN]}, "record_ids"),
    ({"record_ids": [f"00000000-0000-4000-8000-{i:012d}" for i in range(201)]}, "record_ids"),
    ({"record_ids": ["not-a-uuid"]}, "record_ids.0"),
    ({}, "record_ids"),
])
def test_bad_lists_are_refused_naming_the_field_and_nothing_is_written(walk: Walk, body: dict[str, Any], field: str) -> None:
    before = walk.event_count()
    for path in ("confirmations", "rejections"):
        problem = expect(walk.api.post(f"/api/service-records/{path}", {**body, "reason": "x"} if path == "rejections" else body,
                                       walk.organizer.token), 422)
        assert problem["field"] == field, problem
    assert walk.event_count() == before


def test_a_rejection_needs_a_reason(walk: Walk) -> None:
    record_id = walk.declared(walk.volunteer())
    problem = expect(walk.api.post("/api/service-records/rejections", {"record_ids": [record_id]}, walk.organizer.token), 422)
    assert problem["field"] == "reason"


# Names on record lists ----------------------------------------------------------------------------
def test_organizers_see_number_and_name_on_record_lists_others_see_what_they_did(walk: Walk) -> None:
    person = walk.volunteer(name="李小红", phone="13800001111")
    record_id = walk.declared(person)
    listing = f"/api/organizations/{walk.organization_id}/service-records"

    [item] = expect(walk.api.get(listing, walk.organizer.token), 200)
    assert (item["volunteer_number"], item["name"], item["phone_masked"]) == (person.volunteer_number, "李小红", "138****1111")
    one = walk.record(record_id)
    assert (one["volunteer_number"], one["name"]) == (person.volunteer_number, "李小红")

    [audited] = expect(walk.api.get(listing, walk.auditor()), 200)
    own = walk.record(record_id, person.token)
    for seen in (audited, own):
        assert not {"volunteer_number", "name", "phone_masked"} & set(seen)


def test_an_erased_volunteer_has_no_name_on_the_list(walk: Walk) -> None:
    person = walk.volunteer(name="王已删")
    walk.declared(person)
    expect(walk.api.delete(f"/api/volunteers/{person.id}/personal-data", person.token), 204)

    [item] = expect(walk.api.get(f"/api/organizations/{walk.organization_id}/service-records", walk.organizer.token), 200)
    assert item["name"] is None and item["phone_masked"] is None


def test_item_errors_beside_the_lists_own_error_are_a_422_naming_the_field(walk: Walk) -> None:
    """Too many ids, some not ids: the list's error and its items' errors (keyed by index) go out together."""
    ids: list[Any] = [UNKNOWN, 0] * 101
    problem = expect(walk.api.post("/api/service-records/confirmations", {"record_ids": ids}, walk.organizer.token), 422)
    assert problem["field"].startswith("record_ids")
    assert "1" in problem["errors"]["json"]["record_ids"]
