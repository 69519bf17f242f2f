"""The assignment solver against brute force on small instances, and against greedy."""

from __future__ import annotations

import itertools
import random

from matching.solver import Edge, greedy, prune, solve


def brute_force(slots: list[int], volunteers: int, edges: list[Edge]) -> tuple[int, int]:
    """(most slots filled, best total among those) by trying every choice of need per volunteer."""
    options: dict[int, list[Edge | None]] = {v: [None] for v in range(volunteers)}
    for e in edges:
        options[e.volunteer].append(e)
    best = (0, 0)
    for choice in itertools.product(*options.values()):
        used = [e for e in choice if e is not None]
        counts = [0] * len(slots)
        for e in used:
            counts[e.need] += 1
        if all(c <= s for c, s in zip(counts, slots, strict=True)):
            best = max(best, (len(used), sum(e.points for e in used)))
    return best


def test_the_solver_finds_the_optimum_of_small_instances() -> None:
    rng = random.Random(7)
    for _ in range(40):
        slots = [rng.randint(1, 2) for _ in range(3)]
        volunteers = 5
        edges = [Edge(n, v, rng.randint(1, 100)) for n in range(3) for v in range(volunteers) if rng.random() < 0.5]
        result = solve(slots, volunteers, edges)
        assert (result.filled, result.total) == brute_force(slots, volunteers, edges)
        assert len({v for _, v in result.pairs}) == result.filled  # nobody twice


def test_greedy_can_fill_fewer_slots_than_the_optimum() -> None:
    # Need 0 grabs volunteer 0 (its best), leaving need 1, which only volunteer 0 can serve, empty.
    edges = [Edge(0, 0, 90), Edge(0, 1, 80), Edge(1, 0, 50)]
    assert greedy([1, 1], 2, edges).filled == 1
    assert solve([1, 1], 2, edges).filled == 2


def test_pruning_keeps_each_needs_best_pairs() -> None:
    edges = [Edge(0, v, v) for v in range(10)]
    assert sorted(e.volunteer for e in prune(edges, 3)) == [7, 8, 9]


def test_pruning_per_slot_keeps_more_pairs_for_needs_with_more_slots() -> None:
    edges = [Edge(n, v, v) for n in range(2) for v in range(10)]
    kept = prune(edges, 2, slots=[1, 3])
    assert sorted(e.volunteer for e in kept if e.need == 0) == [8, 9]
    assert sorted(e.volunteer for e in kept if e.need == 1) == [4, 5, 6, 7, 8, 9]
