"""A server killed with SIGKILL under load loses no acknowledged command, applies none twice, and leaves nothing half-done.

A real `timebank serve` runs on one data directory (SQLite) or schema (PostgreSQL). Threads send
commands that each carry a client-chosen identity and an `Idempotency-Key` (tests/reliability/
load_gen.py): exchanges and the office's corrections with client transfer ids, registrations,
sign-ups. After a random delay the server is killed (SIGKILL), started again on the same store,
and loaded again, for a number of rounds. Then, on a fresh server:

- every acknowledged (2xx) command is in the store exactly once, and sending it again with the
  same key answers the same, says it replayed, and writes nothing;
- every command that got no answer is sent again with its key: it is then done exactly once;
- nothing is half-applied (each transfer on both accounts, each sign-up on shift and volunteer,
  each volunteer with one identity claim and an account), balances follow the transfers on the
  write model and in the views, and the ledger sums to zero;
- every aggregate's versions are 1..n without gaps;
- the views equal a fresh rebuild from the log (projections/replay.py, what `timebank audit replay` runs).

Rounds: 4 by default (about 30-40 s a store); TIMEBANK_SOAK=1 runs 40, TIMEBANK_CRASH_ROUNDS=n any number.
The figures measured are printed (`pytest -s` shows them).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

import pytest
import requests
from flask.testing import FlaskClient

from adapters.idempotency_store import IdempotencyStore
from api.app import build_services
from api.services import Services
from projections import ledger_queries, replay
from tests.conftest import STORES
from tests.reliability.crash_checks import LogFacts
from tests.reliability.crash_deployment import Server, crash_deployment
from tests.reliability.load_gen import Command, TimeBankWorkload, run_load, send
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.volunteer import IdentityClaim
from timebank.settings import Settings

pytestmark = pytest.mark.e2e

SOAK = os.environ.get("TIMEBANK_SOAK") == "1"
ROUNDS = int(os.environ.get("TIMEBANK_CRASH_ROUNDS", "40" if SOAK else "4"))
THREADS = 4
KILL_AFTER = (0.3, 2.5)  # seconds of load before the kill, drawn uniformly


def _settings(deployment_env: dict[str, str], data_dir: Path) -> Settings:
    return Settings.from_env(deployment_env, data_dir=data_dir)


def _retry_all(base: str, commands: list[Command]) -> None:
    def once(command: Command) -> None:
        with requests.Session() as session:
            send(session, base, command)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(once, commands))


def _done_before(command: Command) -> bool:
    """A retried registration or sign-up that had committed before the crash is refused by the domain as done."""
    return command.status == 409 and isinstance(command.answer, dict) and command.answer.get("field") != "Idempotency-Key"


@pytest.mark.parametrize("store", STORES)
def test_acknowledged_commands_survive_sigkill_exactly_once(store: str, tmp_path: Path, database_schema: str | None) -> None:
    began = time.monotonic()
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    deployment = crash_deployment(store, tmp_path, database_schema)
    workload = TimeBankWorkload(deployment.cli("tokens", "create", "--role", "admin").strip(), seed)
    server = Server(deployment, "--no-clock")
    try:
        workload.set_up(server.base)
        for _ in range(ROUNDS):
            stop = threading.Event()
            loader = threading.Thread(target=run_load, args=(server.base, workload, THREADS, stop), daemon=True)
            loader.start()
            time.sleep(rng.uniform(*KILL_AFTER))
            server.kill()
            stop.set()
            loader.join(60)
            assert not loader.is_alive(), "the load did not stop after the kill"
            server = Server(deployment, "--no-clock")

        sent = list(workload.sent)
        acknowledged = [c for c in sent if c.acknowledged]
        unanswered = [c for c in sent if c.status is None]
        refused = [(c.kind, c.status, c.answer) for c in sent if c.status is not None and not c.acknowledged]
        assert not refused, f"seed {seed}: commands refused under load (every one is valid): {refused[:5]}"
        answers = {id(c): (c.status, c.answer) for c in acknowledged}

        # A client that got no answer sends the command again with the same key; it must then be done once.
        _retry_all(server.base, unanswered)
        not_done = [(c.kind, c.identity, c.status, c.answer) for c in unanswered
                    if not (c.acknowledged or (c.kind in ("registration", "signup") and _done_before(c)))]
        assert not not_done, f"seed {seed}: commands retried after the crash were not done: {not_done[:5]}"

        services = build_services(_settings(deployment.env, tmp_path))
        try:
            app = services.timebank
            head = app.recorder.max_notification_id() or 0
            # Sending an acknowledged command again answers the same and writes nothing.
            _retry_all(server.base, acknowledged)
            differing = [(c.kind, c.identity, answers[id(c)], (c.status, c.answer)) for c in acknowledged
                         if (c.status, c.answer) != answers[id(c)] or not c.replayed]
            assert not differing, f"seed {seed}: a repeated command answered otherwise: {differing[:5]}"
            assert (app.recorder.max_notification_id() or 0) == head, "repeating acknowledged commands wrote events"

            facts = LogFacts.read(app.recorder, app.mapper)
            assert facts.gaps() == []
            assert facts.half_applied_transfers() == []
            assert facts.half_applied_sign_ups() == []
            assert facts.half_applied_registrations() == []

            # Every acknowledged or retried command is in the store, exactly once.
            missing = []
            for command in sent:
                if not (command.acknowledged or _done_before(command)):
                    missing.append((command.kind, command.identity))
                elif command.kind in ("exchange", "correction"):
                    created = facts.transfers.get(UUID(command.identity))
                    body = command.body
                    if created is None or (str(created.debit_account_id), str(created.credit_account_id), created.amount) != (
                            body["debit_account_id"], body["credit_account_id"], body["minutes"]):
                        missing.append((command.kind, command.identity))
                elif command.kind == "signup":
                    shift_id, volunteer_id = (UUID(part) for part in command.identity.split("/"))
                    if facts.signed_up.get((shift_id, volunteer_id)) != 1:
                        missing.append((command.kind, command.identity))
                else:
                    claim = IdentityClaim.create_id(app.identity_key("resident_id", command.identity))
                    if claim not in facts.claims or (command.status == 201 and str(facts.claims[claim]) != command.answer["id"]):
                        missing.append((command.kind, command.identity))
            assert not missing, f"seed {seed}: commands not in the store once: {missing[:5]}"
            registrations = sum(1 for c in sent if c.kind == "registration")
            assert len(facts.volunteers) == len(workload.volunteers) + 1 + registrations, "a registration happened twice or never"
            accounted = {UUID(c.identity) for c in sent if c.kind in ("exchange", "correction")} | workload.funding
            assert set(facts.transfers) == accounted, "transfers in the store that no command asked for"

            # Balances follow the transfers, on the write model and in the views; the ledger sums to zero.
            for volunteer in workload.volunteers:
                account = UUID(volunteer.account_id)
                expected = facts.balance(account)
                assert app.repository.get(account).balance == expected
                view = requests.get(f"{server.base}/api/accounts/{volunteer.id}", params={"min_position": head},
                                    headers={"Authorization": f"Bearer {volunteer.token}"}, timeout=30)
                assert view.status_code == 200, view.text
                assert view.json()["balance"] == expected
            server.stop()
            assert services.projector.positions() and min(services.projector.positions().values()) == head
            with services.engine.connect() as conn:
                report = ledger_queries.reconciliation(conn, app.rules)
            assert report["balances_sum"] == 0
            assert -facts.balance(ISSUANCE_ACCOUNT_ID) == sum(facts.balance(a) for a in facts.accounts)

            # The views the crashed projectors left behind equal a rebuild from the log.
            with replay.fresh_database(services.engine, tmp_path) as target:
                replayed = replay.replay(app.recorder, app.mapper, services.engine, target)
            assert replayed.identical, f"views differ from a rebuild: {replayed.differences[:5]}"
        finally:
            services.close()
    finally:
        server.kill()

    print(
        f"\n[crash {store}] seed {seed}: rounds {ROUNDS}, commands sent {len(sent)}, acknowledged {len(acknowledged)}, "
        f"unanswered {len(unanswered)} (done on retry {sum(1 for c in unanswered if c.acknowledged)}), "
        f"verified {len(sent)}, events {facts.events}, rows compared {sum(replayed.rows.values())}, "
        f"{time.monotonic() - began:.1f} s"
    )


@pytest.mark.settings(idempotency_lease_seconds=0.2)
def test_a_key_left_claimed_by_a_killed_server_is_taken_over_by_the_retry(client: FlaskClient, services: Services) -> None:
    """A server killed between claiming a key and keeping its answer left the claim "running"; once its
    lease has passed, the client's retry runs the command (before the fix: 409 "still running" for a day)."""
    body = json.dumps(TimeBankWorkload("", 0).registration_body(7)).encode()
    scoped = hashlib.sha256(b"anonymous\nkilled-mid-request").hexdigest()
    IdempotencyStore(services.engine).claim(scoped, hashlib.sha256(b"POST /api/volunteers?\n" + body).hexdigest())
    time.sleep(0.3)
    headers = {"Idempotency-Key": "killed-mid-request"}
    retried = client.post("/api/volunteers", data=body, content_type="application/json", headers=headers)
    assert retried.status_code == 201, retried.get_data(as_text=True)
    again = client.post("/api/volunteers", data=body, content_type="application/json", headers=headers)
    assert (again.status_code, again.get_json(), again.headers.get("Idempotent-Replayed")) == (201, retried.get_json(), "true")
