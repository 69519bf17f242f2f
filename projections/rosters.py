"""Shifts and their rosters: who signed up, who is on site, who served how long."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Column, Connection, Index, Integer, String, Table, Uuid, insert, update

from projections.base import Projection, event_of, handles
from projections.db import UTCDateTime, metadata
from timebank.domain.shift import Shift

shifts = Table(
    "shifts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Uuid, nullable=False, index=True),
    Column("organization_id", Uuid, nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("starts_at", UTCDateTime, nullable=False, index=True),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("place", String(200), nullable=False),
    Column("required_skills", JSON, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("signed_up_count", Integer, nullable=False),
)

roster = Table(
    "shift_roster",
    metadata,
    Column("shift_id", Uuid, primary_key=True),
    Column("volunteer_id", Uuid, primary_key=True),
    Column("status", String(16), nullable=False),  # signed_up | cancelled | checked_in | checked_out
    Column("signed_up_at", UTCDateTime, nullable=False),
    Column("cancelled_at", UTCDateTime),
    Column("checked_in_at", UTCDateTime),
    Column("checked_out_at", UTCDateTime),
    Column("service_minutes", Integer),
    Column("auto_closed", Boolean, nullable=False, default=False),
    Index("ix_roster_volunteer", "volunteer_id"),
    Index("ix_roster_status", "status", "checked_in_at"),
)


class Rosters(Projection):
    name = "rosters"
    tables = (shifts, roster)

    @handles(event_of(Shift, "Scheduled"))
    def _scheduled(self, conn: Connection, e: Any) -> None:
        conn.execute(
            insert(shifts), dict(
                id=e.originator_id, project_id=e.project_id, organization_id=e.organization_id, title=e.title,
                starts_at=e.starts_at, ends_at=e.ends_at, place=e.place, required_skills=list(e.required_skills),
                capacity=e.capacity, signed_up_count=0,
            )
        )

    def _entry(self, e: Any) -> Any:
        return (roster.c.shift_id == e.originator_id) & (roster.c.volunteer_id == e.volunteer_id)

    @handles(event_of(Shift, "SignedUp"))
    def _signed_up(self, conn: Connection, e: Any) -> None:
        updated = conn.execute(
            update(roster).where(self._entry(e)).values(status="signed_up", signed_up_at=e.at, cancelled_at=None)
        ).rowcount
        if not updated:
            conn.execute(
                insert(roster), dict(
                    shift_id=e.originator_id, volunteer_id=e.volunteer_id, status="signed_up", signed_up_at=e.at, auto_closed=False
                )
            )
        conn.execute(update(shifts).where(shifts.c.id == e.originator_id).values(signed_up_count=shifts.c.signed_up_count + 1))

    @handles(event_of(Shift, "SignUpCancelled"))
    def _cancelled(self, conn: Connection, e: Any) -> None:
        conn.execute(update(roster).where(self._entry(e)).values(status="cancelled", cancelled_at=e.at))
        conn.execute(update(shifts).where(shifts.c.id == e.originator_id).values(signed_up_count=shifts.c.signed_up_count - 1))

    @handles(event_of(Shift, "CheckedIn"))
    def _checked_in(self, conn: Connection, e: Any) -> None:
        conn.execute(update(roster).where(self._entry(e)).values(status="checked_in", checked_in_at=e.checked_in_at))

    @handles(event_of(Shift, "CheckedOut"))
    def _checked_out(self, conn: Connection, e: Any) -> None:
        conn.execute(
            update(roster).where(self._entry(e)).values(
                status="checked_out", checked_out_at=e.checked_out_at, service_minutes=e.service_minutes, auto_closed=e.automatic
            )
        )
