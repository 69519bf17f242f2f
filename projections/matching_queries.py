"""Queries of discovery and matching: open shifts and needs by place, date, skill, category and text;
the supply index read for ranking candidates and for assignment runs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Connection, CursorResult, String, and_, case, cast, false, func, literal, or_, select

from projections.directory import organizations, projects
from projections.matching import bookings, needs, proposals, supply, supply_places, supply_skills, supply_windows
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
    return select(needs, shifts.c.signed_up_count, (needs.c.volunteers_needed - shifts.c.signed_up_count).label("places_left")).join(
        shifts, shifts.c.id == needs.c.shift_id
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


def _skilled(district: str, required_skills: Sequence[str]) -> Any:
    s = supply_skills.c
    return (
        select(s.volunteer_id).where(s.district == district, s.skill.in_(list(required_skills)))
        .group_by(s.volunteer_id).having(func.count() == len(set(required_skills)))
    )


def _holding(district: str, required_skills: Sequence[str], slot: tuple[int, int, int]) -> Any:
    """Volunteers of the district with every required skill and a weekly window that holds the
    slot (weekday, start minute, end minute); one row a window."""
    weekday, begin, finish = slot
    w = supply_windows.c
    query = select(w.volunteer_id).where(w.district == district, w.weekday == weekday, w.start_minute <= begin, w.end_minute >= finish)
    return query.where(w.volunteer_id.in_(_skilled(district, required_skills))) if required_skills else query


def eligible_ids(conn: Connection, district: str, required_skills: Sequence[str],
                 during: tuple[datetime, datetime] | None = None) -> list[UUID]:
    """Volunteers of the district who hold every required skill and, with `during`, have a weekly
    window that holds that time: the index prunes by skill and availability (the rules in
    timebank/domain/matching.py still judge every volunteer it returns)."""
    if during is not None:
        slot = weekly_slot(*during)
        if slot is None:
            return []  # across midnight: no weekly window holds it
        query = _holding(district, required_skills, slot)
        return list(dict.fromkeys(r[0] for r in conn.execute(query)))  # two windows may both hold it
    if required_skills:
        return [r[0] for r in conn.execute(_skilled(district, required_skills))]
    return [r[0] for r in conn.execute(select(supply.c.volunteer_id).where(supply.c.district == district))]


def ranked_supply(conn: Connection, demand: Demand, district: str, now: datetime) -> CursorResult[Any]:
    """For the candidate query: the volunteers the index finds for the need (its district, its
    skills, a weekly window that holds its time) that a booking overlapping it, their weekly cap or
    erasure does not exclude, best first by their score computed in SQL: (volunteer_id, score, how
    many there are), as a result to read only as far as needed.

    The score is that of timebank.domain.matching, in floating point and unrounded; the caller
    treats it as a bound, reading on until it falls below the limit-th best score the rules give
    (api/matchmaking.py), so the list is the one ranking everyone would give."""
    slot = weekly_slot(demand.starts_at, demand.ends_at)
    if slot is None:
        return conn.execute(select(supply.c.volunteer_id, literal(0.0), literal(0)).where(false()))
    eligible = _holding(district, sorted(demand.required_skills), slot).distinct().cte("eligible")

    b, pc, s = bookings.c, proposals.c, supply.c
    monday, next_monday = week_of(demand.starts_at)
    since = now - timedelta(days=RECENT_DAYS)

    # Each volunteer's bookings and proposals as correlated subqueries: a few index probes per
    # volunteer found, so the planner starts from the index's volunteers (not from the whole view).
    def of_volunteer(table: Any, column: Any, *where: Any) -> Any:
        return select(column).where(table.c.volunteer_id == s.volunteer_id, *where).scalar_subquery()

    overlapping = select(b.volunteer_id).where(b.volunteer_id == s.volunteer_id, b.starts_at < demand.ends_at, b.ends_at > demand.starts_at)
    week_minutes = func.coalesce(of_volunteer(bookings, func.sum(b.minutes), b.starts_at >= monday, b.starts_at < next_monday), 0)
    no_shows = of_volunteer(bookings, func.count(), b.ends_at < now, b.attended.is_(False))
    recent = of_volunteer(bookings, func.count(), b.booked_at >= since) + of_volunteer(proposals, func.count(), pc.proposed_at >= since)
    place = demand.place
    fit = literal(0.7) + case((cast(s.categories, String).contains(f'"{demand.category}"', autoescape=True), 0.3), else_=0.0)
    def within_district(street: Any, community: Any) -> Any:  # timebank.domain.places.hierarchy_distance
        return case((and_(street != "", street == place["street"]), case((and_(community != "", community == place["community"]), 0), else_=1)),
                    else_=2)

    pp = supply_places.c
    preferred = (
        select(func.min(within_district(pp.street, pp.community)))
        .where(pp.volunteer_id == s.volunteer_id, pp.district == district).scalar_subquery()
    )
    home = within_district(s.street, s.community)
    nearer = func.min if conn.dialect.name == "sqlite" else func.least  # the smaller of two values
    distance = nearer(home, func.coalesce(preferred, 3))
    reliability = (s.attended + literal(1.0)) / (s.attended + no_shows + literal(2.0))
    fairness = literal(1.0) / (recent + literal(1.0))
    bound = (
        WEIGHTS["skill_fit"] * fit + WEIGHTS["distance"] * (literal(1.0) - distance / literal(3.0))
        + WEIGHTS["reliability"] * reliability + WEIGHTS["fairness"] * fairness
    ).label("bound")
    query = (
        select(s.volunteer_id, bound, func.count().over().label("considered"))
        .select_from(eligible.join(supply, s.volunteer_id == eligible.c.volunteer_id))
        .where(s.erased.is_(False), ~overlapping.exists(),
               or_(s.weekly_cap_minutes.is_(None), week_minutes + demand.minutes <= s.weekly_cap_minutes))
        .order_by(bound.desc(), s.volunteer_id)
    )
    return conn.execute(query)


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

