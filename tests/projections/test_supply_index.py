"""The supply index's availability windows (`supply_windows`): the candidate query and runs take
from it exactly the volunteers whose weekly window holds a need's time, as the rules judge it."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from api.services import Services
from projections import matching_queries
from projections.matching import supply_windows
from timebank.domain.actors import Actor, Role
from timebank.domain.matching import BEIJING, available
from timebank.domain.vocabulary import CURRENT as VOCABULARY

SKILLS = sorted(term.code for term in VOCABULARY.skills)[:4]
MONDAY = datetime(2026, 12, 14, tzinfo=BEIJING)


def a_window(rng: random.Random) -> dict[str, object]:
    start = rng.choice([0, 6 * 60, 8 * 60, 8 * 60 + 30, 12 * 60, 18 * 60, 22 * 60])
    end = min(24 * 60, start + rng.choice([60, 120, 180, 240, 600, 24 * 60]))
    return {"weekday": rng.randrange(7), "start": f"{start // 60:02d}:{start % 60:02d}", "end": f"{end // 60:02d}:{end % 60:02d}"}


def offer(services: Services, actor: Actor, rng: random.Random) -> dict[str, Any]:
    windows = [a_window(rng) for _ in range(rng.randrange(0, 5))]
    skills = rng.sample(SKILLS, rng.randrange(1, 3))
    services.timebank.offer_supply(actor, actor.id, availability=windows, skills=skills)  # type: ignore[arg-type]
    return {"windows": windows, "skills": set(skills)}


def test_the_index_returns_exactly_the_volunteers_whose_window_holds_the_time(services: Services) -> None:
    rng = random.Random(7)
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
    assert len(live) > 10, "the scenario must offer windows"

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
