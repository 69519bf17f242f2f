"""Matching at city scale: synthetic Beijing-like instances (17 districts, ~20 streets x ~20
communities each, all marked synthetic), exact assignment by OR-Tools min-cost flow per district,
against the exact optimum without pruning and a greedy baseline, in one run; and the candidate
query (rank one need's eligible volunteers, top 50) on the in-memory supply index.

    python -m benchmarks matching                      # 1k x 20k and 10k x 200k
    python -m benchmarks matching --matching-sizes 50000x1000000   # the largest, by name

Eligibility and scores follow timebank/domain/matching.py (skills, a weekly window holding the
need, no overlap with a booking, weekly cap; skill fit, hierarchy distance, reliability,
fairness with the same weights), vectorised with numpy. Each volunteer takes at most one need
per run, which makes double booking and caps impossible within a run.
"""

from __future__ import annotations

import argparse
import resource
import time
from typing import Any

import numpy as np

from benchmarks.common import standalone
from matching.solver import solve_arrays
from timebank.domain.matching import POINTS, WEIGHTS
from timebank.domain.places import BEIJING_DISTRICTS
from timebank.domain.vocabulary import CURRENT

SKILLS = len(CURRENT.skills)
CATEGORIES = len(CURRENT.categories)
STREETS, COMMUNITIES = 20, 20  # per district and per street: 340 institutes, 6,800 stations (real: ~347, ~6,962)
HOURS = 7 * 24


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--matching-sizes", default="1000x20000,10000x200000",
                        help="instances as NEEDSxVOLUNTEERS, comma-separated (50000x1000000 is the largest)")
    parser.add_argument("--keep-per-slot", type=int, default=8, help="pruning: each need keeps this many best pairs per slot")
    parser.add_argument("--candidate-samples", type=int, default=200, help="timed candidate queries per instance")
    parser.add_argument("--matching-seed", type=int, default=11)


def generate(needs: int, volunteers: int, rng: np.random.Generator) -> dict[str, Any]:
    """Volunteers: a home community, 1-3 skills, 1-3 categories, 2-4 weekly windows of 3-8 hours,
    a cap of 4-12 h, attendance history. Needs: a community, 0-2 skills, 2-4 hours within the next
    week between 08:00 and 18:00, 1-9 slots (5 on average)."""
    districts = len(BEIJING_DISTRICTS)
    v: dict[str, Any] = {
        "district": rng.integers(0, districts, volunteers), "street": rng.integers(0, STREETS, volunteers),
        "community": rng.integers(0, COMMUNITIES, volunteers),
        "skills": np.zeros(volunteers, dtype=np.int64), "categories": np.zeros(volunteers, dtype=np.int64),
        "cap": rng.integers(4, 13, volunteers) * 60, "booked": rng.integers(0, 4, volunteers) * 60,
        "attended": rng.integers(0, 20, volunteers), "no_shows": rng.integers(0, 3, volunteers), "recent": rng.integers(0, 5, volunteers),
        "available": np.zeros((volunteers, HOURS), dtype=bool),
    }
    for _ in range(3):
        v["skills"] |= np.where(rng.random(volunteers) < 0.7, 1 << rng.integers(0, SKILLS, volunteers), 0)
        v["categories"] |= 1 << rng.integers(0, CATEGORIES, volunteers)
    v["skills"] |= 1 << rng.integers(0, SKILLS, volunteers)
    for _ in range(3):
        start = rng.integers(0, 7, volunteers) * 24 + rng.integers(7, 16, volunteers)
        length = rng.integers(3, 9, volunteers)
        for h in range(8):
            hour = np.minimum(start + h, HOURS - 1)
            v["available"][np.arange(volunteers), hour] |= h < length
    n: dict[str, Any] = {
        "district": rng.integers(0, districts, needs), "street": rng.integers(0, STREETS, needs), "community": rng.integers(0, COMMUNITIES, needs),
        "skills": np.zeros(needs, dtype=np.int64), "category": rng.integers(0, CATEGORIES, needs),
        "start": rng.integers(0, 7, needs) * 24 + rng.integers(8, 16, needs), "hours": rng.integers(2, 5, needs),
        "slots": rng.integers(1, 10, needs),
    }
    for _ in range(2):
        n["skills"] |= np.where(rng.random(needs) < 0.45, 1 << rng.integers(0, SKILLS, needs), 0)
    return {"v": v, "n": n}


def _index(inst: dict[str, Any]) -> dict[int, np.ndarray]:
    """The supply index: volunteers by district (ids sorted), the pruning the candidate query uses first."""
    v = inst["v"]
    order = np.argsort(v["district"], kind="stable")
    bounds = np.searchsorted(v["district"][order], np.arange(len(BEIJING_DISTRICTS) + 1))
    return {d: order[bounds[d]:bounds[d + 1]] for d in range(len(BEIJING_DISTRICTS))}


def eligible_and_points(inst: dict[str, Any], index: dict[int, np.ndarray], j: int) -> tuple[np.ndarray, np.ndarray]:
    """Need j's eligible volunteers (its district) and their integer scores."""
    v, n = inst["v"], inst["n"]
    ids = index[int(n["district"][j])]
    need_skills = n["skills"][j]
    ids = ids[(v["skills"][ids] & need_skills) == need_skills]
    start, hours = int(n["start"][j]), int(n["hours"][j])
    ids = ids[v["available"][ids, start:start + hours].all(axis=1)]
    ids = ids[v["booked"][ids] + hours * 60 <= v["cap"][ids]]
    fit = 0.7 + 0.3 * ((v["categories"][ids] >> n["category"][j]) & 1)  # every required skill is held; the category preferred?
    same_street = v["street"][ids] == n["street"][j]
    distance = np.where(same_street & (v["community"][ids] == n["community"][j]), 0, np.where(same_street, 1, 2))
    reliability = (v["attended"][ids] + 1) / (v["attended"][ids] + v["no_shows"][ids] + 2)
    fairness = 1 / (1 + v["recent"][ids])
    total = (WEIGHTS["skill_fit"] * fit + WEIGHTS["distance"] * (1 - distance / 3) + WEIGHTS["reliability"] * reliability
             + WEIGHTS["fairness"] * fairness)
    return ids, np.maximum(1, np.round(total * POINTS)).astype(np.int64)


def _edges(inst: dict[str, Any], index: dict[int, np.ndarray], keep_per_slot: int | None) -> dict[int, tuple[np.ndarray, ...]]:
    """Per district: (need, volunteer, points) arrays, optionally pruned to each need's best pairs."""
    n = inst["n"]
    by_district: dict[int, list[tuple[np.ndarray, ...]]] = {}
    for j in range(len(n["slots"])):
        ids, points = eligible_and_points(inst, index, j)
        if keep_per_slot is not None and len(ids) > keep_per_slot * n["slots"][j]:
            best = np.argpartition(-points, keep_per_slot * n["slots"][j])[: keep_per_slot * n["slots"][j]]
            ids, points = ids[best], points[best]
        by_district.setdefault(int(n["district"][j]), []).append((np.full(len(ids), j), ids, points))
    return {d: tuple(np.concatenate(parts) for parts in zip(*groups, strict=True)) for d, groups in by_district.items()}


def _solve(inst: dict[str, Any], edges: dict[int, tuple[np.ndarray, ...]]) -> tuple[int, int, float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    filled = total = 0
    for need, vol, points in edges.values():
        chosen, points_total = solve_arrays(inst["n"]["slots"], need, vol, points)
        filled += int(chosen.sum())
        total += points_total
    return filled, total, time.perf_counter() - started, time.process_time() - cpu


def _greedy(inst: dict[str, Any], edges: dict[int, tuple[np.ndarray, ...]]) -> tuple[int, int, float]:
    """Needs soonest first, each takes its best free volunteers."""
    started = time.perf_counter()
    slots = inst["n"]["slots"]
    taken = np.zeros(len(inst["v"]["district"]), dtype=bool)
    filled = total = 0
    for need, vol, points in edges.values():
        order = np.lexsort((-points, inst["n"]["start"][need]))
        left: dict[int, int] = {}
        for k in order:
            j = int(need[k])
            if left.setdefault(j, int(slots[j])) > 0 and not taken[vol[k]]:
                taken[vol[k]] = True
                left[j] -= 1
                filled += 1
                total += int(points[k])
    return filled, total, time.perf_counter() - started


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(needs: int, volunteers: int, args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(args.matching_seed)
    t0 = time.perf_counter()
    inst = generate(needs, volunteers, rng)
    index = _index(inst)
    generated = time.perf_counter() - t0
    t0 = time.perf_counter()
    full = _edges(inst, index, None)
    edges_seconds = time.perf_counter() - t0
    pruned = _edges(inst, index, args.keep_per_slot)
    exact_filled, exact_total, exact_seconds, exact_cpu = _solve(inst, full)
    pruned_filled, pruned_total, pruned_seconds, pruned_cpu = _solve(inst, pruned)
    greedy_filled, greedy_total, greedy_seconds = _greedy(inst, full)
    samples = []
    for j in rng.integers(0, needs, args.candidate_samples):
        t = time.perf_counter()  # wall time: what a caller waits (inflated on a loaded machine)
        ids, points = eligible_and_points(inst, index, int(j))
        top = np.argpartition(-points, min(50, len(points) - 1))[:50] if len(points) > 50 else np.arange(len(points))
        ids[top[np.argsort(-points[top])]]
        samples.append((time.perf_counter() - t) * 1000)
    key = f"{needs}x{volunteers}"
    return {
        f"{key}_slots": int(inst["n"]["slots"].sum()), f"{key}_edges": int(sum(len(e[0]) for e in full.values())),
        f"{key}_generate_seconds": round(generated, 2), f"{key}_edges_seconds": round(edges_seconds, 2),
        f"{key}_exact_seconds": round(exact_seconds, 2), f"{key}_exact_cpu_seconds": round(exact_cpu, 2),
        f"{key}_pruned_cpu_seconds": round(pruned_cpu, 2), f"{key}_exact_filled": exact_filled, f"{key}_exact_score": exact_total,
        f"{key}_pruned_seconds": round(pruned_seconds, 2), f"{key}_pruned_filled": pruned_filled, f"{key}_pruned_score": pruned_total,
        f"{key}_greedy_seconds": round(greedy_seconds, 2), f"{key}_greedy_filled": greedy_filled, f"{key}_greedy_score": greedy_total,
        f"{key}_pruned_vs_exact_score": round(pruned_total / exact_total, 4) if exact_total else None,
        f"{key}_exact_vs_greedy_filled": round(exact_filled / greedy_filled, 4) if greedy_filled else None,
        f"{key}_exact_vs_greedy_score": round(exact_total / greedy_total, 4) if greedy_total else None,
        f"{key}_candidates_p95_ms": round(float(np.percentile(samples, 95)), 2) if samples else None,
        f"{key}_peak_rss_mb": _peak_mb(),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for size in args.matching_sizes.split(","):
        needs, volunteers = (int(x) for x in size.lower().split("x"))
        print(f"  {needs:,} needs x {volunteers:,} volunteers ...", flush=True)
        figures.update(measure(needs, volunteers, args))
    largest = args.matching_sizes.split(",")[-1].lower()
    figures["largest"] = largest
    for name in ("exact_cpu_seconds", "pruned_cpu_seconds", "pruned_vs_exact_score", "candidates_p95_ms", "exact_vs_greedy_score",
                 "exact_vs_greedy_filled"):
        figures[f"largest_{name}"] = figures[f"{largest}_{name}"]
    return figures


if __name__ == "__main__":
    standalone(__doc__, add_arguments, run)
