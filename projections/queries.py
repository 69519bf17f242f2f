"""Queries over the read models: plain dicts out, pagination with totals."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Select, and_, func, select

from projections.directory import organizations, organizers, projects, volunteers
from projections.rosters import roster, shifts
from projections.service_records import service_records


def _page(conn: Connection, query: Select[Any], order_by: Any, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    if offset >= total:
        return [], total  # past the last page; and a huge page number would overflow the database's integers
    rows = conn.execute(query.order_by(*order_by).limit(limit).offset(offset)).mappings().all()
    return [dict(r) for r in rows], total


def volunteer(conn: Connection, volunteer_id: UUID) -> dict[str, Any] | None:
    row = conn.execute(select(volunteers).where(volunteers.c.id == volunteer_id)).mappings().first()
    if row is None:
        return None
    result = dict(row)
    c = service_records.c
    totals = conn.execute(
        select(func.coalesce(func.sum(c.service_minutes), 0), func.count()).where(c.volunteer_id == volunteer_id, c.status == "confirmed")
    ).one()
    result["confirmed_service_minutes"], result["confirmed_records"] = int(totals[0]), int(totals[1])
    result["organizations"] = [
        r.organization_id for r in conn.execute(select(organizers.c.organization_id).where(organizers.c.volunteer_id == volunteer_id))
    ]
    return result


def organization(conn: Connection, organization_id: UUID) -> dict[str, Any] | None:
    row = conn.execute(select(organizations).where(organizations.c.id == organization_id)).mappings().first()
    if row is None:
        return None
    result = dict(row)
    street, community = result.pop("station_street"), result.pop("station_community")
    result["station"] = None if community is None else {"district": result["district"], "street": street, "community": community}
    result["organizers"] = [
        r.volunteer_id for r in conn.execute(select(organizers.c.volunteer_id).where(organizers.c.organization_id == organization_id))
    ]
    return result


def project(conn: Connection, project_id: UUID) -> dict[str, Any] | None:
    row = conn.execute(select(projects).where(projects.c.id == project_id)).mappings().first()
    return dict(row) if row else None


def shift(conn: Connection, shift_id: UUID, *, with_roster: bool) -> dict[str, Any] | None:
    row = conn.execute(select(shifts).where(shifts.c.id == shift_id)).mappings().first()
    if row is None:
        return None
    result = dict(row)
    result["places_left"] = row["capacity"] - row["signed_up_count"]
    if with_roster:
        result["roster"] = [
            dict(r)
            for r in conn.execute(
                select(roster).where(roster.c.shift_id == shift_id, roster.c.status != "cancelled").order_by(roster.c.signed_up_at)
            ).mappings()
        ]
    return result


def roster_people(conn: Connection, volunteer_ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    """Volunteer number and sealed personal data of the people on a roster (opened by the API)."""
    if not volunteer_ids:
        return {}
    c = volunteers.c
    rows = conn.execute(select(c.id, c.volunteer_number, c.personal_data, c.erased_at).where(c.id.in_(volunteer_ids))).mappings()
    return {r["id"]: dict(r) for r in rows}


def shifts_of_project(conn: Connection, project_id: UUID, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    return _page(conn, select(shifts).where(shifts.c.project_id == project_id), [shifts.c.starts_at, shifts.c.id], limit, offset)


def service_record(conn: Connection, record_id: UUID) -> dict[str, Any] | None:
    row = conn.execute(select(service_records).where(service_records.c.id == record_id)).mappings().first()
    return dict(row) if row else None


def service_records_page(
    conn: Connection,
    *,
    volunteer_id: UUID | None = None,
    organization_id: UUID | None = None,
    status: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    c = service_records.c
    conditions = []
    if volunteer_id:
        conditions.append(c.volunteer_id == volunteer_id)
    if organization_id:
        conditions.append(c.organization_id == organization_id)
    if status:
        conditions.append(c.status == status)
    if since:
        conditions.append(c.service_date >= since)
    if until:
        conditions.append(c.service_date <= until)
    query = select(service_records).where(and_(*conditions))
    return _page(conn, query, [c.service_date.desc(), c.recorded_at.desc(), c.id], limit, offset)


def pending_records_past_deadline(conn: Connection, today: date, limit: int = 1000) -> list[UUID]:
    c = service_records.c
    query = select(c.id).where(c.status == "pending", c.confirmation_deadline < today).order_by(c.confirmation_deadline).limit(limit)
    return [r.id for r in conn.execute(query)]


def open_check_ins_before(conn: Connection, before: datetime, limit: int = 1000) -> list[tuple[UUID, UUID]]:
    query = (
        select(roster.c.shift_id, roster.c.volunteer_id)
        .where(roster.c.status == "checked_in", roster.c.checked_in_at < before)
        .limit(limit)
    )
    return [(r.shift_id, r.volunteer_id) for r in conn.execute(query)]


def organizations_of(conn: Connection, volunteer_id: UUID) -> list[UUID]:
    return [r.organization_id for r in conn.execute(select(organizers.c.organization_id).where(organizers.c.volunteer_id == volunteer_id))]


