"""Reads of the civilization office's views: the key-project ledger, completion, the problem list, the bulletin (通报)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from statistics import median
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Select, and_, extract, func, select

from projections.key_projects import key_projects, member_units
from projections.problems import problems
from projections.queries import _page

LEDGER_COLUMNS = ("year", "unit", "district", "category", "title", "status", "progress_reports", "half_year_checked_at",
                  "attachments", "reason", "registered_at", "ended_at", "id")


# Member units and key projects ------------------------------------------------------
def member_units_page(conn: Connection, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    return _page(conn, select(member_units), [member_units.c.name, member_units.c.organization_id], limit, offset)


def _ledger(year: int, organization_id: UUID | None, category: str | None, status: str | None) -> Select[Any]:
    c = key_projects.c
    conditions = [c.year == year]
    if organization_id:
        conditions.append(c.organization_id == organization_id)
    if category:
        conditions.append(c.category == category)
    if status:
        conditions.append(c.status == status)
    joined = key_projects.outerjoin(member_units, member_units.c.organization_id == c.organization_id)
    return select(key_projects, member_units.c.name.label("unit"), member_units.c.district).select_from(joined).where(and_(*conditions))


def key_projects_page(
    conn: Connection, *, year: int, organization_id: UUID | None = None, category: str | None = None, status: str | None = None,
    limit: int, offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """The year's ledger, by unit then category."""
    c = key_projects.c
    return _page(conn, _ledger(year, organization_id, category, status), [member_units.c.name, c.category, c.registered_at, c.id], limit, offset)


def ledger_lines(conn: Connection, *, year: int, organization_id: UUID | None = None) -> Iterator[dict[str, Any]]:
    c = key_projects.c
    query = _ledger(year, organization_id, None, None).order_by(member_units.c.name, c.category, c.registered_at, c.id)
    for row in conn.execution_options(yield_per=1000).execute(query).mappings():
        yield dict(row)


def key_project(conn: Connection, project_id: UUID) -> dict[str, Any] | None:
    c = key_projects.c
    joined = key_projects.outerjoin(member_units, member_units.c.organization_id == c.organization_id)
    row = conn.execute(
        select(key_projects, member_units.c.name.label("unit"), member_units.c.district).select_from(joined).where(c.id == project_id)
    ).mappings().first()
    return dict(row) if row else None


def completion(conn: Connection, *, year: int, organization_id: UUID | None = None) -> dict[str, Any]:
    """"58 units, 114 projects, all completed": units with projects that year, projects, and each status."""
    c = key_projects.c
    conditions = [c.year == year] + ([c.organization_id == organization_id] if organization_id else [])
    counts = {s: n for s, n in conn.execute(select(c.status, func.count()).where(*conditions).group_by(c.status))}
    units = conn.execute(select(func.count(func.distinct(c.organization_id))).where(*conditions)).scalar_one()
    by_category = [
        {"category": category, "projects": n, "completed": done}
        for category, n, done in conn.execute(
            select(c.category, func.count(), func.count().filter(c.status == "completed")).where(*conditions)
            .group_by(c.category).order_by(c.category)
        )
    ]
    projects = sum(counts.values())
    completed = counts.get("completed", 0)
    rate = completed / projects if projects else 0.0
    if not projects:
        summary = f"{year}: no key projects registered"
    elif completed == projects:
        summary = f"{year}: {units} units, {projects} projects, all completed"
    else:
        summary = f"{year}: {units} units, {projects} projects, {completed} completed ({rate:.0%})"
    return {
        "year": year, "units": units, "projects": projects, "completed": completed,
        "in_progress": counts.get("in_progress", 0), "carried_over": counts.get("carried_over", 0),
        "unfinished": counts.get("unfinished", 0), "rate": rate, "summary": summary, "by_category": by_category,
    }


# Problems -----------------------------------------------------------------------------
def _days(start: datetime, end: datetime) -> int:
    return max(0, (end - start).days)


def _with_ages(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Age: whole days since 建账, until 销账 for a closed problem (its closure time) or now."""
    row["age_days"] = _days(row["recorded_at"], row["closed_at"] or now)
    row["closure_days"] = _days(row["recorded_at"], row["closed_at"]) if row["closed_at"] else None
    row["overdue"] = row["overdue_flagged_at"] is not None
    return row


def problems_page(
    conn: Connection, *, now: datetime, status: str | None = None, district: str | None = None, area_level: str | None = None,
    organization_id: UUID | None = None, overdue: bool | None = None, limit: int, offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """Problems, oldest first; status "unclosed" means every status but closed."""
    c = problems.c
    conditions = []
    if status == "unclosed":
        conditions.append(c.status != "closed")
    elif status:
        conditions.append(c.status == status)
    if district:
        conditions.append(c.district == district)
    if area_level:
        conditions.append(c.area_level == area_level)
    if organization_id:
        conditions.append(c.organization_id == organization_id)
    if overdue is not None:
        conditions.append(c.overdue_flagged_at.isnot(None) if overdue else c.overdue_flagged_at.is_(None))
    joined = problems.outerjoin(member_units, member_units.c.organization_id == c.organization_id)
    query = select(problems, member_units.c.name.label("unit")).select_from(joined).where(and_(*conditions))
    items, total = _page(conn, query, [c.recorded_at, c.id], limit, offset)
    return [_with_ages(item, now) for item in items], total


def problem(conn: Connection, problem_id: UUID, now: datetime) -> dict[str, Any] | None:
    c = problems.c
    joined = problems.outerjoin(member_units, member_units.c.organization_id == c.organization_id)
    row = conn.execute(select(problems, member_units.c.name.label("unit")).select_from(joined).where(c.id == problem_id)).mappings().first()
    return _with_ages(dict(row), now) if row else None


def problems_past_deadline(conn: Connection, today: date, limit: int = 1000) -> list[UUID]:
    """Candidates for the overdue flag: still open after the deadline, not flagged yet."""
    c = problems.c
    query = select(c.id).where(c.status == "open", c.deadline < today, c.overdue_flagged_at.is_(None)).order_by(c.deadline).limit(limit)
    return [r.id for r in conn.execute(query)]


def bulletin(conn: Connection, *, now: datetime, year: int | None = None) -> dict[str, Any]:
    """The public bulletin (通报): counts by area and unit, ages and closure times. No person is named."""
    c = problems.c
    query = select(c.district, c.area_level, c.organization_id, c.status, c.recorded_at, c.closed_at, c.overdue_flagged_at)
    if year is not None:
        query = query.where(extract("year", c.recorded_at) == year)
    names = dict(conn.execute(select(member_units.c.organization_id, member_units.c.name)).tuples().all())
    totals = _tally()
    districts: dict[str, dict[str, Any]] = {}
    units: dict[UUID, dict[str, Any]] = {}
    closure: list[int] = []
    for r in conn.execute(query).mappings():
        groups = [totals, districts.setdefault(r["district"], {"district": r["district"], **_tally()}),
                  units.setdefault(r["organization_id"], {"unit": names.get(r["organization_id"], "?"), **_tally()})]
        for group in groups:
            _count(group, r, now)
        if r["closed_at"] is not None:
            closure.append(_days(r["recorded_at"], r["closed_at"]))
    return {
        "year": year, **totals,
        "closure_days": {"average": round(sum(closure) / len(closure), 1) if closure else None,
                         "median": median(closure) if closure else None, "max": max(closure) if closure else None},
        "by_district": sorted(districts.values(), key=lambda g: (-g["unclosed"], g["district"])),
        "by_unit": sorted(units.values(), key=lambda g: (-g["unclosed"], g["unit"])),
    }


def _tally() -> dict[str, Any]:
    return {"recorded": 0, "closed": 0, "unclosed": 0, "overdue": 0, "oldest_unclosed_days": None}


def _count(group: dict[str, Any], r: Any, now: datetime) -> None:
    group["recorded"] += 1
    if r["status"] == "closed":
        group["closed"] += 1
    else:
        group["unclosed"] += 1
        age = _days(r["recorded_at"], now)
        group["oldest_unclosed_days"] = max(group["oldest_unclosed_days"] or 0, age)
        if r["overdue_flagged_at"] is not None:
            group["overdue"] += 1
