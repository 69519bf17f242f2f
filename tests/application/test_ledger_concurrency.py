"""Concurrent spending on the configured store (SQLite file or PostgreSQL): exactly one spender wins,
retries move credits once, and a hot pool loses no donation. Threads share one TimeBank or have one
each; processes build their own from the same settings, as gunicorn workers do."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from api.app import build_services
from api.services import Services
from tests.builders import FixedClock
from tests.conftest import race_in_processes
from timebank.application import TimeBank, TransferRequest
from timebank.domain.actors import Actor, Role
from timebank.domain.errors import ConcurrencyConflict, RuleViolation
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.ledger import TimeAccount, pool_account_id
from timebank.settings import Settings

ADMIN = Actor(Role.ADMIN, uuid4())
WORKERS = 6


def member(app: TimeBank, n: int) -> Actor:
    reg = app.register_volunteer(name=f"m{n}", sex="female", birth_date=date(1980, 1, 1), id_type="passport",
                                 id_number=f"C{uuid4().hex[:10]}", phone="13900000000", district="朝阳区")
    return Actor(Role.VOLUNTEER, reg.volunteer_id)


def fund(app: TimeBank, who: Actor, minutes: int) -> None:
    assert who.id is not None
    app.transfer(ADMIN, TransferRequest(ISSUANCE_ACCOUNT_ID, TimeAccount.create_id(who.id), minutes, "correction", note="opening balance"))


def balance(app: TimeBank, who: Actor) -> int:
    assert who.id is not None
    account: Any = app.repository.get(TimeAccount.create_id(who.id), deepcopy_from_cache=True)
    return int(account.balance)


def spend_all(app: TimeBank, payer: Actor, payee: Actor, minutes: int, transfer_id: UUID | None = None) -> str:
    assert payer.id is not None and payee.id is not None
    request = TransferRequest(TimeAccount.create_id(payer.id), TimeAccount.create_id(payee.id), minutes, "exchange",
                              transfer_id=transfer_id)
    try:
        result = app.transfer(payer, request)
    except RuleViolation:
        return "insufficient"
    except ConcurrencyConflict:
        return "conflict"
    return "replayed" if result.replayed else "moved"


def race(attempts: list[Callable[[], str]]) -> list[str]:
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []

    def run(attempt: Callable[[], str]) -> None:
        barrier.wait()
        outcomes.append(attempt())

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def test_threads_sharing_one_app_spend_the_same_credits_once(services: Services) -> None:
    app = services.timebank
    payer, payee = member(app, 1), member(app, 2)
    fund(app, payer, 60)
    outcomes = race([lambda: spend_all(app, payer, payee, 60) for _ in range(WORKERS)])
    assert outcomes.count("moved") == 1
    assert set(outcomes) <= {"moved", "insufficient", "conflict"}
    assert (balance(app, payer), balance(app, payee)) == (0, 60)


def test_threads_with_an_app_each_spend_the_same_credits_once(services: Services, settings: Settings) -> None:
    app = services.timebank
    payer, payee = member(app, 1), member(app, 2)
    fund(app, payer, 60)
    apps = [build_services(settings, clock=FixedClock()) for _ in range(WORKERS)]
    try:
        outcomes = race([lambda s=s: spend_all(s.timebank, payer, payee, 60) for s in apps])
    finally:
        for s in apps:
            s.close()
    assert outcomes.count("moved") == 1
    assert (balance(app, payer), balance(app, payee)) == (0, 60)


def test_retries_with_the_same_transfer_id_move_credits_once(services: Services) -> None:
    app = services.timebank
    payer, payee = member(app, 1), member(app, 2)
    fund(app, payer, 100)
    same = uuid4()
    outcomes = race([lambda: spend_all(app, payer, payee, 30, same) for _ in range(WORKERS)])
    assert outcomes.count("moved") == 1 and outcomes.count("replayed") == WORKERS - 1
    assert (balance(app, payer), balance(app, payee)) == (70, 30)


def test_a_hot_pool_loses_no_donation(services: Services) -> None:
    app = services.timebank
    donors = [member(app, n) for n in range(8)]
    for donor in donors:
        fund(app, donor, 50)
    pool = pool_account_id("朝阳区")

    def donate(donor: Actor) -> str:
        assert donor.id is not None
        try:
            app.transfer(donor, TransferRequest(TimeAccount.create_id(donor.id), pool, 50, "donation"))
        except ConcurrencyConflict:
            return "conflict"
        return "moved"

    outcomes = race([lambda d=d: donate(d) for d in donors])
    pool_account: Any = app.repository.get(pool)
    assert pool_account.balance == 50 * outcomes.count("moved")
    assert outcomes.count("moved") == len(donors)  # bounded retries absorb a burst of this size


def _spend_in_a_process(settings: Settings, payer: UUID, payee: UUID, start: Any, results: Any) -> None:
    services = build_services(settings)
    try:
        start.wait(30)
        results.put(spend_all(services.timebank, Actor(Role.VOLUNTEER, payer), Actor(Role.VOLUNTEER, payee), 60))
    finally:
        services.close()


def test_separate_processes_spend_the_same_credits_once(services: Services, settings: Settings) -> None:
    app = services.timebank
    payer, payee = member(app, 1), member(app, 2)
    fund(app, payer, 60)
    outcomes = race_in_processes(_spend_in_a_process, (settings, payer.id, payee.id), 3)
    assert outcomes.count("moved") == 1, outcomes
    assert (balance(app, payer), balance(app, payee)) == (0, 60)
