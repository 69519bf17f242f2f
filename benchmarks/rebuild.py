"""Projection rebuild throughput against the rate of merely reading the same events.

    python -m benchmarks.rebuild [--batches 20] [--database-url postgresql://...]

Prints a table and a JSON line. Baseline: read every notification in pages of 1,000, decode it and
fold it into a dict (what any reader must pay). Measured: `Projector.rebuild()` of all read models,
and the same projector one event per transaction (what the library's ProjectionRunner does).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any

from api.app import build_services
from api.services import Services
from benchmarks.common import standalone, throwaway_store
from projections.db import make_engine, metadata
from projections.runner import Projector
from timebank.application import BatchEntry
from timebank.domain.actors import Actor, Role

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)
PER_BATCH = 500


def populate(services: Services, batches: int) -> None:
    app = services.timebank
    people = [
        app.register_volunteer(name=f"v{i}", sex="female", birth_date=date(1985, 1, 1), id_type="passport",
                               id_number=f"B{i:08d}", phone="13900000000", district="朝阳区").volunteer_id
        for i in range(PER_BATCH + 1)
    ]
    organizer = Actor(Role.VOLUNTEER, people.pop())
    org = app.register_organization(organizer, name="bench", district="朝阳区")
    app.verify_organization(Actor(Role.ADMIN), org)
    project = app.publish_project(organizer, organization_id=org, name="bench", person_in_charge="x")
    for b in range(batches):
        day = date(2026, 11, 17) - timedelta(days=b % 5)
        app.record_service_batch(organizer, project, [BatchEntry(v, day, 30 + b, "bench") for v in people])


def read_and_fold(services: Services) -> tuple[int, float]:
    recorder, mapper = services.timebank.recorder, services.timebank.mapper
    folded: Counter[str] = Counter()
    start, count = 0, 0
    began = time.perf_counter()
    while True:
        page = recorder.select_notifications(start, 1000, inclusive_of_start=False)
        if not page:
            break
        for notification in page:
            event = mapper.to_domain_event(notification)
            folded[type(event).__qualname__] += 1
        count += len(page)
        start = page[-1].id
    return count, time.perf_counter() - began


def one_per_transaction(services: Services, url: str, schema: str | None, limit_events: int) -> tuple[int, float]:
    engine = make_engine(url, schema=schema)
    projector = Projector(services.timebank.recorder, services.timebank.mapper, engine)
    metadata.drop_all(engine)
    projector.create_tables()
    began = time.perf_counter()
    done = 0  # positions of the log covered, as for the rebuild: events no view needs are skipped by both
    while done < limit_events:
        moved = projector.run_once(limit=1)
        if not moved:
            break
        done += moved
    elapsed = time.perf_counter() - began
    engine.dispose()
    return done, elapsed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batches", type=int, default=20, help="bulk entries of 500 records each")
    parser.add_argument("--per-event-sample", type=int, default=3000, help="events for the one-per-transaction run")


def run(args: argparse.Namespace) -> dict[str, Any]:
    with throwaway_store(args.database_url) as settings:
        services = build_services(settings, clock=lambda: NOW)
        try:
            populate(services, args.batches)
            events, read_s = read_and_fold(services)
            rebuilt = services.projector.rebuild()
            began = time.perf_counter()
            services.projector.rebuild()
            rebuild_s = time.perf_counter() - began
            sample_url = settings.read_model_url() if args.database_url else f"sqlite:///{settings.data_dir / 'per-event.sqlite'}"
            per_event_n, per_event_s = one_per_transaction(services, sample_url, settings.database_schema, args.per_event_sample)
        finally:
            services.close()
    assert rebuilt >= events  # positions covered; PostgreSQL may leave gaps in them
    figures: dict[str, Any] = {
        "store": "postgresql" if args.database_url else "sqlite",
        "events": events,
        "read_decode_fold_per_s": round(events / read_s),
        "rebuild_per_s": round(events / rebuild_s),
        "one_event_per_transaction_per_s": round(per_event_n / per_event_s),
    }
    figures["rebuild_vs_read"] = round(figures["rebuild_per_s"] / figures["read_decode_fold_per_s"], 3)
    figures["rebuild_vs_one_per_transaction"] = round(figures["rebuild_per_s"] / figures["one_event_per_transaction_per_s"], 1)
    return figures


if __name__ == "__main__":
    standalone(__doc__, add_arguments, run)
