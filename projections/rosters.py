"""Shifts and their rosters: who signed up, who is on site, who served how long."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Column, Index, Integer, String, Table, Uuid

from projections.base import Projection, event_of, handles
from projections.batch import Batch
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
    def _scheduled(self, batch: Batch, e: Any) -> None:
        batch.insert(
            shifts, dict(
                id=e.originator_id, project_id=e.project_id, organization_id=e.organization_id, title=e.title,
                starts_at=e.starts_at, ends_at=e.ends_at, place=e.place, required_skills=list(e.required_skills),
                capacity=e.capacity, signed_up_count=0,
            )
        )

    @handles(event_of(Shift, "CapacityChanged"))
    def _capacity_changed(self, batch: Batch, e: Any) -> None:
        batch.update(shifts, e.originator_id, capacity=e.capacity)

    @handles(event_of(Shift, "Rescheduled"))
    def _rescheduled(self, batch: Batch, e: Any) -> None:
        batch.update(shifts, e.originator_id, starts_at=e.starts_at, ends_at=e.ends_at)

    def _count(self, batch: Batch, e: Any, change: int) -> None:
        shift = batch.get(shifts, e.originator_id)
        if shift is not None:
            batch.update(shifts, e.originator_id, signed_up_count=shift["signed_up_count"] + change)

    @handles(event_of(Shift, "SignedUp"))
    def _signed_up(self, batch: Batch, e: Any) -> None:
        key = (e.originator_id, e.volunteer_id)
        if batch.get(roster, key) is not None:
            batch.update(roster, key, status="signed_up", signed_up_at=e.at, cancelled_at=None)
        else:
            batch.insert(
                roster, dict(shift_id=e.originator_id, volunteer_id=e.volunteer_id, status="signed_up", signed_up_at=e.at, auto_closed=False)
            )
        self._count(batch, e, +1)

    @handles(event_of(Shift, "SignUpCancelled"))
    def _cancelled(self, batch: Batch, e: Any) -> None:
        batch.update(roster, (e.originator_id, e.volunteer_id), status="cancelled", cancelled_at=e.at)
        self._count(batch, e, -1)

    @handles(event_of(Shift, "CheckedIn"))
    def _checked_in(self, batch: Batch, e: Any) -> None:
        batch.update(roster, (e.originator_id, e.volunteer_id), status="checked_in", checked_in_at=e.checked_in_at)

    @handles(event_of(Shift, "CheckedOut"))
    def _checked_out(self, batch: Batch, e: Any) -> None:
        batch.update(
            roster, (e.originator_id, e.volunteer_id),
            status="checked_out", checked_out_at=e.checked_out_at, service_minutes=e.service_minutes, auto_closed=e.automatic,
        )
