"""A model of the whole service, driven at random (Hypothesis stateful testing).

The machine plays volunteers and an organizer against the application: register, sign up, cancel,
check in, check out, declare hours, confirm, reject, correct and transfer. A plain Python model
predicts each command's outcome (accepted, or refused for a reason it can name) and the state that
follows; after every step the invariants compare model, aggregates and read models:

- every record's status and minutes, in the aggregate and in the view, are the model's;
- every balance (posted, pending credits, pending debits), in the aggregate and in the view, is the
  model's, derived from confirmed minutes by the rules and from the transfers accepted;
- the books balance (all accounts sum to zero, pending credits equal pending debits) and the
  reconciliation of hours with credits finds no difference;
- every shift's roster, in the aggregate and in the view, is the model's and within capacity.

At the end of every example the whole history is replayed into fresh tables, which must equal the
live views row for row. TIMEBANK_SOAK=1 runs many more and longer examples.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select

from api.services import Services
from projections import ledger_queries, queries
from projections import replay as replay_module
from projections.balances import accounts
from tests.builders import FixedClock, a_project, a_verified_organization, a_volunteer, as_volunteer
from timebank.application import TimeBank, TransferRequest
from timebank.clock import local_date
from timebank.domain.errors import DomainError
from timebank.domain.ledger import TimeAccount
from timebank.settings import Settings

SOAK = os.environ.get("TIMEBANK_SOAK") == "1"
VOLUNTEERS = 3
SHIFTS = 2
SHIFT_HOURS = 12
MAX_ADVANCE = timedelta(hours=8)  # keeps every step inside the shifts' window (they start 1 h after the example)
DAILY_DECLARED = 16 * 60


@dataclass
class Record:
    volunteer: int
    minutes: int
    status: str = "pending"
    shift: int | None = None
    declared_on: date | None = None  # self-declared records count against that day's total
    peak: int = 0  # the most minutes it ever held (what its day may still count)

    def __post_init__(self) -> None:
        self.peak = self.minutes


@dataclass
class Tally:
    """What the runs did, for the figures in docs/RELIABILITY.md."""

    examples: int = 0
    steps: int = 0
    accepted: int = 0
    refused: int = 0
    replays: int = 0
    events: int = 0
    commands: dict[str, int] = field(default_factory=dict)


def run_model(services: Services, settings_: Settings, clock: FixedClock, tally: Tally) -> None:
    app: TimeBank = services.timebank

    def rules_credits(record_id: UUID, minutes: int) -> int:
        aggregate: Any = app.get_record(record_id)
        return app.rules.by_version(aggregate.rules_version).credits_for(minutes, aggregate.category)

    class Service(RuleBasedStateMachine):
        @initialize()
        def world(self) -> None:
            tally.examples += 1
            self.started = clock()
            organizer = a_volunteer(app)
            self.organizer = as_volunteer(organizer)
            self.organization = a_verified_organization(app, organizer)
            self.project = a_project(app, self.organizer, self.organization)
            self.people = [a_volunteer(app).volunteer_id for _ in range(VOLUNTEERS)]
            starts = clock() + timedelta(hours=1)
            self.shift_window = (starts, starts + timedelta(hours=SHIFT_HOURS))
            self.shifts = [
                app.add_shift(self.organizer, self.project, starts_at=starts, ends_at=self.shift_window[1], capacity=2,
                              title="陪伴老人", place="社区服务站")
                for _ in range(SHIFTS)
            ]
            self.signed: list[list[int]] = [[] for _ in self.shifts]  # in sign-up order
            self.checked_in: dict[tuple[int, int], datetime] = {}
            self.attended: set[tuple[int, int]] = set()
            self.records: dict[UUID, Record] = {}
            self.transfers = [0] * VOLUNTEERS  # net credit-minutes moved by accepted transfers

        # One command, its prediction, and what the application did -------------------------
        def attempt(self, name: str, expected: bool | None, command: Callable[[], Any]) -> Any:
            """Run the command; `expected` True: must be accepted, False: refused, None: either."""
            tally.steps += 1
            tally.commands[name] = tally.commands.get(name, 0) + 1
            try:
                result = command()
            except DomainError as refusal:
                assert expected is not True, f"{name} was refused although the model accepts it: {refusal}"
                tally.refused += 1
                return None
            assert expected is not False, f"{name} was accepted although the model refuses it"
            tally.accepted += 1
            return result if result is not None else True

        def actor(self, n: int) -> Any:
            return as_volunteer(self.people[n])

        def overlapping_booking(self, n: int, s: int) -> bool:
            return any(n in people for i, people in enumerate(self.signed) if i != s)  # all shifts share one window

        # Rules ------------------------------------------------------------------------------
        def aim(self, data: st.DataObject, fits: Callable[[int, int], bool]) -> tuple[int, int]:
            """A (volunteer, shift) pair: mostly one the model expects to fit, sometimes any (to be refused)."""
            pairs = [(n, s) for n in range(VOLUNTEERS) for s in range(SHIFTS)]
            fitting = [p for p in pairs if fits(*p)]
            return data.draw(st.sampled_from(fitting if fitting and data.draw(st.integers(0, 3)) else pairs))

        def may_sign_up(self, n: int, s: int) -> bool:
            return n not in self.signed[s] and len(self.signed[s]) < 2 and not self.overlapping_booking(n, s)

        def may_cancel(self, n: int, s: int) -> bool:
            return n in self.signed[s] and (n, s) not in self.checked_in and (n, s) not in self.attended and clock() < self.shift_window[0]

        def may_check_in(self, n: int, s: int) -> bool:
            return n in self.signed[s] and (n, s) not in self.checked_in and (n, s) not in self.attended

        @rule(data=st.data())
        def sign_up(self, data: st.DataObject) -> None:
            n, s = self.aim(data, self.may_sign_up)
            if self.attempt("sign_up", self.may_sign_up(n, s), lambda: app.sign_up(self.actor(n), self.shifts[s], self.people[n])):
                self.signed[s].append(n)

        @rule(data=st.data())
        def cancel(self, data: st.DataObject) -> None:
            n, s = self.aim(data, self.may_cancel)
            if self.attempt("cancel", self.may_cancel(n, s), lambda: app.cancel_sign_up(self.actor(n), self.shifts[s], self.people[n])):
                self.signed[s].remove(n)

        @rule(data=st.data())
        def check_in(self, data: st.DataObject) -> None:
            n, s = self.aim(data, self.may_check_in)
            if self.attempt("check_in", self.may_check_in(n, s), lambda: app.check_in(self.organizer, self.shifts[s], self.people[n])):
                self.checked_in[(n, s)] = clock()

        @precondition(lambda self: clock() - self.started < MAX_ADVANCE - timedelta(minutes=30))
        @rule(data=st.data(), minutes=st.integers(1, 30))
        def check_out(self, data: st.DataObject, minutes: int) -> None:
            n, s = self.aim(data, lambda n, s: (n, s) in self.checked_in)
            clock.advance(minutes=minutes)
            since = self.checked_in.get((n, s))
            record_id = self.attempt("check_out", since is not None, lambda: app.check_out(self.organizer, self.shifts[s], self.people[n]))
            if record_id:
                assert since is not None
                served = min(int((clock() - since).total_seconds() // 60), SHIFT_HOURS * 60)
                self.records[record_id] = Record(n, served, shift=s)
                del self.checked_in[(n, s)]
                self.attended.add((n, s))

        def declared_today(self, n: int, today: date) -> int:
            # A correction may move a declared record's minutes; count the most it ever held, so the
            # machine never crosses the daily limit (its own tests are in tests/application).
            return sum(r.peak for r in self.records.values()
                       if r.volunteer == n and r.declared_on == today and r.status in ("pending", "confirmed"))

        @rule(n=st.integers(0, VOLUNTEERS - 1), minutes=st.integers(15, 240))
        def declare(self, n: int, minutes: int) -> None:
            today = local_date(clock())
            if self.declared_today(n, today) + minutes > DAILY_DECLARED:
                return
            record_id = self.attempt("declare", True, lambda: app.declare_service(
                self.actor(n), project_id=self.project, service_date=today, service_minutes=minutes, content="陪老人聊天"))
            self.records[record_id] = Record(n, minutes, declared_on=today)

        def pick(self, data: st.DataObject) -> UUID:
            """A record: mostly one still pending (the decisions are the interesting part), sometimes any."""
            every = list(self.records)  # in the order they were made: their ids are random, so sorting them
            # would make the same draws pick other records when Hypothesis replays an example
            pending = [r for r in every if self.records[r].status == "pending"]
            return data.draw(st.sampled_from(pending if pending and data.draw(st.integers(0, 3)) else every))

        @precondition(lambda self: bool(self.records))
        @rule(data=st.data())
        def confirm(self, data: st.DataObject) -> None:
            record_id = self.pick(data)
            record = self.records[record_id]
            if self.attempt("confirm", record.status == "pending", lambda: app.confirm_record(self.organizer, record_id)):
                record.status = "confirmed"

        @precondition(lambda self: bool(self.records))
        @rule(data=st.data())
        def reject(self, data: st.DataObject) -> None:
            record_id = self.pick(data)
            record = self.records[record_id]
            if self.attempt("reject", record.status == "pending", lambda: app.reject_record(self.organizer, record_id, "没有这项活动")):
                record.status = "rejected"

        @precondition(lambda self: bool(self.records))
        @rule(data=st.data(), minutes=st.integers(1, 600))
        def correct(self, data: st.DataObject, minutes: int) -> None:
            record_id = self.pick(data)
            record = self.records[record_id]
            ok: bool | None = (record.status in ("pending", "confirmed") and minutes != record.minutes  # a correction changes the minutes
                               and (record.shift is None or minutes <= SHIFT_HOURS * 60))
            if ok and record.status == "confirmed":
                taken_back = rules_credits(record_id, record.minutes) - rules_credits(record_id, minutes)
                if taken_back > self.expected(record.volunteer)[0]:
                    ok = None  # the credits were spent meanwhile: the ledger's floor decides
            if self.attempt("correct", ok, lambda: app.correct_record(self.organizer, record_id, minutes, "时长登记有误")):
                record.minutes = minutes
                record.peak = max(record.peak, minutes)

        @rule(a=st.integers(0, VOLUNTEERS - 1), b=st.integers(0, VOLUNTEERS - 1), minutes=st.integers(1, 300))
        def transfer(self, a: int, b: int, minutes: int) -> None:
            ok = a != b and self.expected(a)[0] >= minutes  # nothing pending is ever spent: available = posted
            request = TransferRequest(TimeAccount.create_id(self.people[a]), TimeAccount.create_id(self.people[b]), minutes,
                                      "exchange", transfer_id=uuid4())
            if self.attempt("transfer", ok, lambda: app.transfer(self.actor(a), request)):
                self.transfers[a] -= minutes
                self.transfers[b] += minutes

        # Invariants -------------------------------------------------------------------------
        def expected(self, n: int) -> tuple[int, int]:
            """(posted, pending credits) of volunteer n's account by the model."""
            posted, pending = self.transfers[n], 0
            for record_id, record in self.records.items():
                if record.volunteer != n:
                    continue
                if record.status == "confirmed":
                    posted += rules_credits(record_id, record.minutes)
                elif record.status == "pending":
                    pending += rules_credits(record_id, record.minutes)
            return posted, pending

        @invariant()
        def views_and_aggregates_agree_with_the_model(self) -> None:
            if not hasattr(self, "records"):
                return
            services.projector.catch_up()
            with services.engine.connect() as conn:
                for record_id, record in self.records.items():
                    view = queries.service_record(conn, record_id)
                    aggregate: Any = app.get_record(record_id)
                    assert view is not None
                    assert (view["status"], view["service_minutes"]) == (aggregate.status, aggregate.service_minutes) == (record.status, record.minutes)
                for n, person in enumerate(self.people):
                    account: Any = app.repository.get(TimeAccount.create_id(person))
                    figures = ledger_queries.account(conn, account.id)
                    posted, pending = self.expected(n)
                    assert figures is not None
                    assert (figures["balance"], figures["pending_credits"], figures["pending_debits"]) == (posted, pending, 0)
                    assert (account.balance, account.pending_credits, account.pending_debits) == (posted, pending, 0)
                for s, shift_id in enumerate(self.shifts):
                    roster = queries.shift(conn, shift_id, with_roster=True)
                    assert roster is not None
                    wanted = [self.people[n] for n in self.signed[s]]
                    assert app.get_shift(shift_id).signed_up == wanted  # in sign-up order
                    # The view orders by sign-up time, and the hand-wound clock gives many the same moment.
                    assert sorted(r["volunteer_id"] for r in roster["roster"]) == sorted(wanted, key=lambda u: u.int)
                    assert roster["places_left"] == 2 - len(wanted) >= 0
                total = conn.execute(select(func.sum(accounts.c.posted_credits - accounts.c.posted_debits))).scalar_one()
                pending_sums = conn.execute(select(func.sum(accounts.c.pending_credits), func.sum(accounts.c.pending_debits))).one()
                assert total == 0 and pending_sums[0] == pending_sums[1]
                report = ledger_queries.reconciliation(conn, app.rules)
                assert report["total"]["difference"] == 0 and not report["discrepancies"], report["discrepancies"]

        def teardown(self) -> None:
            if not hasattr(self, "records"):
                return
            services.projector.catch_up()
            with replay_module.fresh_database(services.engine, settings_.data_dir) as target:
                report = replay_module.replay(app.recorder, app.mapper, services.engine, target)
            tally.replays += 1
            tally.events = report.position
            assert report.identical, report.differences[:5]

    Service.TestCase.settings = settings(
        max_examples=100 if SOAK else 8, stateful_step_count=80 if SOAK else 30, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    Service.TestCase().runTest()


def test_random_commands_keep_every_invariant_and_a_replay_reproduces_every_view(
    services: Services, settings: Settings, clock: FixedClock
) -> None:
    tally = Tally()
    run_model(services, settings, clock, tally)
    assert tally.replays == tally.examples > 0
    assert tally.accepted > 0 and tally.refused > 0  # both sides of the model were exercised
    print(f"\nmodel: {tally}")
