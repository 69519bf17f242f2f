"""The read benchmark runs end to end at toy sizes and reports every figure the suite reads."""

from __future__ import annotations

import argparse
import os

from benchmarks import reads
from tests.conftest import DATABASE_URL_VAR


def test_the_read_benchmark_reports_positive_figures() -> None:
    parser = argparse.ArgumentParser()
    reads.add_arguments(parser)
    args = parser.parse_args([
        "--accounts", "300", "--baseline-accounts", "60", "--entries-per-account", "4", "--hot-accounts", "2",
        "--hot-entries", "150", "--read-samples", "10", "--http-samples", "3", "--chunk", "500",
    ])
    args.database_url = os.environ.get(DATABASE_URL_VAR) or None

    figures = reads.run(args)

    for name in ("balance_p99_ms", "statement_p99_ms", "statement_deep_p99_ms", "as_of_p99_ms", "p99_growth_ratio",
                 "http_balance_p99_ms", "http_statement_p99_ms"):
        assert figures[name] > 0, name
    for kind in reads.QUERY_KINDS:
        for population in ("random", "hot"):
            assert 0 < figures[f"{kind}_{population}_p50_ms"] <= figures[f"{kind}_{population}_p99_ms"]
    assert figures["large_accounts"] == 300
    assert figures["large_statement_lines"] >= 298 * 4 * 0.9
    assert figures["large_hot_account_lines"] >= 100  # each busy account got about its 150 lines
