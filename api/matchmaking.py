"""Ranking candidates and running an assignment: the supply index (projections) meets the matching
rules (timebank.domain.matching) and the solver (matching/); proposals are saved by the TimeBank."""

from __future__ import annotations

import heapq
from collections import defaultdict
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection

from api.services import Services
from matching.solver import KEEP_PER_SLOT, Edge, prune, solve
from projections import matching_queries as q
from timebank.application import Pairing
from timebank.domain.actors import Actor
from timebank.domain.errors import NotFound
from timebank.domain.matching import exclusion, rank, ranking, score

# The index computes its bounds in floating point and the rules round scores to 4 places.
BOUND_SLACK = 1e-4
MIN_PAGE = 100  # volunteers read from the index at a time


def _described(volunteer_id: Any, found: Any, excluded_by: str | None) -> dict[str, Any]:
    if found is None:
        return {"volunteer_id": volunteer_id, "score": None, "parts": None, "hierarchy_distance": None, "excluded_by": excluded_by}
    return {"volunteer_id": volunteer_id, "score": found.total, "parts": found.parts(), "hierarchy_distance": found.hierarchy_distance,
            "excluded_by": excluded_by}


def candidates(services: Services, conn: Connection, need: dict[str, Any], now: datetime, limit: int,
               volunteer_id: UUID | None = None) -> dict[str, Any]:
    """The need's eligible volunteers of its district, ranked with the parts of their scores; and
    for a named volunteer, their score or the hard constraint that excludes them."""
    demand = q.demand_of(need)
    declined = {str(v) for v in q.declined_volunteers(conn, need["id"])}
    # The index is read in three parts, each in the order of the score it computes, a page at a
    # time, and the rules judge and score each volunteer read: those who live in the need's street or
    # prefer it (most of the best), then the rest of the district who have the need's category, then
    # the others. Once the last one read scores below the limit-th best score the rules gave (less a
    # slack for the index's floating point), no volunteer further down can enter; the later parts
    # read only those whose attendance could reach that score, and none when their part's highest
    # score cannot (projections.matching_queries.far_supply).
    # A need with age limits: the best are checked against them (birth dates are opened from the
    # vault, one by one), and those the limits exclude make room for the next.
    age_limited = need.get("min_age") is not None or need.get("max_age") is not None
    too_young_or_old: set[str] = set()
    age_checked: set[str] = set()
    pool: dict[UUID, Any] = {}
    judged: list[Any] = []  # every volunteer read whom no hard constraint but age excludes, scored
    ranked: list[Any] = []
    page = max(2 * limit, MIN_PAGE)

    def lowest() -> float | None:
        """The score a volunteer must reach to enter the list, once it is full (less the slack)."""
        return ranked[-1].score.total - BOUND_SLACK if len(ranked) == limit else None

    def judge(ordered: Any) -> None:
        nonlocal ranked
        while True:
            rows = ordered.fetchmany(page)
            # Those below the limit-th best already cannot enter: their rows are not read. (The list
            # only gets better: its members have been checked against age limits already.)
            floor = lowest()
            wanted = [r[0] for r in rows if (floor is None or r[1] >= floor) and r[0] not in pool]
            found = q.supplies(conn, wanted, now, (demand.starts_at, demand.ends_at)) if wanted else {}
            pool.update(found)
            judged.extend(rank(demand, found.values(), declined=declined, limit=len(found)))
            while True:
                ranked = heapq.nsmallest(limit, (c for c in judged if c.volunteer_id not in too_young_or_old), key=ranking)
                unchecked = [c.volunteer_id for c in ranked if c.volunteer_id not in age_checked] if age_limited else []
                if not unchecked:
                    break
                too_young_or_old.update(str(v) for v in services.timebank.age_exclusions(need["id"], [UUID(v) for v in unchecked]))
                age_checked.update(unchecked)
            floor = lowest()
            if len(rows) < page or (floor is not None and rows[-1][1] < floor):
                break
        ordered.close()

    judge(q.near_supply(conn, demand, need["district"], now))
    judge(q.far_supply(conn, demand, need["district"], now, preferring=True, floor=lowest()))
    judge(q.far_supply(conn, demand, need["district"], now, preferring=False, floor=lowest()))
    result: dict[str, Any] = {
        "need_id": need["id"], "considered": q.found_count(conn, demand, need["district"]), "explained": None,
        "candidates": [_described(c.volunteer_id, c.score, None) for c in ranked],
    }
    if volunteer_id is not None:
        supply = pool.get(volunteer_id) or q.supplies(conn, [volunteer_id], now, (demand.starts_at, demand.ends_at)).get(volunteer_id)
        if supply is None:
            raise NotFound(f"volunteer {volunteer_id} not found", field="volunteer_id")
        why = exclusion(demand, supply, declined=str(volunteer_id) in declined)
        if why is None and services.timebank.age_exclusion(need["id"], volunteer_id):
            why = "age"
        result["explained"] = _described(volunteer_id, None if why else score(demand, supply), why)
    return result


def run_matching(services: Services, actor: Actor, now: datetime, district: str | None = None) -> dict[str, Any]:
    """Propose volunteers for every open slot of open needs, district by district, maximising the
    total score (matching/solver.py); pairs proposed before are left out. Reads the views once they
    hold every event written before the run (needs posted a moment ago are matched too)."""
    with services.read(services.timebank.recorder.max_notification_id() or None) as conn:
        open_needs = q.open_needs(conn, now, district)
        decided = q.decided_pairs(conn, [n["id"] for n in open_needs])
        by_district: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for need in open_needs:
            by_district[need["district"]].append(need)
        pairings: list[Pairing] = []
        slots_total = 0
        for name, district_needs in sorted(by_district.items()):
            demands = [q.demand_of(n) for n in district_needs]
            slots_total += sum(d.slots for d in demands)
            start = min(d.starts_at for d in demands)
            end = max(d.ends_at for d in demands)
            # Each need's volunteers come from the index (district, skills, a window that holds it);
            # the rules judge each of them on the supply rows, read once for the district's needs.
            wanted = [q.eligible_ids(conn, name, need["required_skills"], (d.starts_at, d.ends_at))
                      for need, d in zip(district_needs, demands, strict=True)]
            pool = q.supplies(conn, dict.fromkeys(v for ids in wanted for v in ids), now, (start, end))
            volunteers = list(pool.values())
            index = {s.id: i for i, s in enumerate(volunteers)}
            edges: list[Edge] = []
            scores = {}
            for n, (need, demand) in enumerate(zip(district_needs, demands, strict=True)):
                excluded_by_age: dict[UUID, str] = {}
                if need.get("min_age") is not None or need.get("max_age") is not None:
                    excluded_by_age = services.timebank.age_exclusions(need["id"], [v for v in wanted[n] if v in pool])
                for s in (pool[v] for v in wanted[n] if v in pool and v not in excluded_by_age):
                    if (need["id"], UUID(s.id)) in decided or exclusion(demand, s) is not None:
                        continue
                    found = score(demand, s)
                    edges.append(Edge(n, index[s.id], max(1, found.points)))
                    scores[(n, index[s.id])] = found
            slots = [d.slots for d in demands]
            assignment = solve(slots, len(volunteers), prune(edges, KEEP_PER_SLOT, slots))
            for n, v in assignment.pairs:
                found = scores[(n, v)]
                pairings.append(Pairing(district_needs[n]["id"], UUID(volunteers[v].id), found.total, found.parts()))
    if not pairings:
        return {"run_id": None, "needs": len(open_needs), "slots": slots_total, "proposals": 0, "total_score": 0.0}
    run = services.timebank.record_run(
        actor, pairings, needs=len(open_needs), slots=slots_total, solver="ortools.SimpleMinCostFlow", districts=sorted(by_district),
    )
    return {"run_id": run.id, "needs": len(open_needs), "slots": slots_total, "proposals": run.proposals, "total_score": run.total_score}
