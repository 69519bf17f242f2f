"""Integrity flags for review, read from the views: overlapping sessions of one person, one person
recorded by two organizations at the same time, and impossible daily totals. Each flag names the
sessions and service records that raised it, so a reviewer can open their histories.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, func, select

from projections.rosters import roster, shifts
from projections.service_records import service_records

COUNTED = ("pending", "confirmed")  # rejected, expired and revoked minutes count towards nothing
KINDS = ("overlapping_sessions", "two_organizations", "daily_total")


def _records_of(conn: Connection, pairs: list[tuple[Any, Any]]) -> dict[tuple[Any, Any], list[str]]:
    """The service records made of each (shift, volunteer) session."""
    found: dict[tuple[Any, Any], list[str]] = {}
    for shift_id, volunteer_id in pairs:
        rows = conn.execute(
            select(service_records.c.id).where(service_records.c.shift_id == shift_id, service_records.c.volunteer_id == volunteer_id)
        ).scalars()
        found[(shift_id, volunteer_id)] = [str(r) for r in rows]
    return found


def overlapping_sessions(conn: Connection, limit: int = 1000) -> list[dict[str, Any]]:
    """Pairs of attended sessions of one volunteer whose times overlap; across organizations, kind two_organizations."""
    a, b = roster.alias("a"), roster.alias("b")
    sa, sb = shifts.alias("sa"), shifts.alias("sb")
    query = (
        select(a.c.volunteer_id, a.c.shift_id.label("first_shift"), b.c.shift_id.label("second_shift"),
               a.c.checked_in_at.label("first_in"), a.c.checked_out_at.label("first_out"),
               b.c.checked_in_at.label("second_in"), b.c.checked_out_at.label("second_out"),
               sa.c.organization_id.label("first_org"), sb.c.organization_id.label("second_org"))
        .select_from(a.join(b, and_(a.c.volunteer_id == b.c.volunteer_id, a.c.shift_id < b.c.shift_id))
                     .join(sa, sa.c.id == a.c.shift_id).join(sb, sb.c.id == b.c.shift_id))
        .where(a.c.checked_in_at.is_not(None), b.c.checked_in_at.is_not(None),
               a.c.checked_out_at.is_not(None), b.c.checked_out_at.is_not(None),
               a.c.checked_in_at < b.c.checked_out_at, b.c.checked_in_at < a.c.checked_out_at)
        .order_by(a.c.checked_in_at, a.c.volunteer_id).limit(limit)
    )
    rows = conn.execute(query).all()
    records = _records_of(conn, [(r.first_shift, r.volunteer_id) for r in rows] + [(r.second_shift, r.volunteer_id) for r in rows])
    flags = []
    for r in rows:
        flags.append({
            "kind": "two_organizations" if r.first_org != r.second_org else "overlapping_sessions",
            "volunteer_id": r.volunteer_id,
            "date": r.first_in.date() if r.first_in < r.second_in else r.second_in.date(),
            "minutes": None,
            "organization_ids": sorted({r.first_org, r.second_org}, key=str),
            "sessions": [
                {"shift_id": r.first_shift, "organization_id": r.first_org, "checked_in_at": r.first_in, "checked_out_at": r.first_out},
                {"shift_id": r.second_shift, "organization_id": r.second_org, "checked_in_at": r.second_in, "checked_out_at": r.second_out},
            ],
            "record_ids": records[(r.first_shift, r.volunteer_id)] + records[(r.second_shift, r.volunteer_id)],
        })
    return flags


def daily_totals(conn: Connection, limit_of: Callable[[date], int], floor: int, limit: int = 1000) -> list[dict[str, Any]]:
    """Days on which one volunteer's counted records add up to more than the rules allow (16 h by default)."""
    c = service_records.c
    total = func.sum(c.service_minutes)
    query = (
        select(c.volunteer_id, c.service_date, total.label("minutes"))
        .where(c.status.in_(COUNTED)).group_by(c.volunteer_id, c.service_date).having(total > floor)
        .order_by(c.service_date, c.volunteer_id).limit(limit)
    )
    flags = []
    for r in conn.execute(query).all():
        if r.minutes <= limit_of(r.service_date):
            continue
        ids = conn.execute(
            select(c.id, c.organization_id).where(c.volunteer_id == r.volunteer_id, c.service_date == r.service_date, c.status.in_(COUNTED))
            .order_by(c.recorded_at)
        ).all()
        flags.append({
            "kind": "daily_total", "volunteer_id": r.volunteer_id, "date": r.service_date, "minutes": int(r.minutes),
            "organization_ids": sorted({i.organization_id for i in ids}, key=str), "sessions": [],
            "record_ids": [str(i.id) for i in ids],
        })
    return flags


def integrity_flags(conn: Connection, limit_of: Callable[[date], int], floor: int, kind: str | None = None) -> list[dict[str, Any]]:
    flags = overlapping_sessions(conn) + daily_totals(conn, limit_of, floor)
    return [f for f in flags if kind is None or f["kind"] == kind]
