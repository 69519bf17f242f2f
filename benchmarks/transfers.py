"""Transfer throughput for accounts with a short and with a long history, side by side in one run.

    python -m benchmarks.transfers [--history 10000] [--transfers 1000] [--database-url postgresql://...]

Two pairs of volunteer accounts on one store: one pair with ~10 prior events each, one with
`--history` prior events each. Exchanges alternate between the pairs in rounds (so machine noise
hits both alike) through `TimeBank.transfer`, the full command: load both accounts, check, save
both sides and the transfer atomically. The same is measured again with the aggregate cache
disabled, to show what keeps long histories flat. Prints a table and a JSON line.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime, timezone
from typing import Any
from uuid import UUID

from api.app import build_services
from benchmarks.common import standalone, throwaway_store
from timebank.application import TimeBank, TransferRequest
from timebank.domain.actors import Actor, Role
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.ledger import TimeAccount

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)
ADMIN = Actor(Role.ADMIN, UUID(int=1))
ROUNDS = 10


def member(app: TimeBank, n: int) -> Actor:
    reg = app.register_volunteer(name=f"b{n}", sex="male", birth_date=date(1980, 1, 1), id_type="passport",
                                 id_number=f"T{n:08d}", phone="13900000000", district="朝阳区")
    return Actor(Role.VOLUNTEER, reg.volunteer_id)


def account(who: Actor) -> UUID:
    assert who.id is not None
    return TimeAccount.create_id(who.id)


def exchange(app: TimeBank, payer: Actor, payee: Actor) -> None:
    app.transfer(payer, TransferRequest(account(payer), account(payee), 1, "exchange"))


def history(app: TimeBank, a: Actor, b: Actor, events: int) -> None:
    """Each exchange writes one event on each account: back and forth until both have `events`."""
    for n in range(events):
        exchange(app, a, b) if n % 2 == 0 else exchange(app, b, a)


def rates(app: TimeBank, short: tuple[Actor, Actor], long: tuple[Actor, Actor], transfers: int) -> tuple[float, float]:
    spent = {"short": 0.0, "long": 0.0}
    per_round = max(transfers // ROUNDS, 1)
    for r in range(ROUNDS):
        for name, (a, b) in (("short", short), ("long", long)) if r % 2 == 0 else (("long", long), ("short", short)):
            began = time.perf_counter()
            for n in range(per_round):
                exchange(app, a, b) if n % 2 == 0 else exchange(app, b, a)
            spent[name] += time.perf_counter() - began
    done = per_round * ROUNDS
    return done / spent["short"], done / spent["long"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--history", type=int, default=10_000, help="prior events on each long-history account")
    parser.add_argument("--transfers", type=int, default=1_000, help="measured transfers per pair")


def run(args: argparse.Namespace) -> dict[str, Any]:
    with throwaway_store(args.database_url) as settings:
        services = build_services(settings, clock=lambda: NOW)
        uncached = TimeBank(env={**settings.event_store_env(), "AGGREGATE_CACHE_MAXSIZE": ""}, clock=lambda: NOW,
                            identity_secret=settings.resolved_secret_key())
        try:
            app = services.timebank
            people = [member(app, n) for n in range(4)]
            for who in people:
                app.transfer(ADMIN, TransferRequest(ISSUANCE_ACCOUNT_ID, account(who), 1_000_000, "correction", note="bench"))
            short, long = (people[0], people[1]), (people[2], people[3])
            began = time.perf_counter()
            history(app, *long, args.history)
            setup_s = time.perf_counter() - began
            short_rate, long_rate = rates(app, short, long, args.transfers)
            short_uncached, long_uncached = rates(uncached, short, long, max(args.transfers // 5, ROUNDS))
            long_events = int(app.repository.get(account(long[0])).version)
        finally:
            uncached.close()
            services.close()
    figures = {
        "store": "postgresql" if args.database_url else "sqlite",
        "long_history_events": long_events,
        "history_setup_transfers_per_s": round(args.history / setup_s),
        "short_history_transfers_per_s": round(short_rate),
        "long_history_transfers_per_s": round(long_rate),
        "long_vs_short": round(long_rate / short_rate, 3),
        "uncached_short_transfers_per_s": round(short_uncached),
        "uncached_long_transfers_per_s": round(long_uncached),
        "uncached_long_vs_short": round(long_uncached / short_uncached, 3),
    }
    return figures


if __name__ == "__main__":
    standalone(__doc__, add_arguments, run)
