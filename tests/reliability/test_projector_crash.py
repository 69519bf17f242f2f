"""A projector killed with SIGKILL mid-batch, again and again, applies every event exactly once and ends where a rebuild ends.

The test writes a few thousand events through the application (registrations, the office's
corrections, exchanges) with no projector running, then starts the projector as its own process
(tests/reliability/crash_projector_child.py: every view plus `Counting`, which appends one row per
event it handles inside the page's transaction) and kills it with SIGKILL at random moments,
restarting it each time, until it catches up. Then every handled event has exactly one row (none
twice, none missing), every view is at the log's head, and every view equals a fresh rebuild.

Kills: up to 8 by default (about 20-30 s a store); TIMEBANK_SOAK=1 writes three times the events and
kills up to 40 times. The figures are printed (`pytest -s` shows them).
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import select

from api.app import build_services
from projections import replay
from tests.builders import a_volunteer
from tests.conftest import STORES
from tests.reliability.crash_checks import PAGE
from tests.reliability.crash_deployment import Child, crash_deployment
from tests.reliability.crash_projector_child import Counting, handled
from timebank.application import TransferRequest
from timebank.domain.actors import Actor, Role
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.ledger import TimeAccount
from timebank.settings import Settings

pytestmark = pytest.mark.e2e

SOAK = os.environ.get("TIMEBANK_SOAK") == "1"
KILLS = 40 if SOAK else 8
VOLUNTEERS = 20
EXCHANGES = 3000 if SOAK else 1000
KILL_WITHIN = 0.15  # seconds after the child is ready, drawn uniformly: a page of 250 events takes 30-100 ms, 20 of them paused before its commit


def _write_events(settings: Settings, rng: random.Random) -> None:
    services = build_services(settings)
    try:
        app = services.timebank
        admin = Actor(Role.ADMIN, uuid4())
        people = [a_volunteer(app).volunteer_id for _ in range(VOLUNTEERS)]
        accounts = [TimeAccount.create_id(p) for p in people]
        for account in accounts:
            app.transfer(admin, TransferRequest(ISSUANCE_ACCOUNT_ID, account, 50_000, "correction", note="opening funds"))
        for _ in range(EXCHANGES):
            payer, payee = rng.sample(range(VOLUNTEERS), 2)
            app.transfer(Actor(Role.VOLUNTEER, people[payer]), TransferRequest(accounts[payer], accounts[payee], rng.randint(1, 9), "exchange"))
    finally:
        services.close()


def _wait_for_line(child: Child, line: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while line not in child.output().splitlines():
        assert child.alive() or line in child.output().splitlines(), "the projector child died:\n" + child.output()
        assert time.monotonic() < deadline, f"no {line!r} from the projector child:\n" + child.output()
        time.sleep(0.02)


@pytest.mark.parametrize("store", STORES)
def test_a_projector_killed_mid_batch_applies_every_event_once(store: str, tmp_path: Path, database_schema: str | None) -> None:
    began = time.monotonic()
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    deployment = crash_deployment(store, tmp_path, database_schema)
    settings = Settings.from_env(deployment.env)
    _write_events(settings, rng)

    rounds = kills = mid_batch = 0
    while True:
        rounds += 1
        child = Child(deployment, ["-m", "tests.reliability.crash_projector_child"], f"projector-{rounds}.log")
        try:
            _wait_for_line(child, "ready")
            if kills < KILLS:
                time.sleep(rng.uniform(0, KILL_WITHIN))
            if kills < KILLS and child.alive():
                child.kill()
                lines = child.output().splitlines()
                if "caught up" not in lines:  # else the kill came too late to interrupt anything
                    kills += 1
                    markers = [line for line in lines if line == "begin" or line.startswith("end")]
                    mid_batch += bool(markers) and markers[-1] == "begin"
                    continue
            else:
                assert child.wait() == 0, child.output()
        finally:
            child.kill()
        if "caught up" in child.output().splitlines():
            break
    assert kills and mid_batch, f"seed {seed}: no kill landed inside a batch ({kills} kills); the test proved nothing"

    services = build_services(settings)
    try:
        app = services.timebank
        head = app.recorder.max_notification_id() or 0
        positions = services.projector.positions()
        assert set(positions.values()) == {head}, positions
        # Every event the counting projection handles has exactly one row.
        wanted = set(Counting.topics())
        expected, start = set(), 0
        while True:
            page = app.recorder.select_notifications(start, PAGE, topics=sorted(wanted), inclusive_of_start=False)
            expected |= {(n.originator_id, n.originator_version) for n in page}
            if len(page) < PAGE:
                break
            start = page[-1].id
        with services.engine.connect() as conn:
            rows = Counter((r.originator_id, r.originator_version) for r in conn.execute(select(handled)))
        twice = [event for event, times in rows.items() if times > 1]
        assert not twice, f"seed {seed}: {len(twice)} events applied more than once, e.g. {twice[:3]}"
        assert set(rows) == expected, f"seed {seed}: {len(expected - set(rows))} events never applied"
        # Every view equals a rebuild from the log.
        with replay.fresh_database(services.engine, tmp_path) as target:
            report = replay.replay(app.recorder, app.mapper, services.engine, target)
        assert report.identical, f"seed {seed}: views differ from a rebuild: {report.differences[:5]}"
    finally:
        services.close()
    print(
        f"\n[projector crash {store}] seed {seed}: events {head} ({len(expected)} counted), rounds {rounds}, kills {kills}, "
        f"mid-batch {mid_batch}, rows compared {sum(report.rows.values())}, {time.monotonic() - began:.1f} s"
    )
