"""The candidate query as the endpoint runs it, on the supply index of a million volunteers.

    python -m benchmarks candidates [--candidate-volunteers 1000000] [--database-url postgresql://...]

`GET /api/needs/{id}/candidates` ranks a need's eligible volunteers: one query over the `matching`
view's index (`supply`, `supply_skills`, `supply_categories`, `supply_windows`, `supply_places`, `bookings`,
`proposals`) finds the need's free volunteers (district, skills, a weekly window that holds it, no
overlapping booking, within the weekly cap) and scores them, best first; the rules of
timebank/domain/matching.py then judge and score the first page or two (api/matchmaking.py).
Measured here: `api.matchmaking.candidates`, the endpoint's whole work but for Flask, on pooled
connections as a request takes them, for random needs.

The view's tables are filled directly, in chunks (indexes built after the rows), with synthetic
Beijing-like volunteers drawn as the `matching` benchmark draws them: a home community in one of
17 districts x 20 streets x 20 communities (names marked synthetic), 1-3 skills of the
vocabulary's and 1-3 categories, 3 weekly windows of 3-8 hours starting 07:00-15:00, a weekly cap
of 4-12 hours, 0-3 bookings (most in the needs' week, some earlier, attended or not), and for a
share of them preferred places, recent proposals and erasure (see `fill`). Needs: 2-4 hours
starting 08:00-14:00 in that week, 0-2 required skills. The same is measured first on
`--candidate-baseline-volunteers` (20,000), so the growth with the index's size is reported with
the absolute times.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import time
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Engine

from benchmarks.common import bulk_writer, create_indexes, driver_value, empty_tables_without_indexes, settle, standalone, throwaway_store
from projections.db import make_engine
from projections.matching import MatchingViews, needs
from timebank.domain.matching import BEIJING, booked_minutes
from timebank.domain.places import BEIJING_DISTRICTS
from timebank.domain.vocabulary import CURRENT as VOCABULARY

TABLES = [t for t in MatchingViews.tables if t is not needs]  # proposals: none yet (a need's declines are read)
SKILLS = [term.code for term in VOCABULARY.skills]
CATEGORIES = [term.code for term in VOCABULARY.categories]
DISTRICTS = list(BEIJING_DISTRICTS)
STREETS, COMMUNITIES = 20, 20
MONDAY = datetime(2027, 3, 1, tzinfo=BEIJING)  # the needs' week; "now" is the Sunday before
NOW = MONDAY - timedelta(hours=12)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--candidate-volunteers", type=int, default=1_000_000, help="volunteers in the supply index")
    parser.add_argument("--candidate-baseline-volunteers", type=int, default=20_000, help="the small index measured first")
    parser.add_argument("--candidate-queries", type=int, default=200, help="timed candidate queries per index")
    parser.add_argument("--fill-chunk", type=int, default=50_000, help="volunteers per insert while filling")


def _place(rng: random.Random, streets: int = STREETS, district: str | None = None) -> tuple[str, str, str]:
    district = district or rng.choice(DISTRICTS)
    street = rng.randrange(streets)
    return district, f"{district}合成街道{street:02d}", f"{district}合成街道{street:02d}合成社区{rng.randrange(COMMUNITIES * streets // STREETS):02d}"


def fill(engine: Engine, volunteers: int, chunk: int, seed: int, *, preferred: float = 0.2, erased: float = 0.01, proposed: float = 0.1,
         streets: int = STREETS) -> None:
    """The supply index's tables afresh, filled in chunks; their indexes built after the rows. Shares
    of the volunteers: with 1-2 preferred places (`preferred`; half of them in the home district),
    erased, with 1-3 recent proposals. `streets` per district (and as many communities per street)."""
    rng = random.Random(seed)
    empty_tables_without_indexes(engine, TABLES)
    writers = {t.name: bulk_writer(engine, t) for t in TABLES}
    values = {t.name: {c.name: driver_value(engine, c) for c in t.columns} for t in TABLES}

    def prepared(table: str, row: dict[str, Any]) -> dict[str, Any]:
        convert = values[table]
        return {k: convert[k](v) for k, v in row.items()}

    prefix = rng.getrandbits(64) << 64
    for first in range(0, volunteers, chunk):
        rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in TABLES}
        for i in range(first, min(first + chunk, volunteers)):
            vid = UUID(int=prefix | i)
            district, street, community = _place(rng, streets)
            skills = sorted(set(rng.sample(SKILLS, rng.randint(1, 3))))
            windows = []
            for _ in range(3):
                start = rng.randint(7, 15)
                windows.append((rng.randrange(7), start * 60, min(24, start + rng.randint(3, 8)) * 60))
            windows = sorted(set(windows))
            attended = rng.randrange(20)
            places = {_place(rng, streets, rng.choice((district, None))) for _ in range(rng.randint(1, 2) if rng.random() < preferred else 0)}
            rows["supply_places"] += [prepared("supply_places", dict(volunteer_id=vid, district=d, street=st, community=cm)) for d, st, cm in places]
            categories = sorted(set(rng.sample(CATEGORIES, rng.randint(1, 3))))
            rows["supply"].append(prepared("supply", dict(
                volunteer_id=vid, district=district, street=street, community=community, skills=skills, categories=categories,
                windows=[{"weekday": d, "start": f"{s // 60:02d}:{s % 60:02d}", "end": f"{e // 60:02d}:{e % 60:02d}"} for d, s, e in windows],
                weekly_cap_minutes=rng.randint(4, 12) * 60, attended=attended, erased=rng.random() < erased,
                preferred_places=[dict(district=d, street=st, community=cm) for d, st, cm in sorted(places)],
            )))
            for k in range(rng.randint(1, 3) if rng.random() < proposed else 0):
                rows["proposals"].append(prepared("proposals", dict(
                    id=UUID(int=(prefix ^ (3 << 126)) | (i << 2) | k), need_id=UUID(int=rng.randrange(1, 1000)), volunteer_id=vid,
                    organization_id=vid, run_id=vid, score=0.5, parts={}, status=rng.choice(("proposed", "declined", "accepted")),
                    declined_by=None, proposed_at=NOW - timedelta(days=rng.randrange(60)), decided_at=None,
                )))
            rows["supply_skills"] += [prepared("supply_skills", dict(skill=s, volunteer_id=vid, district=district)) for s in skills]
            rows["supply_categories"] += [prepared("supply_categories", dict(category=c, volunteer_id=vid, district=district)) for c in categories]
            rows["supply_windows"] += [prepared("supply_windows", dict(
                volunteer_id=vid, weekday=d, start_minute=s, end_minute=e, district=district, street=street)) for d, s, e in windows]
            for b in range(rng.choice((0, 0, 1, 1, 2, 3))):
                past = rng.random() < 0.3  # an earlier shift, attended or not; else one in the needs' week
                starts = (NOW - timedelta(days=rng.randint(1, 50)) if past else MONDAY + timedelta(days=rng.randrange(7))).replace(
                    hour=rng.randint(8, 16), minute=rng.choice((0, 30)))
                ends = starts + timedelta(minutes=rng.randint(60, 240))
                rows["bookings"].append(prepared("bookings", dict(
                    volunteer_id=vid, shift_id=UUID(int=(prefix ^ (1 << 127)) | (i << 2) | b), starts_at=starts, ends_at=ends,
                    minutes=booked_minutes(starts, ends), attended=past and rng.random() < 0.8,
                    booked_at=min(starts, NOW) - timedelta(days=rng.randrange(40)),
                )))
        with engine.begin() as conn:
            for table in TABLES:
                writers[table.name](conn, rows[table.name])
        print(f"  filled {min(first + chunk, volunteers):,} of {volunteers:,} volunteers", flush=True)
    with engine.begin() as conn:
        create_indexes(conn, TABLES)
    settle(engine, TABLES)


def a_need(rng: random.Random, i: int, streets: int = STREETS) -> dict[str, Any]:
    district, street, community = _place(rng, streets)
    starts = MONDAY + timedelta(days=rng.randrange(7), hours=rng.randint(8, 14))
    required = sorted(rng.sample(SKILLS, 2)[: rng.choice((0, 1, 1, 2))])
    return dict(id=UUID(int=i + 1), required_skills=required, category=rng.choice(CATEGORIES), district=district, street=street,
                community=community, starts_at=starts, ends_at=starts + timedelta(hours=rng.randint(2, 4)), volunteers_needed=5,
                signed_up_count=0)


def measure(engine: Engine, queries: int, seed: int) -> dict[str, float]:
    from api.matchmaking import candidates

    rng = random.Random(seed)
    samples, considered, returned = [], [], []
    for i in range(queries + 5):
        need = a_need(rng, i)
        started = time.perf_counter()
        with engine.connect() as conn:  # a pooled connection, as a request takes one
            found = candidates(None, conn, need, NOW, 50)  # type: ignore[arg-type]  # services: only for a named volunteer
        elapsed = (time.perf_counter() - started) * 1000
        if i >= 5:  # the first few warm the pool and the caches
            samples.append(elapsed)
            considered.append(found["considered"])
            returned.append(len(found["candidates"]))
    samples.sort()

    def pct(p: float) -> float:
        return samples[min(len(samples) - 1, int(p * len(samples)))]

    return {"p50_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "max_ms": samples[-1],
            "considered_mean": sum(considered) / len(considered), "considered_max": max(considered),
            "full_lists": sum(n == 50 for n in returned) / len(returned)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"store": "postgresql" if args.database_url else "sqlite"}
    with throwaway_store(args.database_url) as settings:
        engine = make_engine(settings.read_model_url(), schema=settings.database_schema)
        try:
            for label, size in (("baseline", min(args.candidate_baseline_volunteers, args.candidate_volunteers)),
                                ("large", args.candidate_volunteers)):
                print(f"== candidates: {label}, {size:,} volunteers", flush=True)
                began = time.perf_counter()
                fill(engine, size, args.fill_chunk, seed=size)
                figures[f"{label}_fill_seconds"] = time.perf_counter() - began
                figures[f"{label}_volunteers"] = size
                figures[f"{label}_load_average"] = os.getloadavg()[0]
                for name, value in measure(engine, args.candidate_queries, seed=7).items():
                    figures[f"{label}_{name}"] = value
            figures["candidates_p95_ms"] = figures["large_p95_ms"]
            figures["p95_growth"] = figures["large_p95_ms"] / figures["baseline_p95_ms"]
        finally:
            engine.dispose()
            if not args.database_url:
                shutil.rmtree(settings.data_dir, ignore_errors=True)
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}


if __name__ == "__main__":
    standalone(__doc__, add_arguments, run)
