"""The candidate benchmark fills the supply index, runs the endpoint's query and reports what the
suite reads (on the test's store: SQLite, or PostgreSQL in the PostgreSQL run)."""

from __future__ import annotations

import argparse

from benchmarks import candidates
from timebank.settings import Settings


def test_the_candidate_benchmark_fills_the_index_and_times_the_query(settings: Settings) -> None:
    parser = argparse.ArgumentParser()
    candidates.add_arguments(parser)
    args = parser.parse_args(["--candidate-volunteers", "3000", "--candidate-baseline-volunteers", "1000", "--candidate-queries", "20"])
    args.database_url = settings.database_url

    figures = candidates.run(args)

    assert figures["large_volunteers"] == 3000 and figures["baseline_volunteers"] == 1000
    assert figures["large_considered_mean"] > figures["baseline_considered_mean"] > 0  # the index grew, the needs found volunteers
    assert 0 < figures["large_p50_ms"] <= figures["large_p95_ms"] <= figures["large_max_ms"]
    assert figures["candidates_p95_ms"] == figures["large_p95_ms"]
    assert figures["large_considered_max"] >= figures["large_considered_mean"]
