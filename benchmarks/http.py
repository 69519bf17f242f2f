"""Command throughput over HTTP: confirming service records through gunicorn against the raw library.

    python -m benchmarks.http [--clients 8] [--confirms 40] [--http-rounds 4] [--http-history 10000]
                              [--workers 2] [--threads 4] [--database-url postgresql://...]

A real server process (gunicorn, as in the Procfile) serves the API on a throwaway store; a locust
process (benchmarks/locust_confirms.py, FastHttpUser, `--clients` concurrent clients in a closed
loop) POSTs /api/service-records/{id}/confirm as an organizer. Each client confirms records of its
own volunteers, so clients never contend for one account. Records belong either to volunteers with
a short account history (about 10 events) or with a long one (`--http-history` events, written by bulk
entry). The baseline, in this process on the same store: the library's raw load-change-save of the
same events (load the record, its pending transfer and the account; post the transfer, confirm the
record; save the three atomically), one record at a time on other records; and the same with one
thread per client (`raw_threads_per_s`, a stricter baseline at the same concurrency). Rounds
alternate the four measurements so machine noise hits all alike. Prints a table and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from api.app import build_services
from benchmarks.common import server_env, standalone, stop_process, throwaway_store
from timebank.application import BatchEntry, TimeBank
from timebank.clock import local_date
from timebank.domain.actors import Actor, Role
from timebank.domain.ledger import TimeAccount, resolve_transfer
from timebank.domain.recording import new_record
from timebank.domain.service_record import PENDING
from timebank.settings import Settings

ADMIN = Actor(Role.ADMIN, UUID(int=1))
RECORDS_PER_SHORT_VOLUNTEER = 4  # 1 opening + 4 pending + 4 confirmed events: about 10
MINUTES = 30
BATCH = 500


@dataclass
class Scene:
    organizer: Actor
    organizer_token: str
    project_id: UUID
    # Per client: queues of pending record ids, to be confirmed in order.
    short: list[list[UUID]] = field(default_factory=list)
    long: list[list[UUID]] = field(default_factory=list)
    raw: list[list[UUID]] = field(default_factory=list)  # one client
    raw_threads: list[list[UUID]] = field(default_factory=list)  # one thread per client
    long_volunteers: list[UUID] = field(default_factory=list)


def _volunteer(app: TimeBank, n: int) -> Actor:
    reg = app.register_volunteer(name=f"h{n}", sex="female", birth_date=date(1985, 1, 1), id_type="passport",
                                 id_number=f"H{n:08d}", phone=f"138{n:08d}", district="东城区")
    return Actor(Role.VOLUNTEER, reg.volunteer_id)


def _pending(app: TimeBank, who: Actor, project_id: UUID, count: int) -> list[UUID]:
    """`count` pending self-declared records of `who`, saved together: the events declare_service
    writes for each (the record, its pending credit transfer, an account event), without the daily
    declaration totals, which confirming does not touch. One save, not one command per record,
    keeps the setup short (the domain's own `new_record`, as the commands make them)."""
    assert who.id is not None
    project = app.get_project(project_id)
    account = app._account(who.id)
    now = app.clock()
    today = local_date(now)
    saved: list[Any] = []
    ids = []
    for n in range(count):
        day = today - timedelta(days=n % 7)
        record, credit = new_record(
            volunteer_id=who.id, project=project, shift=None, service_date=day, service_minutes=MINUTES,
            content="bench", place=None, source="self_declared", status=PENDING, flags=[], rules=app.rules.in_force(day),
            calendar=app.calendar, account=account, actor=who.ref, now=now,
        )
        saved += [record, *credit[:1]]
        ids.append(record.id)
    app.save(*saved, account)
    return ids


def build_scene(app: TimeBank, users: int, short_records: int, long_records: int, raw_records: int, history: int) -> Scene:
    """Volunteers, an organization and its project; pending records for each client and the baseline."""
    organizer_reg = app.register_volunteer(name="organizer", sex="male", birth_date=date(1980, 1, 1), id_type="passport",
                                           id_number="ORG00001", phone="13700000000", district="东城区")
    organizer = Actor(Role.VOLUNTEER, organizer_reg.volunteer_id)
    org_id = app.register_organization(organizer, name="bench org", district="东城区")
    app.verify_organization(ADMIN, org_id)
    project_id = app.publish_project(organizer, organization_id=org_id, name="bench project", person_in_charge="王主任")
    scene = Scene(organizer, organizer_reg.access_token, project_id)
    n = 0

    def short_queue(count: int) -> list[UUID]:
        nonlocal n
        ids: list[UUID] = []
        while len(ids) < count:
            n += 1
            ids += _pending(app, _volunteer(app, n), project_id, min(RECORDS_PER_SHORT_VOLUNTEER, count - len(ids)))
        return ids

    scene.short = [short_queue(short_records) for _ in range(users)]
    scene.raw = [short_queue(raw_records) for _ in range(users)]
    scene.raw_threads = [short_queue(raw_records) for _ in range(users)]
    long_actors = []
    for _ in range(users):
        n += 1
        long_actors.append(_volunteer(app, n))
    scene.long_volunteers = [a.id for a in long_actors if a.id is not None]
    # Long histories: bulk entries (one account event each), 500 to a batch, every client's volunteer in turn.
    today = local_date(app.clock())
    entries = [BatchEntry(volunteer_id, today, MINUTES, "history") for _ in range(history) for volunteer_id in scene.long_volunteers]
    for start in range(0, len(entries), BATCH):
        app.record_service_batch(organizer, project_id, entries[start:start + BATCH])
    scene.long = [_pending(app, who, project_id, long_records) for who in long_actors]
    for volunteer_id in scene.long_volunteers:
        app.take_snapshot(TimeAccount.create_id(volunteer_id))  # as the snapshot interval would have, had it fallen on a save
    return scene


def raw_confirm(app: TimeBank, organizer: Actor, record_id: UUID) -> None:
    """The events confirm_record writes, by the library alone: load, change, save."""
    now = app.clock()
    record: Any = app.repository.get(record_id)
    transfer: Any = app.repository.get(record.pending_transfer_id)
    account: Any = app.repository.get(TimeAccount.create_id(record.volunteer_id))
    resolve_transfer(transfer, None, account, posted_amount=transfer.amount, reason="confirmed", actor=organizer.ref, at=now)
    record.confirm(organizer.volunteer_id, organizer.ref, now)
    app.save(record, transfer, account)


def raw_round(app: TimeBank, organizer: Actor, queues: list[list[UUID]], threaded: bool) -> tuple[int, float]:
    """Raw confirms of every queue: one after another, or a thread per queue. Returns (count, seconds)."""
    start = time.perf_counter()
    if threaded:
        def confirm_all(queue: list[UUID]) -> None:
            for record_id in queue:
                raw_confirm(app, organizer, record_id)

        threads = [threading.Thread(target=confirm_all, args=(q,)) for q in queues]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for queue in queues:
            for record_id in queue:
                raw_confirm(app, organizer, record_id)
    return sum(len(q) for q in queues), time.perf_counter() - start


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def gunicorn(settings: Settings, workers: int, threads: int) -> Iterator[str]:
    """A gunicorn process serving api.wsgi:app on a free port; yields its base URL."""
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "api.wsgi:app"]
    process = subprocess.Popen(command, env=server_env(settings, TIMEBANK_RATE_LIMIT="1000000/minute"), cwd=Path(__file__).resolve().parent.parent)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}")
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        stop_process(process)


def http_round(url: str, token: str, queues: list[list[UUID]], idempotency: bool) -> dict[str, Any]:
    """One round of locust clients, in a process of their own; returns its JSON line."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as plan:
        json.dump({"host": url, "token": token, "idempotency": idempotency, "queues": [[str(i) for i in q] for q in queues]}, plan)
    try:
        done = subprocess.run([sys.executable, "-m", "benchmarks.locust_confirms", plan.name], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).resolve().parent.parent, timeout=900)
    finally:
        os.unlink(plan.name)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["failed"]:
        raise RuntimeError(f"{result['failed']} confirms failed over HTTP: {result['errors']}")
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("http")
    group.add_argument("--clients", type=int, default=8, help="concurrent locust clients")
    group.add_argument("--confirms", type=int, default=40, help="confirms per client per round")
    group.add_argument("--http-rounds", type=int, default=4, help="rounds; each measures short, long, raw and raw threads once")
    group.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (one per core)")
    group.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    group.add_argument("--idempotency-keys", action="store_true", help="send an Idempotency-Key with every confirm")
    group.add_argument("--http-history", type=int, default=10_000, help="prior events on each long-history account")


def run(args: argparse.Namespace) -> dict[str, Any]:
    users, per_round, rounds = args.clients, args.confirms, args.http_rounds
    warm = max(per_round // 2, 1)
    with throwaway_store(args.database_url) as settings:
        services = build_services(settings)
        try:
            app = services.timebank
            began = time.perf_counter()
            scene = build_scene(app, users, short_records=warm + rounds * per_round, long_records=5 + rounds * per_round,
                                raw_records=rounds * per_round, history=args.http_history)
            setup_s = time.perf_counter() - began
            long_events = int(app.repository.get(TimeAccount.create_id(scene.long_volunteers[0])).version)
            spent = {"short": 0.0, "long": 0.0, "raw": 0.0, "raw_threads": 0.0}
            done = {"short": 0, "long": 0, "raw": 0, "raw_threads": 0}
            latencies: dict[str, list[float]] = {"short": [], "long": []}
            with gunicorn(settings, args.workers, args.threads) as url:
                # Warm every worker: first requests import lazily and fill caches.
                http_round(url, scene.organizer_token, [s[:warm] + g[:5] for s, g in zip(scene.short, scene.long, strict=True)], args.idempotency_keys)
                for r in range(rounds):
                    order = ("short", "long", "raw", "raw_threads") if r % 2 == 0 else ("raw_threads", "raw", "long", "short")
                    for name in order:
                        if name.startswith("raw"):
                            queues = scene.raw if name == "raw" else scene.raw_threads
                            count, seconds = raw_round(app, scene.organizer, [q[r * per_round:(r + 1) * per_round] for q in queues],
                                                       threaded=name == "raw_threads")
                            spent[name] += seconds
                            done[name] += count
                            print(f"round {r + 1} {name}: {count / seconds:.0f}/s", file=sys.stderr)
                            continue
                        offset = warm if name == "short" else 5
                        queues = scene.short if name == "short" else scene.long
                        chunk = [q[offset + r * per_round:offset + (r + 1) * per_round] for q in queues]
                        result = http_round(url, scene.organizer_token, chunk, args.idempotency_keys)
                        spent[name] += result["seconds"]
                        done[name] += result["ok"]
                        latencies[name] += [result["p50_ms"], result["p99_ms"]]
                        print(f"round {r + 1} http {name}: {result['ok'] / result['seconds']:.0f}/s", file=sys.stderr)
        finally:
            services.close()
    short_rate, long_rate, raw_rate, threads_rate = (done[k] / spent[k] for k in ("short", "long", "raw", "raw_threads"))
    return {
        "store": "postgresql" if args.database_url else "sqlite",
        "gunicorn": f"{args.workers} workers x {args.threads} threads",
        "clients": users,
        "long_history_events": long_events,
        "setup_s": round(setup_s, 1),
        "http_confirms": done["short"] + done["long"],
        # Latency percentiles of short-history confirms: the worst round's (locust's own, per round).
        "http_p50_ms_short": max(latencies["short"][0::2]),
        "http_p99_ms_short": max(latencies["short"][1::2]),
        "http_confirms_per_s": round(short_rate),
        "http_confirms_per_s_long": round(long_rate),
        "raw_per_s": round(raw_rate),
        "raw_threads_per_s": round(threads_rate),
        "http_vs_raw": round(short_rate / raw_rate, 3),
        "http_vs_raw_threads": round(short_rate / threads_rate, 3),
        "long_vs_short": round(long_rate / short_rate, 3),
    }


if __name__ == "__main__":
    standalone(__doc__, add_arguments, run)
