"""Ranking candidates and running an assignment: the supply index (projections) meets the matching
rules (timebank.domain.matching) and the solver (matching/); proposals are saved by the TimeBank."""

from __future__ import annotations

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
from timebank.domain.matching import exclusion, rank, score

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
    ordered = q.ranked_supply(conn, demand, need["district"], now)
    considered = 0
    # Read in the order of the score the index computes, a page at a time; the rules judge and score
    # each volunteer read. Once the last one read scores below the limit-th best score the rules
    # gave (less a slack for the index's floating point), no volunteer further down can enter.
    # A need with age limits: the best are checked against them (birth dates are opened from the
    # vault, one by one), and those the limits exclude make room for the next.
    age_limited = need.get("min_age") is not None or need.get("max_age") is not None
    too_young_or_old: set[str] = set()
    age_checked: set[str] = set()
    pool: dict[UUID, Any] = {}
    ranked: list[Any] = []
    page = max(2 * limit, MIN_PAGE)
    while True:
        rows = ordered.fetchmany(page)
        considered = rows[0][2] if rows else considered
        pool.update(q.supplies(conn, [r[0] for r in rows], now, (demand.starts_at, demand.ends_at)))
        while True:
            ranked = rank(demand, pool.values(), declined=declined | too_young_or_old, limit=limit)
            unchecked = [c.volunteer_id for c in ranked if c.volunteer_id not in age_checked] if age_limited else []
            if not unchecked:
                break
            too_young_or_old |= {str(v) for v in services.timebank.age_exclusions(need["id"], [UUID(v) for v in unchecked])}
            age_checked.update(unchecked)
        if len(rows) < page or (len(ranked) == limit and rows[-1][1] < ranked[-1].score.total - BOUND_SLACK):
            break
    ordered.close()
    result: dict[str, Any] = {
        "need_id": need["id"], "considered": considered, "explained": None,
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
