"""Statistics for auditors' charts: hours by district and month, star levels, time-bank flows.

Read from the views (service records, directory, star levels, transfers); months are Beijing months.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, func, select

from projections.balances import transfers
from projections.directory import organizations, volunteers
from projections.service_records import service_records
from projections.star_levels import star_levels
from timebank.clock import BEIJING

# The flows of the time bank, named as people say them -> the transfer kind behind each.
FLOWS = {"earned": "service_credit", "exchanged": "exchange", "gifted": "gift", "donated": "donation", "redeemed": "redemption"}
LEVELS = range(0, 6)


def hours_by_district_month(conn: Connection) -> list[dict[str, Any]]:
    """Confirmed service minutes per district (of the recording organization) and month of service."""
    r, o = service_records.c, organizations.c
    rows = conn.execute(
        select(o.district, r.service_date, func.sum(r.service_minutes).label("minutes"))
        .join(organizations, o.id == r.organization_id)
        .where(r.status == "confirmed")
        .group_by(o.district, r.service_date)
    ).all()
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for district, service_date, minutes in rows:
        totals[(district, f"{service_date:%Y-%m}")] += int(minutes)
    return [{"district": d, "month": m, "minutes": v} for (d, m), v in sorted(totals.items(), key=lambda kv: (kv[0][1], kv[0][0]))]


def star_level_distribution(conn: Connection) -> list[dict[str, Any]]:
    """How many registered volunteers (not erased) hold each star level; no standing yet is level 0."""
    level = func.coalesce(star_levels.c.level, 0).label("level")
    rows = conn.execute(
        select(level, func.count().label("volunteers"))
        .select_from(volunteers.outerjoin(star_levels, star_levels.c.volunteer_id == volunteers.c.id))
        .where(volunteers.c.erased_at.is_(None))
        .group_by(level)
    ).all()
    counts = {int(lv): int(n) for lv, n in rows}
    return [{"level": lv, "volunteers": counts.get(lv, 0)} for lv in LEVELS]


def flows_by_month(conn: Connection) -> list[dict[str, Any]]:
    """Posted minutes per flow and Beijing month (of posting: a pending credit counts when confirmed)."""
    t = transfers.c
    rows = conn.execution_options(yield_per=2000).execute(
        select(t.kind, t.created_at, t.resolved_at, t.posted_amount).where(t.status == "posted", t.kind.in_(tuple(FLOWS.values())))
    )
    flow_of = {kind: flow for flow, kind in FLOWS.items()}
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for kind, created_at, resolved_at, amount in rows:
        month = f"{(resolved_at or created_at).astimezone(BEIJING):%Y-%m}"
        totals[(month, flow_of[kind])] += int(amount)
    order = list(FLOWS)
    return [{"month": m, "flow": f, "minutes": v} for (m, f), v in sorted(totals.items(), key=lambda kv: (kv[0][0], order.index(kv[0][1])))]
