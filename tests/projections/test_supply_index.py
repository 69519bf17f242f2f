"""The supply index's availability windows, preferred places and categories (`supply_windows`,
`supply_places`, `supply_categories`): the candidate query and runs take from it exactly the volunteers whose weekly
window holds a need's time, and rank them exactly as the rules do."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from api.services import Services
from projections import matching_queries
from projections.matching import supply_categories, supply_places, supply_windows
from timebank.domain.actors import Actor, Role
from timebank.domain.matching import BEIJING, available
from timebank.domain.vocabulary import CURRENT as VOCABULARY

SKILLS = sorted(term.code for term in VOCABULARY.skills)[:4]
CATEGORIES = sorted(term.code for term in VOCABULARY.categories)[:4]
MONDAY = datetime(2026, 12, 14, tzinfo=BEIJING)


def a_window(rng: random.Random) -> dict[str, object]:
    start = rng.choice([0, 6 * 60, 8 * 60, 8 * 60 + 30, 12 * 60, 18 * 60, 22 * 60])
    end = min(24 * 60, start + rng.choice([60, 120, 180, 240, 600, 24 * 60]))
    return {"weekday": rng.randrange(7), "start": f"{start // 60:02d}:{start % 60:02d}", "end": f"{end // 60:02d}:{end % 60:02d}"}


PLACES = [("海淀区", "学院路街道", "石油大院社区"), ("海淀区", "学院路街道", "地大社区"), ("朝阳区", "三里屯街道", "幸福村社区")]


def offer(services: Services, actor: Actor, rng: random.Random) -> dict[str, Any]:
    windows = [a_window(rng) for _ in range(rng.randrange(0, 5))]
    skills = rng.sample(SKILLS, rng.randrange(1, 3))
    places = [dict(zip(("district", "street", "community"), place, strict=True)) for place in rng.sample(PLACES, rng.randrange(0, 3))]
    categories = rng.sample(CATEGORIES, rng.randrange(0, 3))
    services.timebank.offer_supply(actor, actor.id, availability=windows, skills=skills, preferred_places=places,  # type: ignore[arg-type]
                                   service_categories=categories)
    return {"windows": windows, "skills": set(skills), "places": {tuple(p.values()) for p in places}, "categories": set(categories)}


def test_the_index_returns_exactly_the_volunteers_whose_window_holds_the_time(services: Services) -> None:
    rng = random.Random(7)
    services.timebank.register_places(Actor(Role.ADMIN), PLACES)
    offered: dict[Any, dict[str, Any]] = {}
    for seq in range(14):
        reg = services.timebank.register_volunteer(
            name=f"志愿者{seq}", sex="female", birth_date=date(1990, 1, 1), id_type="resident_id",
            id_number=f"ID-{seq}", phone="13900000000", district="海淀区",
        )
        actor = Actor(Role.VOLUNTEER, reg.volunteer_id)
        offered[reg.volunteer_id] = offer(services, actor, rng)
        if seq % 3 == 0:  # offered again: the old windows leave the index
            offered[reg.volunteer_id] = offer(services, actor, rng)
    while services.projector.run_once(limit=7):  # small batches: windows made and unmade across them
        pass
    with services.engine.connect() as conn:
        live = sorted(tuple(r) for r in conn.execute(select(supply_windows)))
        places = {(r.volunteer_id, (r.district, r.street, r.community)) for r in conn.execute(select(supply_places))}
        categories = {(r.volunteer_id, r.category, r.district) for r in conn.execute(select(supply_categories))}
    assert len(live) > 10, "the scenario must offer windows"
    assert places == {(vid, place) for vid, o in offered.items() for place in o["places"]}, "the latest offer's places, each once"
    assert places, "the scenario must offer places"
    assert categories == {(vid, c, "海淀区") for vid, o in offered.items() for c in o["categories"]}, "the latest offer's categories"
    assert categories, "the scenario must offer categories"

    times = []
    for _ in range(150):
        start = MONDAY + timedelta(days=rng.randrange(7), minutes=rng.choice([0, 6 * 60, 8 * 60, 8 * 60 + 30, 9 * 60, 12 * 60, 23 * 60]))
        times.append((start, start + timedelta(minutes=rng.choice([30, 60, 120, 180, 60 * 16, 60 * 24]))))
    times.append((MONDAY + timedelta(hours=22), MONDAY + timedelta(days=1)))  # ends at midnight: a window to 24:00 holds it
    checked = 0
    with services.engine.connect() as conn:
        for during in times:
            for required in ([], SKILLS[:1], SKILLS[1:3]):
                expected = {vid for vid, o in offered.items() if set(required) <= o["skills"] and available(o["windows"], *during)}
                found = matching_queries.eligible_ids(conn, "海淀区", required, during)
                assert len(found) == len(set(found)), "each volunteer once, even when two windows hold the time"
                assert set(found) == expected, (during, required)
                checked += bool(expected)
            assert matching_queries.eligible_ids(conn, "朝阳区", [], during) == []
    assert checked > 20, "some times must find volunteers"

    services.projector.rebuild(["matching"])
    with services.engine.connect() as conn:
        assert sorted(tuple(r) for r in conn.execute(select(supply_windows))) == live
        assert {(r.volunteer_id, (r.district, r.street, r.community)) for r in conn.execute(select(supply_places))} == places
        assert {(r.volunteer_id, r.category, r.district) for r in conn.execute(select(supply_categories))} == categories


def test_the_candidate_query_ranks_exactly_as_ranking_the_whole_district(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """api.matchmaking.candidates reads the index in the order of a score bound and stops early; it
    must give the very list (ids, order, scores) that ranking every volunteer of the district gives,
    with bookings, no-shows, caps, preferred places, erasures, recent proposals and declines drawn."""
    from api import matchmaking
    from benchmarks import candidates as bench
    from timebank.domain.matching import rank

    monkeypatch.setattr(matchmaking, "MIN_PAGE", 4)  # small pages, so that many queries read several
    floors: dict[bool, list[float | None]] = {True: [], False: []}  # of the far parts: with the need's category, without
    far_supply = matching_queries.far_supply

    def spied(*args: Any, preferring: bool, floor: float | None) -> Any:
        floors[preferring].append(floor)
        return far_supply(*args, preferring=preferring, floor=floor)

    monkeypatch.setattr(matching_queries, "far_supply", spied)

    bench.fill(services.engine, 3000, 1000, seed=5, preferred=0.4, erased=0.05, proposed=0.3, streets=3)
    rng = random.Random(11)
    compared = multi_page = 0
    with services.engine.connect() as conn:
        for i in range(60):
            need = bench.a_need(rng, i % 40, streets=3)
            demand = matching_queries.demand_of(need)
            declined = {str(v) for v in matching_queries.declined_volunteers(conn, need["id"])}
            everyone = matching_queries.supplies(
                conn, matching_queries.eligible_ids(conn, need["district"], need["required_skills"]), bench.NOW,
                (demand.starts_at, demand.ends_at))
            for limit in (3, 12, 50):
                expected = [(c.volunteer_id, c.score.total) for c in rank(demand, everyone.values(), declined=declined, limit=limit)]
                found = matchmaking.candidates(None, conn, need, bench.NOW, limit)  # type: ignore[arg-type]
                assert [(str(c["volunteer_id"]), c["score"]) for c in found["candidates"]] == expected, (i, limit)
                compared += len(expected)
                multi_page += found["considered"] > max(2 * limit, 4) and len(expected) == limit
                assert found["considered"] == len(matching_queries.eligible_ids(
                    conn, need["district"], need["required_skills"], (demand.starts_at, demand.ends_at)))
    assert compared > 300, "the needs must find candidates"
    assert multi_page > 5, "some needs must have more volunteers than a page"
    # Every way of reading the rest of the district was taken, for each part (with the need's
    # category, without): all of it (fewer than the limit read before), only those who could reach
    # the limit-th best, and none (no one in the part can reach it).
    for preferring, seen in floors.items():
        bound = matching_queries.far_bound(preferring)
        assert None in seen, preferring
        assert any(f is not None and f <= bound for f in seen), preferring
        assert any(f is not None and f > bound for f in seen), preferring
