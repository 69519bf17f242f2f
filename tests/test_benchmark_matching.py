"""The matching benchmark runs end to end at a toy size and reports what the suite reads; the
exact assignment never fills fewer slots nor scores less than greedy, and pruning never beats it."""

from __future__ import annotations

import argparse

from benchmarks import matching


def test_the_matching_benchmark_reports_exact_pruned_and_greedy_figures() -> None:
    parser = argparse.ArgumentParser()
    matching.add_arguments(parser)
    args = parser.parse_args(["--matching-sizes", "60x1500", "--candidate-samples", "5"])

    figures = matching.run(args)

    key = "60x1500"
    assert figures[f"{key}_edges"] > 0 and figures[f"{key}_exact_filled"] > 0
    assert figures[f"{key}_exact_filled"] >= figures[f"{key}_greedy_filled"]
    assert figures[f"{key}_exact_filled"] >= figures[f"{key}_pruned_filled"]
    if figures[f"{key}_exact_filled"] == figures[f"{key}_greedy_filled"]:
        assert figures[f"{key}_exact_score"] >= figures[f"{key}_greedy_score"]
    assert figures[f"{key}_exact_filled"] <= figures[f"{key}_slots"]
    assert figures["largest_candidates_p95_ms"] > 0 and figures[f"{key}_peak_rss_mb"] > 0
