"""Queries of discovery and matching: open shifts and needs by place, date, skill, category and text;
the supply index read for ranking candidates and for assignment runs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Connection,
    CursorResult,
    String,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    intersect,
    literal,
    or_,
    select,
    union,
)

from projections.directory import organizations, projects
from projections.matching import bookings, needs, proposals, supply, supply_categories, supply_places, supply_skills, supply_windows
from projections.queries import _page
from projections.rosters import shifts
from timebank.domain.matching import RECENT_DAYS, WEIGHTS, Demand, Supply, week_of, weekly_slot


def _text(column: Any, words: str) -> ColumnElement[bool]:
    return func.lower(column).contains(words.lower(), autoescape=True)


def _has_skill(column: Any, skill: str) -> ColumnElement[bool]:
    # A JSON list of codes: codes are [a-z_] words, so the quoted code is an exact element match.
    return cast(column, String).contains(f'"{skill}"', autoescape=True)


def search_shifts(conn: Connection, *, now: datetime, limit: int, offset: int, **f: Any) -> tuple[list[dict[str, Any]], int]:
    """Shifts that have not ended and have places left, soonest first."""
    p = projects.c
    query = (
        select(shifts, p.name.label("project_name"), p.category, p.district, p.street, p.community,
               organizations.c.name.label("organization_name"), (shifts.c.capacity - shifts.c.signed_up_count).label("places_left"))
        .join(projects, p.id == shifts.c.project_id)
        .join(organizations, organizations.c.id == shifts.c.organization_id)
        .where(shifts.c.ends_at > now)
    )
    if not f.get("include_full"):
        query = query.where(shifts.c.signed_up_count < shifts.c.capacity)
    for name, column in (("district", p.district), ("street", p.street), ("community", p.community), ("category", p.category),
                         ("organization_id", shifts.c.organization_id), ("project_id", shifts.c.project_id)):
        if f.get(name) is not None:
            query = query.where(column == f[name])
    if f.get("station") is not None:  # a station serves its community: the community's shifts
        query = query.where(or_(p.community == f["station"], shifts.c.place == f["station"]))
    if f.get("starts_from") is not None:
        query = query.where(shifts.c.starts_at >= f["starts_from"])
    if f.get("starts_before") is not None:
        query = query.where(shifts.c.starts_at < f["starts_before"])
    for skill in f.get("skill") or ():
        query = query.where(_has_skill(shifts.c.required_skills, skill))
    if f.get("q"):
        query = query.where(or_(_text(shifts.c.title, f["q"]), _text(p.name, f["q"]), _text(shifts.c.place, f["q"]), _text(p.description, f["q"])))
    return _page(conn, query, [shifts.c.starts_at, shifts.c.id], limit, offset)


def _need_query() -> Any:
    o = organizations.c
    by_station = case((and_(o.station_community == needs.c.community, o.station_street == needs.c.street), True), else_=False)
    return (
        select(needs, shifts.c.signed_up_count, (needs.c.volunteers_needed - shifts.c.signed_up_count).label("places_left"),
               o.name.label("organization_name"), by_station.label("by_station"))
        .join(shifts, shifts.c.id == needs.c.shift_id)
        .outerjoin(organizations, o.id == needs.c.organization_id)  # another view: it may lag behind
    )


def search_needs(conn: Connection, *, now: datetime, limit: int, offset: int, **f: Any) -> tuple[list[dict[str, Any]], int]:
    """Needs (open ones unless a status is asked for) whose window has not ended, soonest first."""
    n = needs.c
    query = _need_query().where(n.ends_at > now, n.status == (f.get("status") or "open"))
    for name in ("district", "street", "community", "category", "organization_id"):
        if f.get(name) is not None:
            query = query.where(getattr(n, name) == f[name])
    if f.get("station") is not None:
        query = query.where(n.community == f["station"])
    if f.get("starts_from") is not None:
        query = query.where(n.starts_at >= f["starts_from"])
    if f.get("starts_before") is not None:
        query = query.where(n.starts_at < f["starts_before"])
    for skill in f.get("skill") or ():
        query = query.where(_has_skill(n.required_skills, skill))
    if f.get("q"):
        query = query.where(or_(_text(n.title, f["q"]), _text(n.content, f["q"]), _text(n.community, f["q"])))
    return _page(conn, query, [n.starts_at, n.id], limit, offset)


def need(conn: Connection, need_id: UUID) -> dict[str, Any] | None:
    row = conn.execute(_need_query().where(needs.c.id == need_id)).mappings().first()
    return dict(row) if row else None


def projects_page(conn: Connection, *, limit: int, offset: int, **f: Any) -> tuple[list[dict[str, Any]], int]:
    p = projects.c
    query = select(projects)
    for name in ("organization_id", "district", "street", "community", "category"):
        if f.get(name) is not None:
            query = query.where(getattr(p, name) == f[name])
    if f.get("q"):
        query = query.where(or_(_text(p.name, f["q"]), _text(p.description, f["q"])))
    return _page(conn, query, [p.published_at.desc(), p.id], limit, offset)


def proposals_page(conn: Connection, *, limit: int, offset: int, need_id: UUID | None = None,
                   volunteer_id: UUID | None = None) -> tuple[list[dict[str, Any]], int]:
    query = select(proposals)
    if need_id is not None:
        query = query.where(proposals.c.need_id == need_id)
    if volunteer_id is not None:
        query = query.where(proposals.c.volunteer_id == volunteer_id)
    return _page(conn, query, [proposals.c.score.desc(), proposals.c.id], limit, offset)


# The supply index, for ranking -------------------------------------------------
def demand_of(row: dict[str, Any]) -> Demand:
    return Demand(
        id=str(row["id"]), required_skills=frozenset(row["required_skills"]), category=row["category"],
        place={"district": row["district"], "street": row["street"], "community": row["community"]},
        starts_at=row["starts_at"], ends_at=row["ends_at"], slots=max(0, row["volunteers_needed"] - row.get("signed_up_count", 0)),
    )


# The index's statements take their values as bound parameters (the candidate query's are built
# once for each shape and kept, `_candidate_statement`): building and compiling one costs as much
# as running it.
def _with(table: Any, column: str, district: Any, code: Any) -> Any:
    """A district's volunteers with a skill or category (`table`'s `column`): its index alone."""
    return select(table.c.volunteer_id).where(table.c.district == district, table.c[column] == code)


def _slot_holders(district: Any, slot: tuple[Any, Any, Any], street: Any = None) -> Any:
    """Volunteers of the district (of a street of it) with a weekly window that holds the slot
    (weekday, start minute, end minute); one row a window."""
    w = supply_windows.c
    query = select(w.volunteer_id).where(w.district == district, *_holds(slot))
    return query if street is None else query.where(w.street == street)


def _holds(slot: tuple[Any, Any, Any]) -> list[Any]:
    """The conditions on a `supply_windows` row that it holds the slot (weekday, start minute, end minute)."""
    weekday, begin, finish = slot
    w = supply_windows.c
    return [w.weekday == weekday, w.start_minute <= begin, w.end_minute >= finish]


def _found(district: Any, skills: Sequence[Any], slot: tuple[Any, Any, Any] | None, *, category: Any = None) -> Any:
    """The volunteers (each once) of the district with every skill, a weekly window that holds the
    slot (without one: any) and, if given, the category among theirs: the intersection of index
    ranges, each read without the tables."""
    parts = [] if slot is None else [_slot_holders(district, slot)]
    parts += [_with(supply_skills, "skill", district, code) for code in skills]
    if category is not None:
        parts.append(_with(supply_categories, "category", district, category))
    if not parts:
        return select(supply.c.volunteer_id).where(supply.c.district == district)
    return intersect(*parts) if len(parts) > 1 else parts[0].distinct()


def eligible_ids(conn: Connection, district: str, required_skills: Sequence[str],
                 during: tuple[datetime, datetime] | None = None) -> list[UUID]:
    """Volunteers of the district who hold every required skill and, with `during`, have a weekly
    window that holds that time: the index prunes by skill and availability (the rules in
    timebank/domain/matching.py still judge every volunteer it returns)."""
    slot = None
    if during is not None:
        slot = weekly_slot(*during)
        if slot is None:
            return []  # across midnight: no weekly window holds it
    return [r[0] for r in conn.execute(_found(district, sorted(set(required_skills)), slot))]


def far_bound(preferring_category: bool) -> float:
    """The highest score a volunteer of the district outside the need's street can have (the
    hierarchy distance 2; reliability and fairness at most 1): with the need's category or without."""
    fit = 1.0 if preferring_category else 0.7
    return WEIGHTS["skill_fit"] * fit + WEIGHTS["distance"] * (1 - 2 / 3) + WEIGHTS["reliability"] + WEIGHTS["fairness"]


NEAR, FAR, COUNT = "near", "far", "count"


def _scored(dialect: str, eligible: Any, *where: Any) -> Any:
    """The `eligible` volunteers (a CTE of volunteer_id) of the district that a booking overlapping
    the need, their weekly cap or erasure does not exclude, best first by their score computed in
    SQL: (volunteer_id, score). `where`: further conditions on the supply row.

    The score is that of timebank.domain.matching, in floating point and unrounded; the caller
    treats it as a bound, reading on until it falls below the limit-th best score the rules give
    (api/matchmaking.py), so the list is the one ranking everyone would give."""
    b, pc, s, pp = bookings.c, proposals.c, supply.c, supply_places.c
    P = bindparam

    # Each volunteer's bookings and proposals as correlated subqueries: a few index probes per
    # volunteer found, so the planner starts from the index's volunteers (not from the whole view).
    def of_volunteer(table: Any, column: Any, *conditions: Any) -> Any:
        return select(column).where(table.c.volunteer_id == s.volunteer_id, *conditions).scalar_subquery()

    overlapping = select(b.volunteer_id).where(b.volunteer_id == s.volunteer_id, b.starts_at < P("ends_at"), b.ends_at > P("starts_at"))
    week_minutes = func.coalesce(of_volunteer(bookings, func.sum(b.minutes), b.starts_at >= P("monday"), b.starts_at < P("next_monday")), 0)
    no_shows = of_volunteer(bookings, func.count(), b.ends_at < P("now"), b.attended.is_(False))
    recent = of_volunteer(bookings, func.count(), b.booked_at >= P("since")) + of_volunteer(proposals, func.count(), pc.proposed_at >= P("since"))

    def within_district(street: Any, community: Any) -> Any:  # timebank.domain.places.hierarchy_distance
        return case((and_(street != "", street == P("street")), case((and_(community != "", community == P("community")), 0), else_=1)),
                    else_=2)

    preferred = select(func.min(within_district(pp.street, pp.community))).where(
        pp.volunteer_id == s.volunteer_id, pp.district == P("district")).scalar_subquery()
    nearer = func.min if dialect == "sqlite" else func.least  # the smaller of two values
    distance = nearer(within_district(s.street, s.community), func.coalesce(preferred, 3))
    reliability = (s.attended + literal(1.0)) / (s.attended + no_shows + literal(2.0))
    fairness = literal(1.0) / (recent + literal(1.0))
    bound = (
        WEIGHTS["skill_fit"] * _fit() + WEIGHTS["distance"] * (literal(1.0) - distance / literal(3.0))
        + WEIGHTS["reliability"] * reliability + WEIGHTS["fairness"] * fairness
    ).label("bound")
    return (
        select(s.volunteer_id, bound)
        .select_from(eligible.join(supply, s.volunteer_id == eligible.c.volunteer_id))
        .where(s.district == P("district"), s.erased.is_(False), *where, ~overlapping.exists(),
               or_(s.weekly_cap_minutes.is_(None), week_minutes + P("minutes") <= s.weekly_cap_minutes))
        .order_by(bound.desc(), s.volunteer_id)
    )


def _has_category() -> Any:
    """Whether the need's category is among the volunteer's (their JSON list of codes)."""
    return cast(supply.c.categories, String).like(bindparam("category_pattern"), escape="/")


def _fit() -> Any:
    """The skill fit of a volunteer who holds every required skill: the category among theirs or not."""
    return literal(0.7) + case((_has_category(), 0.3), else_=0.0)


@lru_cache(maxsize=128)
def _candidate_statement(dialect: str, part: str, skills: int, *, street: bool = True, preferring: bool = False,
                         floor: bool = False) -> Any:
    """The candidate query's statements, by shape (how many skills; with a street; the far part's
    kind and floor), with the need's values as parameters (`_parameters`).

    - NEAR: the free volunteers (as `_scored`) who live in the need's street or prefer a place in it,
      with its skills and a weekly window that holds it. Found from the street's windows and the
      preferred places in it, probing the few found for each skill: most of the best are here.
    - FAR: the rest of the district, found by its skills and windows, who have the need's category
      among theirs (`preferring`) or not; with `floor`, only those who could score as much as the
      parameter `floor` (their reliability from their attendance alone).
    - COUNT: how many volunteers the index finds (district, skills, a window that holds the need)."""
    P = bindparam
    district: Any = P("district")
    slot: tuple[Any, Any, Any] = (P("weekday"), P("begin"), P("finish"))
    codes: list[Any] = [P(f"skill_{i}") for i in range(skills)]
    s, pp, w, sk = supply.c, supply_places.c, supply_windows.c, supply_skills.c
    if part == COUNT:
        return select(func.count()).select_from(_found(district, codes, slot).subquery())
    if part == NEAR:
        def skilled(volunteer_id: Any) -> list[Any]:
            return [select(sk.volunteer_id).where(sk.skill == code, sk.volunteer_id == volunteer_id).exists() for code in codes]

        living = _slot_holders(district, slot, P("street")).where(*skilled(w.volunteer_id))
        holds = select(w.volunteer_id).where(w.volunteer_id == pp.volunteer_id, *_holds(slot)).exists()
        preferring_street = select(pp.volunteer_id).where(pp.district == district, pp.street == P("street"), holds,
                                                          *skilled(pp.volunteer_id))
        return _scored(dialect, union(living, preferring_street).cte("eligible"))
    where: list[Any] = []
    if street:
        where.append(s.street != P("street"))  # the near part's (those who prefer the street are read again: harmless)
    if not preferring:
        where.append(~_has_category())
    if floor:
        # The part's highest score with this volunteer's reliability from their attendance alone.
        reliability = (s.attended + literal(1.0)) / (s.attended + literal(2.0))
        highest = literal(far_bound(preferring) - WEIGHTS["reliability"]) + WEIGHTS["reliability"] * reliability
        where.append(highest >= P("floor"))
    found = _found(district, codes, slot, category=P("category") if preferring else None)
    return _scored(dialect, found.cte("eligible"), *where)


def _parameters(demand: Demand, district: str, slot: tuple[int, int, int], now: datetime | None = None,
                floor: float | None = None) -> dict[str, Any]:
    """The values of the candidate query's parameters for a need (`now`: for bookings and proposals)."""
    monday, next_monday = week_of(demand.starts_at)
    escaped = demand.category.replace("/", "//").replace("%", "/%").replace("_", "/_")
    values = {
        "district": district, "street": demand.place.get("street") or "", "community": demand.place.get("community") or "",
        "weekday": slot[0], "begin": slot[1], "finish": slot[2], "category": demand.category, "category_pattern": f'%"{escaped}"%',
        "starts_at": demand.starts_at, "ends_at": demand.ends_at, "minutes": demand.minutes, "monday": monday,
        "next_monday": next_monday, "now": now, "since": None if now is None else now - timedelta(days=RECENT_DAYS), "floor": floor,
    }
    values.update((f"skill_{i}", code) for i, code in enumerate(sorted(demand.required_skills)))
    return values


def _nothing(conn: Connection) -> CursorResult[Any]:
    return conn.execute(select(supply.c.volunteer_id, literal(0.0)).where(false()))


def near_supply(conn: Connection, demand: Demand, district: str, now: datetime) -> CursorResult[Any]:
    """The first part of the candidate query (NEAR in `_candidate_statement`): (volunteer_id, score), best first."""
    slot = weekly_slot(demand.starts_at, demand.ends_at)
    if slot is None or not demand.place.get("street"):
        return _nothing(conn)
    statement = _candidate_statement(conn.dialect.name, NEAR, len(demand.required_skills))
    return conn.execute(statement, _parameters(demand, district, slot, now))


def far_supply(conn: Connection, demand: Demand, district: str, now: datetime, *, preferring: bool,
               floor: float | None = None) -> CursorResult[Any]:
    """The rest of the candidate query (FAR in `_candidate_statement`): (volunteer_id, score), best
    first; nothing when `floor` is above the highest score the part can have (`far_bound`)."""
    slot = weekly_slot(demand.starts_at, demand.ends_at)
    if slot is None or (floor is not None and floor > far_bound(preferring)):
        return _nothing(conn)
    statement = _candidate_statement(conn.dialect.name, FAR, len(demand.required_skills), street=bool(demand.place.get("street")),
                                     preferring=preferring, floor=floor is not None)
    return conn.execute(statement, _parameters(demand, district, slot, now, floor))


def found_count(conn: Connection, demand: Demand, district: str) -> int:
    """How many volunteers the index finds for the need: of its district, with its skills and a
    weekly window that holds its time (before bookings, weekly caps, age limits and declines)."""
    slot = weekly_slot(demand.starts_at, demand.ends_at)
    if slot is None:
        return 0
    statement = _candidate_statement(conn.dialect.name, COUNT, len(demand.required_skills))
    return int(conn.execute(statement, _parameters(demand, district, slot)).scalar_one())


def supplies(conn: Connection, volunteer_ids: Iterable[UUID], now: datetime, around: tuple[datetime, datetime]) -> dict[UUID, Supply]:
    """Supply rows with bookings near `around` (its week and the window), attendance and recent opportunities."""
    ids = list(volunteer_ids)
    found: dict[UUID, Supply] = {}
    start, end = around
    monday, _ = week_of(start)
    _, next_monday = week_of(end)
    since = now - timedelta(days=RECENT_DAYS)
    for chunk in (ids[i:i + 5000] for i in range(0, len(ids), 5000)):
        for r in conn.execute(select(supply).where(supply.c.volunteer_id.in_(chunk))).mappings():
            found[r["volunteer_id"]] = Supply(
                id=str(r["volunteer_id"]), skills=frozenset(r["skills"]), categories=frozenset(r["categories"]),
                home={"district": r["district"], "street": r["street"], "community": r["community"]}, windows=list(r["windows"]),
                weekly_cap_minutes=r["weekly_cap_minutes"], attended=r["attended"], erased=r["erased"],
                preferred=tuple(r["preferred_places"]),
            )
        b = bookings.c
        for vid, booked_from, booked_to in conn.execute(select(b.volunteer_id, b.starts_at, b.ends_at).where(
                b.volunteer_id.in_(chunk), b.starts_at < next_monday, b.ends_at > monday)):
            found[vid].bookings.append((booked_from, booked_to))
        for vid, no_shows in conn.execute(select(b.volunteer_id, func.count()).where(
                b.volunteer_id.in_(chunk), b.ends_at < now, b.attended.is_(False)).group_by(b.volunteer_id)):
            found[vid].no_shows = int(no_shows)
        for vid, recent in conn.execute(select(b.volunteer_id, func.count()).where(
                b.volunteer_id.in_(chunk), b.booked_at >= since).group_by(b.volunteer_id)):
            found[vid].recent += int(recent)
        pc = proposals.c
        for vid, recent in conn.execute(select(pc.volunteer_id, func.count()).where(
                pc.volunteer_id.in_(chunk), pc.proposed_at >= since).group_by(pc.volunteer_id)):
            if vid in found:
                found[vid].recent += int(recent)
    return found


def decided_pairs(conn: Connection, need_ids: Iterable[UUID]) -> set[tuple[UUID, UUID]]:
    """(need, volunteer) pairs already proposed: never proposed again (declined ones never accepted either)."""
    ids = list(need_ids)
    pairs: set[tuple[UUID, UUID]] = set()
    for chunk in (ids[i:i + 5000] for i in range(0, len(ids), 5000)):
        pairs |= {(r[0], r[1]) for r in conn.execute(select(proposals.c.need_id, proposals.c.volunteer_id).where(proposals.c.need_id.in_(chunk)))}
    return pairs


def declined_volunteers(conn: Connection, need_id: UUID) -> set[UUID]:
    return {r[0] for r in conn.execute(select(proposals.c.volunteer_id).where(proposals.c.need_id == need_id, proposals.c.status == "declined"))}


def open_needs(conn: Connection, now: datetime, district: str | None = None) -> list[dict[str, Any]]:
    """Open needs that have not started and have slots left, for an assignment run."""
    query = _need_query().where(needs.c.status == "open", needs.c.starts_at > now, shifts.c.signed_up_count < needs.c.volunteers_needed)
    if district is not None:
        query = query.where(needs.c.district == district)
    return [dict(r) for r in conn.execute(query.order_by(needs.c.starts_at, needs.c.id)).mappings()]

