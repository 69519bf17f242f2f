"""The benchmark suite in one command: each benchmark, its baseline measured in the same run, the ratio.

    python -m benchmarks                      # every benchmark on SQLite files
    python -m benchmarks transfers --quick    # one benchmark, smaller sizes
    python -m benchmarks --database-url postgresql://postgres@127.0.0.1:5432/test

Prints each benchmark's figures, then a table of the targets (figure, ratio, target, met), then one
JSON line with everything. Figures are ratios against a baseline measured in the same run, on the
same machine and store, because absolute rates on these machines are noisy.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from benchmarks import candidates, http, lag, matching, reads, rebuild, scale, transfers
from benchmarks.common import report

BENCHMARKS: dict[str, ModuleType] = {
    "rebuild": rebuild, "transfers": transfers, "http": http, "lag": lag, "reads": reads, "scale": scale, "matching": matching,
    "candidates": candidates,
}
# Run only when named: generating a Beijing-sized data set takes many minutes.
BY_NAME_ONLY = {"scale"}
# Smaller sizes for a quick look; the recorded figures use the defaults.
QUICK: dict[str, dict[str, int | str]] = {
    "rebuild": {"batches": 4, "per_event_sample": 1000},
    "transfers": {"history": 2000, "transfers": 300},
    "http": {"http_history": 2000, "confirms": 20, "http_rounds": 2},
    "lag": {"seconds": 5},
    "reads": {"accounts": 50_000, "read_samples": 500, "http_samples": 100},
    "scale": {"scale_volunteers": 5000, "scale_events": 50000},
    "matching": {"matching_sizes": "1000x20000", "candidate_samples": 50},  # the defaults: 1k x 20k and 10k x 200k
    "candidates": {"candidate_volunteers": 50_000, "candidate_baseline_volunteers": 5000, "candidate_queries": 50},
}


@dataclass(frozen=True)
class Target:
    benchmark: str
    figure: str  # a ratio against a same-run baseline, or an absolute bound (ms, s, MB) the issue sets
    baseline: str
    at_least: float | None = None
    at_most: float | None = None

    def row(self, figures: dict[str, Any]) -> dict[str, Any]:
        value = figures.get(self.figure)
        if self.at_least is not None:
            met, target = value is not None and value >= self.at_least, f">= {self.at_least:g}"
        else:
            assert self.at_most is not None
            met, target = value is not None and value <= self.at_most, f"<= {self.at_most:g}"
        return {"benchmark": self.benchmark, "figure": self.figure, "baseline": self.baseline,
                "value": value, "target": target, "met": met}


TARGETS = (
    Target("rebuild", "rebuild_vs_read", "read, decode and fold into a dict", at_least=0.5),
    Target("rebuild", "rebuild_vs_one_per_transaction", "the library's one-transaction-per-event runner", at_least=20),
    Target("transfers", "long_vs_short", "transfers on accounts with a short history", at_least=0.9),
    Target("http", "http_vs_raw", "the library's raw load-change-save of the same events, one client", at_least=0.5),
    Target("http", "long_vs_short", "HTTP confirms on accounts with a short history", at_least=0.9),
    Target("lag", "lag_median_ms", "commit to view at 200 commands/s (absolute, ms)", at_most=50),
    Target("lag", "lag_p99_ms", "commit to view at 200 commands/s (absolute, ms)", at_most=500),
    Target("lag", "achieved_vs_rate", "the 200 commands/s asked for", at_least=0.95),
    Target("reads", "max_p99_ms", "worst p99 of balance, statement and as-of reads (absolute, ms)", at_most=10),
    Target("reads", "p99_flatness", "the same queries on a 1,000-account view (p99 there / p99 here)", at_least=0.5),
    Target("scale", "rebuild_10m_minutes_extrapolated", "10M events at this run's rebuild rate (absolute, minutes)", at_most=5),
    Target("scale", "projector_peak_rss_mb", "the rebuilding projector's peak memory (absolute, MB)", at_most=1024),
    Target("matching", "largest_exact_vs_greedy_score", "greedy assignment of the same pairs, same run", at_least=1.0),
    Target("matching", "largest_exact_vs_greedy_filled", "greedy assignment of the same pairs, same run", at_least=1.0),
    Target("matching", "largest_pruned_cpu_seconds", "min-cost flow per district on each slot's best pairs, as runs do (absolute, CPU s)",
           at_most=10),
    Target("matching", "largest_pruned_vs_exact_score", "the exact optimum without pruning, same run", at_least=0.99),
    Target("matching", "largest_candidates_p95_ms", "rank one need's eligible volunteers, top 50, in memory (absolute, ms)", at_most=100),
    Target("candidates", "candidates_p95_ms", "the endpoint's candidate query on the view's index (absolute, ms)", at_most=100),
    Target("scale", "cold_start_seconds", "`timebank serve` spawned to its first 200 (absolute, s)", at_most=3),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)} (all but {', '.join(sorted(BY_NAME_ONLY))} when none)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL; SQLite files when omitted")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a quick look")
    for module in BENCHMARKS.values():
        module.add_arguments(parser)
    args = parser.parse_args()
    names = args.names or [n for n in BENCHMARKS if n not in BY_NAME_ONLY]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        # --quick shrinks the sizes left at their defaults; sizes given on the command line stand.
        quick = {k: v for k, v in QUICK[name].items() if getattr(args, k) == parser.get_default(k)} if args.quick else {}
        run_args = argparse.Namespace(**{**vars(args), **quick})
        print(f"== {name}")
        results[name] = BENCHMARKS[name].run(run_args)
        report(results[name])
    rows = [t.row(results[t.benchmark]) for t in TARGETS if t.benchmark in results]
    print("== targets")
    print(f"{'benchmark':<11}{'figure':<34}{'value':>8}  {'target':<8} met  baseline")
    for r in rows:
        print(f"{r['benchmark']:<11}{r['figure']:<34}{r['value']!s:>8}  {r['target']:<8} {'yes' if r['met'] else 'NO ':<4} {r['baseline']}")
    print(json.dumps({"store": "postgresql" if args.database_url else "sqlite", "quick": args.quick,
                      "benchmarks": results, "targets": rows}))


if __name__ == "__main__":
    main()
