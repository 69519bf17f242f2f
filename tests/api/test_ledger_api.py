"""The time bank over HTTP: transfers with Idempotency-Key, linked and two-phase; accounts as of any
moment, statements (CSV too), totals and pools; exchanges; reconciliation; who may see and do what."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from api.clock import run_transfer_timeouts
from api.services import Services
from tests.api.conftest import ApiClient, Person, Walk, event_count, expect, register
from tests.conftest import Clock


def post(api: ApiClient, path: str, body: dict[str, Any], person: Person | str, key: str | None = None) -> Any:
    token = person if isinstance(person, str) else person.token
    headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
    response = api.client.post(path, json=body, headers=headers)
    if "X-Event-Position" in response.headers:
        api.position = max(api.position, int(response.headers["X-Event-Position"]))
    return response


def account_id(api: ApiClient, person: Person) -> str:
    found: str = expect(api.get(f"/api/accounts/{person.id}", person.token), 200)["id"]
    return found


@pytest.fixture
def earner(walk: Walk) -> Person:
    """A volunteer with 120 confirmed credit-minutes."""
    person = walk.volunteer(name="赵敏")
    expect(walk.confirm(walk.declared(person, minutes=120)), 200)
    return person


def transfer(api: ApiClient, payer: Person, payee: str, minutes: int, kind: str = "exchange", **extra: Any) -> dict[str, Any]:
    return {"debit_account_id": account_id(api, payer), "credit_account_id": payee, "minutes": minutes, "kind": kind, **extra}


def test_a_gift_retried_with_the_same_key_moves_once_and_says_it_was_replayed(api: ApiClient, walk: Walk, earner: Person) -> None:
    mother = walk.volunteer(name="赵母")
    body = transfer(api, earner, account_id(api, mother), 30, "gift", relation="parent", note="给妈妈")
    first = post(api, "/api/transfers", body, earner, key="gift-1")
    again = post(api, "/api/transfers", body, earner, key="gift-1")
    assert expect(first, 201) == expect(again, 201)
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert walk.account(earner)["balance"] == 90 and walk.account(mother)["balance"] == 30
    # The same Idempotency-Key with another request: 422 (issue 4's rule for every POST).
    conflict = post(api, "/api/transfers", {**body, "minutes": 31}, earner, key="gift-1")
    assert expect(conflict, 422)["field"] == "Idempotency-Key"
    # The same client-chosen transfer id with another body: 409 (the ledger's rule).
    chosen = {**body, "transfer_id": first.get_json()["id"], "minutes": 31}
    assert expect(post(api, "/api/transfers", chosen, earner), 409)["field"] == "transfer_id"
    assert walk.account(earner)["balance"] == 90


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"minutes": 121}, 422, "minutes"),
    ({"minutes": 0}, 422, "minutes"),
    ({"kind": "gift", "relation": "friend"}, 422, "relation"),
    ({"kind": "redemption"}, 422, "credit_account_id"),
    ({"kind": "correction", "note": "x"}, 403, "kind"),
    ({"credit_account_id": "5d2a6c1e-0000-4000-8000-000000000000"}, 404, "credit_account_id"),
    ({"colour": "red"}, 422, "colour"),
])
def test_bad_transfers_name_the_field_and_write_nothing(
    api: ApiClient, walk: Walk, services: Services, earner: Person, change: dict[str, Any], status: int, field: str
) -> None:
    friend = walk.volunteer(name="钱多")
    body = {**transfer(api, earner, account_id(api, friend), 60), **change}
    before = event_count(services)
    error = expect(post(api, "/api/transfers", body, earner), status)
    assert error["field"] == field or field in str(error["errors"])
    assert event_count(services) == before


def test_an_overdraft_says_what_is_available(api: ApiClient, walk: Walk, earner: Person) -> None:
    friend = walk.volunteer(name="孙亮")
    error = expect(post(api, "/api/transfers", transfer(api, earner, account_id(api, friend), 500), earner), 422)
    assert "120 credit-minutes available" in error["message"]


def test_nobody_spends_or_reads_anothers_account(api: ApiClient, walk: Walk, earner: Person) -> None:
    thief = walk.volunteer(name="李偷")
    body = {"debit_account_id": account_id(api, earner), "credit_account_id": account_id(api, thief), "minutes": 10, "kind": "exchange"}
    assert expect(post(api, "/api/transfers", body, thief), 403)["field"] == "debit_account_id"
    for path in (f"/api/accounts/{earner.id}", f"/api/accounts/{earner.id}/statement", f"/api/accounts/{earner.id}/totals"):
        expect(api.get(path, thief.token), 404)
    expect(api.get("/api/accounts", thief.token), 403)
    expect(api.get("/api/reconciliation", thief.token), 403)
    assert len(expect(api.get("/api/accounts/pools", thief.token), 200)) == 17
    expect(post(api, "/api/transfers", body, walk.auditor()), 403)


def test_linked_transfers_are_all_or_nothing_over_http(api: ApiClient, walk: Walk, services: Services, earner: Person) -> None:
    a, b = walk.volunteer(name="周一"), walk.volunteer(name="周二")
    items = [transfer(api, earner, account_id(api, a), 100), transfer(api, earner, account_id(api, b), 21)]
    before = event_count(services)
    assert expect(post(api, "/api/transfers/batch", {"transfers": items}, earner), 422)["field"] == "transfers.1.minutes"
    assert event_count(services) == before
    items[1]["minutes"] = 20
    made = expect(post(api, "/api/transfers/batch", {"transfers": items}, earner, key="batch-1"), 201)["transfers"]
    again = post(api, "/api/transfers/batch", {"transfers": items}, earner, key="batch-1")
    assert expect(again, 201)["transfers"] == made and again.headers["Idempotent-Replayed"] == "true"
    assert [walk.account(p)["balance"] for p in (earner, a, b)] == [0, 100, 20]


def test_a_hold_posts_in_part_and_a_timed_out_hold_is_voided_by_the_clock(
    api: ApiClient, walk: Walk, services: Services, clock: Clock, earner: Person
) -> None:
    helper = walk.volunteer(name="吴帮")
    hold = expect(post(api, "/api/transfers", transfer(api, earner, account_id(api, helper), 100, pending=True), earner), 201)
    assert walk.account(earner)["available"] == 20
    posted = expect(post(api, f"/api/transfers/{hold['id']}/post", {"minutes": 40}, earner), 200)
    assert (posted["status"], posted["posted_minutes"]) == ("posted", 40)
    expect(post(api, f"/api/transfers/{hold['id']}/void", {}, earner), 409)
    assert (walk.account(earner)["balance"], walk.account(helper)["balance"]) == (80, 40)
    timed = expect(post(api, "/api/transfers", transfer(api, earner, account_id(api, helper), 50, pending=True, timeout_seconds=60), earner), 201)
    clock.advance(seconds=90)
    # The projector runs in the background here: wait for it rather than run a second one alongside.
    services.projector.wait_for(api.position, 5)
    assert run_transfer_timeouts(services) == 1
    api.position = services.timebank.recorder.max_notification_id() or 0
    assert expect(api.get(f"/api/transfers/{timed['id']}", earner.token), 200)["status"] == "voided"
    assert walk.account(earner)["available"] == 80


def test_a_records_own_pending_credit_cannot_be_posted_by_hand(api: ApiClient, walk: Walk) -> None:
    person = walk.volunteer(name="郑申")
    walk.declared(person, minutes=60)
    pending = walk.statement(person)[0]
    expect(post(api, f"/api/transfers/{pending['transfer_id']}/post", {}, walk.admin), 409)


def test_as_of_statement_filters_csv_and_totals(api: ApiClient, walk: Walk, clock: Clock, earner: Person) -> None:
    before_gift = clock() + timedelta(seconds=1)
    clock.advance(minutes=5)
    pool = next(p for p in expect(api.get("/api/accounts/pools", earner.token), 200) if p["district"] == "朝阳区")["id"]
    expect(post(api, "/api/transfers", transfer(api, earner, pool, 20, "donation", note="捐给社区"), earner), 201)
    then = expect(api.get(f"/api/accounts/{earner.id}", earner.token, as_of=before_gift.isoformat()), 200)
    assert (then["balance"], walk.account(earner)["balance"]) == (120, 100)
    donations = expect(api.get(f"/api/accounts/{earner.id}/statement", earner.token, kind="donation"), 200)
    assert [(d["amount"], d["balance"], d["note"]) for d in donations] == [(-20, 100, "捐给社区")]
    response = api.get(f"/api/accounts/{earner.id}/statement.csv", earner.token, phase="posted")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    assert [(r["kind"], r["amount"], r["balance"]) for r in rows] == [("donation", "-20", "100"), ("service_credit", "120", "120")]
    totals = {t["kind"]: t for t in expect(api.get(f"/api/accounts/{earner.id}/totals", earner.token), 200)}
    assert (totals["service_credit"]["credits"], totals["donation"]["debits"]) == (120, 20)
    assert expect(api.get(f"/api/accounts/{pool}", earner.token), 200)["balance"] == 20


def test_an_exchange_over_http_and_the_board(api: ApiClient, walk: Walk, earner: Person) -> None:
    helper, stranger = walk.volunteer(name="冯帮"), walk.volunteer(name="陈路")
    exchange = expect(post(api, "/api/exchanges", {"title": "帮忙买菜", "minutes": 60, "district": "朝阳区"}, earner), 201)["id"]
    expect(post(api, f"/api/exchanges/{exchange}/offers", {}, earner), 422)
    expect(post(api, f"/api/exchanges/{exchange}/offers", {}, helper), 201)
    board = expect(api.get("/api/exchanges", stranger.token), 200)
    assert [(e["id"], e["offers_count"], e["offers"]) for e in board] == [(exchange, 1, [])]  # offers hidden from outsiders
    expect(post(api, f"/api/exchanges/{exchange}/accept", {"provider_id": helper.id}, helper), 403)
    expect(post(api, f"/api/exchanges/{exchange}/accept", {"provider_id": helper.id}, earner), 200)
    assert walk.account(earner)["available"] == 60
    expect(post(api, f"/api/exchanges/{exchange}/confirm", {"minutes": 50}, earner), 200)
    assert (walk.account(earner)["balance"], walk.account(helper)["balance"]) == (70, 50)
    assert expect(api.get(f"/api/exchanges/{exchange}", helper.token), 200)["status"] == "completed"


def test_reconciliation_balances_after_records_corrections_revocations_and_transfers(api: ApiClient, walk: Walk, earner: Person) -> None:
    other = walk.volunteer(name="褚改")
    record = walk.declared(other, minutes=90)
    expect(walk.confirm(record), 200)
    expect(api.post(f"/api/service-records/{record}/corrections", {"service_minutes": 60, "reason": "left early"}, walk.organizer.token), 201)
    revoked = walk.declared(other, minutes=30)
    expect(walk.confirm(revoked), 200)
    expect(api.post(f"/api/service-records/{revoked}/revoke", {"reason": "duplicate"}, walk.organizer.token), 200)
    expect(post(api, "/api/transfers", transfer(api, earner, account_id(api, other), 10, "gift", relation="spouse"), earner), 201)
    report = expect(api.get("/api/reconciliation", walk.auditor()), 200)
    assert report["balanced"] and report["balances_sum"] == 0
    assert (report["total"]["expected_credits"], report["total"]["issued_credits"]) == (180, 180)
    assert report["total"]["issuance_account_balance"] == -180
    rules = expect(api.get("/api/rules", earner.token), 200)
    assert [r["version"] for r in rules] == ["beijing-trial", "beijing-2021"] and rules[-1]["redemption_min_age"] == 60
    assert rules[0]["star_level_thresholds_hours"] == [100, 200, 500, 800, 1000]


def test_a_senior_redeems_to_the_system_redemption_account_and_a_younger_member_cannot(api: ApiClient, walk: Walk, earner: Person) -> None:
    senior = register(api, name="老王", birth_date="1950-03-01")
    expect(walk.confirm(walk.declared(senior, minutes=60)), 200)
    system = {a["kind"]: a for a in expect(api.get("/api/accounts/system", senior.token), 200)}
    assert system["redemption"]["balance"] == 0 and system["issuance"]["balance"] == -180
    redemption = system["redemption"]["id"]
    expect(post(api, "/api/transfers", transfer(api, senior, redemption, 60, "redemption", note="助餐"), senior), 201)
    young = post(api, "/api/transfers", transfer(api, earner, redemption, 60, "redemption"), earner)
    assert expect(young, 422)["field"] == "kind" and "from age 60" in young.get_json()["message"]
    assert expect(api.get(f"/api/accounts/{redemption}", senior.token), 200)["balance"] == 60
