"""The ledger's invariants under random use (Hypothesis), and `as_of` against a replay of the history.

One state machine run uses one store (the test's SQLite file or PostgreSQL schema); each example
registers fresh members, so examples never see each other's accounts, while the all-accounts
invariant (every balance, derived accounts included, sums to zero) covers everything in the store.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select

from api.services import Services
from projections import ledger_queries
from projections.balances import accounts
from tests.builders import FixedClock
from timebank.application import TimeBank, TransferRequest
from timebank.domain.actors import Actor, Role
from timebank.domain.errors import ConcurrencyConflict, Conflict, RuleViolation
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.ledger import TimeAccount, pool_account_id

ADMIN = Actor(Role.ADMIN, uuid4())
POOL = pool_account_id("海淀区")
MEMBERS = 3


def new_member(app: TimeBank) -> Actor:
    reg = app.register_volunteer(name="h", sex="male", birth_date=date(1980, 1, 1), id_type="passport",
                                 id_number=f"H{uuid4().hex[:10]}", phone="13900000000", district="海淀区")
    return Actor(Role.VOLUNTEER, reg.volunteer_id)


def account_id(who: Actor) -> UUID:
    assert who.id is not None
    return TimeAccount.create_id(who.id)


def run_ledger_machine(services: Services) -> None:
    app = services.timebank

    class Ledger(RuleBasedStateMachine):
        @initialize()
        def members(self) -> None:
            self.people = [new_member(app) for _ in range(MEMBERS)]
            self.model: dict[UUID, int] = {account_id(p): 0 for p in self.people}  # posted balances
            self.held: dict[UUID, int] = {a: 0 for a in self.model}  # pending debits
            self.pending: list[tuple[UUID, UUID, UUID, int]] = []  # transfer, payer, payee, minutes
            self.sent: dict[UUID, TransferRequest] = {}

        def _try(self, who: Actor, request: TransferRequest) -> bool:
            try:
                result = app.transfer(who, request)
            except (RuleViolation, ConcurrencyConflict):
                return False
            return not result.replayed

        @rule(n=st.integers(0, MEMBERS - 1), minutes=st.integers(1, 200))
        def fund(self, n: int, minutes: int) -> None:
            target = account_id(self.people[n])
            if self._try(ADMIN, TransferRequest(ISSUANCE_ACCOUNT_ID, target, minutes, "correction", note="fund")):
                self.model[target] += minutes

        @rule(a=st.integers(0, MEMBERS - 1), b=st.integers(0, MEMBERS - 1), minutes=st.integers(1, 150),
              kind=st.sampled_from(["exchange", "gift"]), pending=st.booleans())
        def pay(self, a: int, b: int, minutes: int, kind: str, pending: bool) -> None:
            payer, payee = account_id(self.people[a]), account_id(self.people[b])
            request = TransferRequest(payer, payee, minutes, kind, relation="spouse" if kind == "gift" else None, pending=pending,
                                      transfer_id=uuid4())
            spendable = self.model[payer] - self.held[payer]
            try:
                app.transfer(self.people[a], request)
            except RuleViolation:
                assert a == b or spendable < minutes  # refused only for a reason
                return
            assert a != b and spendable >= minutes
            assert request.transfer_id is not None
            self.sent[request.transfer_id] = request
            if pending:
                self.held[payer] += minutes
                self.pending.append((request.transfer_id, payer, payee, minutes))
            else:
                self.model[payer] -= minutes
                self.model[payee] += minutes

        @rule(n=st.integers(0, MEMBERS - 1), minutes=st.integers(1, 100))
        def donate(self, n: int, minutes: int) -> None:
            payer = account_id(self.people[n])
            if self._try(self.people[n], TransferRequest(payer, POOL, minutes, "donation")):
                self.model[payer] -= minutes

        @precondition(lambda self: bool(self.pending))
        @rule(data=st.data())
        def resolve(self, data: st.DataObject) -> None:
            transfer_id, payer, payee, minutes = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
            posted = data.draw(st.integers(0, minutes))
            creator = next(p for p in self.people if account_id(p) == payer)
            if posted:
                app.post_transfer(creator, transfer_id, posted)
            else:
                app.void_transfer(creator, transfer_id, "changed my mind")
            self.held[payer] -= minutes
            self.model[payer] -= posted
            self.model[payee] += posted
            with pytest.raises(Conflict):
                app.void_transfer(creator, transfer_id, "again")  # each pending transfer resolves once

        @precondition(lambda self: bool(self.sent))
        @rule(data=st.data())
        def retry(self, data: st.DataObject) -> None:
            request = list(self.sent.values())[data.draw(st.integers(0, len(self.sent) - 1))]
            payer = next(p for p in self.people if account_id(p) == request.debit_account_id)
            assert app.transfer(payer, request).replayed  # moves nothing; the model stays as it is

        @invariant()
        def books_balance(self) -> None:
            if not hasattr(self, "model"):
                return
            services.projector.catch_up()
            with services.engine.connect() as conn:
                total = conn.execute(select(func.sum(accounts.c.posted_credits - accounts.c.posted_debits))).scalar_one()
                pending = conn.execute(select(func.sum(accounts.c.pending_credits), func.sum(accounts.c.pending_debits))).one()
                assert total == 0 and pending[0] == pending[1]
                for account, expected in self.model.items():
                    view = ledger_queries.account(conn, account)
                    aggregate: Any = app.repository.get(account)
                    assert view is not None and view["balance"] == aggregate.balance == expected
                    assert view["pending_debits"] == aggregate.pending_debits == self.held[account]
                    assert aggregate.available >= 0  # the floor holds: no member spent what was not there

    Ledger.TestCase.settings = settings(
        max_examples=25, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    Ledger.TestCase().runTest()


def test_random_transfers_keep_the_books_balanced_and_the_floor_enforced(services: Services) -> None:
    run_ledger_machine(services)


def test_as_of_balances_equal_a_replay_of_the_history_up_to_that_moment(services: Services, clock: FixedClock) -> None:
    app = services.timebank
    a, b = new_member(app), new_member(app)
    moments = []
    app.transfer(ADMIN, TransferRequest(ISSUANCE_ACCOUNT_ID, account_id(a), 300, "correction", note="fund"))
    for n in range(6):
        clock.advance(minutes=10)
        request = TransferRequest(account_id(a), account_id(b), 20 + n, "exchange", pending=n % 2 == 1)
        result = app.transfer(a, request)
        if n % 4 == 3:
            clock.advance(minutes=1)
            app.post_transfer(a, result.transfer["id"], 5)
        moments.append(clock() + timedelta(seconds=30))
    services.projector.catch_up()
    for account in (account_id(a), account_id(b)):
        events = list(app.events.get(account))
        for moment in [clock() - timedelta(days=1), *moments]:
            # The replay: fold the account's own events up to the moment.
            version = max((e.originator_version for e in events if e.at <= moment), default=None)
            with services.engine.connect() as conn:
                view = ledger_queries.account(conn, account, as_of=moment)
            assert view is not None
            if version is None:
                assert (view["balance"], view["pending_credits"], view["pending_debits"]) == (0, 0, 0)
                continue
            replayed: Any = app.repository.get(account, version=version)
            assert (view["balance"], view["pending_credits"], view["pending_debits"]) == (
                replayed.balance, replayed.pending_credits, replayed.pending_debits,
            ), moment
