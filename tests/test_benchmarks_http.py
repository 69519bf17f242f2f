"""Smoke tests of benchmarks/http.py and benchmarks/lag.py at tiny sizes: they run and report their figures.

On the store the suite runs on (TIMEBANK_TEST_DATABASE_URL: a throwaway schema; else SQLite files).
The HTTP one needs locust (the `bench` extra) and is skipped without it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os

import pytest

from benchmarks import http, lag

DATABASE_URL = os.environ.get("TIMEBANK_TEST_DATABASE_URL") or None


@pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="locust is not installed (pip install -e '.[bench]')")
def test_http_benchmark_reports_its_figures() -> None:
    args = argparse.Namespace(clients=2, confirms=4, http_rounds=1, http_history=20, workers=1, threads=2,
                              idempotency_keys=False, database_url=DATABASE_URL)
    figures = http.run(args)
    assert figures["http_confirms"] == 2 * 2 * 4
    assert figures["long_history_events"] > 20
    assert figures["http_vs_raw"] > 0 and figures["http_vs_raw_threads"] > 0 and figures["long_vs_short"] > 0


def test_lag_benchmark_reports_its_figures() -> None:
    args = argparse.Namespace(rate=40, seconds=1, command_threads=2, poll_interval=0.05, projector="thread", database_url=DATABASE_URL)
    figures = lag.run(args)
    assert figures["commands"] == 40
    assert 0 <= figures["lag_median_ms"] <= figures["lag_p99_ms"]
