"""Races over HTTP between worker processes on one store: one winner, a clear refusal for the others.

Each contender is its own process with its own application and connections on the test's store, as
gunicorn workers are. A contender's first write of a round waits at a barrier until every contender
has read the state and decided, so the writes truly collide instead of queueing one after another.
Four races: spending the same credits twice, the last place on a shift, confirming (or rejecting)
one record, the last item of an incentive. Each must end with exactly one 2xx and a 409 or 422
naming the reason for every other contender, and the store must show the winner's effect once.
TIMEBANK_SOAK=1 runs many more rounds.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import pytest

from api.app import build_services, create_app
from api.services import Services
from tests.api.conftest import Person, Walk, expect
from tests.builders import FixedClock
from timebank.settings import Settings

CONTENDERS = 3
ROUNDS = 25 if os.environ.get("TIMEBANK_SOAK") == "1" else 3
REFUSALS = {409, 422}


def _worker(settings: Settings, inbox: Any, outbox: Any, barrier: Any) -> None:
    """A worker: its own services and app on the shared store, answering one request per task."""
    services = build_services(settings, clock=FixedClock())
    client = create_app(settings, services=services).test_client()
    armed = threading.Event()
    met: list[bool] = []  # whether this round's first write met every other contender's at the barrier
    save = services.timebank.save

    def save_after_the_others_decided(*objs: Any, **kwargs: Any) -> Any:
        if armed.is_set():
            armed.clear()
            # A contender refused before it writes never comes: the others go on after the timeout.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)
                met.append(True)
        return save(*objs, **kwargs)

    services.timebank.save = save_after_the_others_decided  # type: ignore[method-assign]
    outbox.put("ready")
    try:
        while (task := inbox.get()) is not None:
            path, token, body = task
            armed.set()
            met.clear()
            response = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
            armed.clear()
            outbox.put((response.status_code, response.get_json(silent=True), bool(met)))
    finally:
        services.close()


class Contenders:
    def __init__(self, settings: Settings, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.barrier = context.Barrier(count)
        self.inboxes = [context.Queue() for _ in range(count)]
        self.outboxes = [context.Queue() for _ in range(count)]
        self.processes = [
            context.Process(target=_worker, args=(settings, inbox, outbox, self.barrier), daemon=True)
            for inbox, outbox in zip(self.inboxes, self.outboxes, strict=True)
        ]
        for process in self.processes:
            process.start()
        for outbox in self.outboxes:
            assert outbox.get(timeout=120) == "ready"

    def race(self, requests: list[tuple[str, str, dict[str, Any]]]) -> list[tuple[int, Any]]:
        """Send one POST to each contender at once; their (status, body) in the same order."""
        self.barrier.reset()
        for inbox, request in zip(self.inboxes, requests, strict=True):
            inbox.put(request)
        answers = [outbox.get(timeout=60) for outbox in self.outboxes]
        # Every contender read the state and decided before any wrote: the writes collided.
        assert all(met for _, _, met in answers), answers
        return [(status, body) for status, body, _ in answers]

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for process in self.processes:
            process.join(30)
            if process.is_alive():
                process.kill()


@pytest.fixture
def contenders(settings: Settings) -> Iterator[Contenders]:
    pool = Contenders(settings, CONTENDERS)
    try:
        yield pool
    finally:
        pool.close()


def one_winner(results: list[tuple[int, Any]], win: int) -> int:
    """Exactly one contender got `win`; every other a 409/422 problem naming what stopped it."""
    statuses = [status for status, _ in results]
    assert statuses.count(win) == 1, results
    for status, body in results:
        if status != win:
            assert status in REFUSALS, results
            assert body["message"] and body["code"] == status, body
    return statuses.index(win)


def account_of(walk: Walk, person: Person) -> dict[str, Any]:
    body: dict[str, Any] = expect(walk.api.get(f"/api/accounts/{person.id}", walk.admin), 200)
    return body


def funded(walk: Walk, minutes: int) -> Person:
    person = walk.volunteer()
    expect(walk.confirm(walk.declared(person, minutes=minutes)), 200)
    return person


def double_spend(walk: Walk, contenders: Contenders) -> Counter[int]:
    payer = funded(walk, 120)
    payees = [walk.volunteer() for _ in range(CONTENDERS)]
    payer_account = account_of(walk, payer)["id"]
    requests = [
        ("/api/transfers", payer.token, {"debit_account_id": payer_account, "credit_account_id": account_of(walk, payee)["id"],
                                         "minutes": 120, "kind": "exchange"})
        for payee in payees
    ]
    results = contenders.race(requests)
    winner = one_winner(results, 201)
    walk.api.position = max(walk.api.position, walk.event_count())
    assert account_of(walk, payer)["balance"] == 0
    assert [account_of(walk, p)["balance"] for p in payees] == [120 if i == winner else 0 for i in range(CONTENDERS)]
    return Counter(status for status, _ in results)


def last_place(walk: Walk, contenders: Contenders) -> Counter[int]:
    shift_id = walk.add_shift(capacity=1)
    people = [walk.volunteer() for _ in range(CONTENDERS)]
    results = contenders.race([(f"/api/shifts/{shift_id}/signups", person.token, {}) for person in people])
    winner = one_winner(results, 201)
    walk.api.position = max(walk.api.position, walk.event_count())
    shift = expect(walk.api.get(f"/api/shifts/{shift_id}", walk.organizer.token), 200)
    assert shift["places_left"] == 0
    assert [entry["volunteer_id"] for entry in shift["roster"]] == [people[winner].id]
    return Counter(status for status, _ in results)


def one_decision(walk: Walk, contenders: Contenders) -> Counter[int]:
    person = walk.volunteer()
    record_id = walk.declared(person, minutes=120)
    decisions = [("confirm", {}) if i % 2 == 0 else ("reject", {"reason": "没有这项活动"}) for i in range(CONTENDERS)]
    results = contenders.race([(f"/api/service-records/{record_id}/{verb}", walk.organizer.token, body) for verb, body in decisions])
    winner = one_winner(results, 200)
    walk.api.position = max(walk.api.position, walk.event_count())
    confirmed = decisions[winner][0] == "confirm"
    assert walk.record(record_id)["status"] == ("confirmed" if confirmed else "rejected")
    types = [event["type"] for event in expect(walk.api.get(f"/api/aggregates/{record_id}/events", walk.admin), 200)]
    assert sum(t.endswith(("Confirmed", "Rejected")) for t in types) == 1, types
    assert account_of(walk, person)["balance"] == (120 if confirmed else 0)
    assert account_of(walk, person)["pending_credits"] == 0
    return Counter(status for status, _ in results)


def last_item(walk: Walk, contenders: Contenders) -> Counter[int]:
    body = {"organization_id": walk.organization_id, "title": "博物馆免费参观", "stock": 1,
            "valid_from": "2026-11-01", "valid_until": "2026-12-31"}
    incentive_id = expect(walk.api.post("/api/incentives", body, walk.organizer.token), 201)["id"]
    people = [walk.volunteer() for _ in range(CONTENDERS)]
    results = contenders.race([(f"/api/incentives/{incentive_id}/redemptions", person.token, {}) for person in people])
    one_winner(results, 201)
    walk.api.position = max(walk.api.position, walk.event_count())
    assert expect(walk.api.get(f"/api/incentives/{incentive_id}", walk.admin), 200)["stock_left"] == 0
    return Counter(status for status, _ in results)


def one_station(walk: Walk, contenders: Contenders) -> Counter[int]:
    place = {"district": "朝阳区", "street": "三里屯街道", "community": f"竞赛社区{uuid4().hex[:6]}（合成）"}
    expect(walk.api.post("/api/places", {"rows": [place]}, walk.admin), 201)
    organizations = []
    for i in range(CONTENDERS):
        body = {"name": f"社区服务队{i}", "district": "朝阳区"}
        organization_id = expect(walk.api.post("/api/organizations", body, walk.organizer.token), 201)["id"]
        expect(walk.api.post(f"/api/organizations/{organization_id}/verify", token=walk.admin), 200)
        organizations.append(organization_id)
    results = contenders.race([(f"/api/organizations/{o}/station", walk.admin, place) for o in organizations])
    winner = one_winner(results, 204)
    walk.api.position = max(walk.api.position, walk.event_count())
    stations = [expect(walk.api.get(f"/api/organizations/{o}", walk.admin), 200)["station"] for o in organizations]
    assert stations == [place if i == winner else None for i in range(CONTENDERS)]
    return Counter(status for status, _ in results)


RACES: dict[str, Callable[[Walk, Contenders], Counter[int]]] = {
    "double spend": double_spend,
    "last place on a shift": last_place,
    "one record, many decisions": one_decision,
    "last item of an incentive": last_item,
    "one organization a station": one_station,
}


def test_every_race_has_one_winner_and_clear_refusals(walk: Walk, contenders: Contenders, services: Services) -> None:
    figures: dict[str, Counter[int]] = {}
    for _ in range(ROUNDS):
        for name, race in RACES.items():
            figures[name] = figures.get(name, Counter()) + race(walk, contenders)
    for name, statuses in figures.items():
        print(f"\n{name}: {ROUNDS} rounds x {CONTENDERS} contenders: {dict(statuses)}")
    assert all(sum(statuses.values()) == ROUNDS * CONTENDERS for statuses in figures.values())
