"""The problem list (问题清单): every problem's area, unit, status, deadline and the dates of its steps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Date, Index, Integer, String, Table, Text, Uuid

from projections.base import Projection, event_of, handles
from projections.batch import Batch
from projections.db import UTCDateTime, metadata
from timebank.domain.problems import Problem

problems = Table(
    "problems",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("organization_id", Uuid, nullable=False),
    Column("district", String(40), nullable=False),
    Column("area_level", String(12), nullable=False),
    Column("area_name", String(200), nullable=False),
    Column("category", String(100), nullable=False),
    Column("description", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("deadline", Date, nullable=False),
    Column("rectifications", Integer, nullable=False),
    Column("reopened", Integer, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("rectified_at", UTCDateTime),  # the latest rectification
    Column("closed_at", UTCDateTime),
    Column("overdue_flagged_at", UTCDateTime),
    Index("ix_problems_status_deadline", "status", "deadline"),
    Index("ix_problems_district", "district", "status"),
    Index("ix_problems_unit", "organization_id", "status"),
)


class Problems(Projection):
    name = "problems"
    tables = (problems,)

    @handles(event_of(Problem, "Recorded"))
    def _recorded(self, batch: Batch, e: Any) -> None:
        batch.insert(problems, dict(
            id=e.originator_id, organization_id=e.organization_id, district=e.district, area_level=e.area_level,
            area_name=e.area_name, category=e.category, description=e.description, status="open", deadline=e.deadline,
            rectifications=0, reopened=0, recorded_at=e.at,
        ))

    @handles(event_of(Problem, "Rectified"))
    def _rectified(self, batch: Batch, e: Any) -> None:
        row = batch.get(problems, e.originator_id)
        if row is not None:
            batch.update(problems, e.originator_id, status="rectified", rectified_at=e.at, rectifications=row["rectifications"] + 1)

    @handles(event_of(Problem, "Rechecked"))
    def _rechecked(self, batch: Batch, e: Any) -> None:
        row = batch.get(problems, e.originator_id)
        if row is None:
            return
        if e.outcome == "passed":
            batch.update(problems, e.originator_id, status="passed")
        else:
            batch.update(problems, e.originator_id, status="open", reopened=row["reopened"] + 1)

    @handles(event_of(Problem, "Closed"))
    def _closed(self, batch: Batch, e: Any) -> None:
        batch.update(problems, e.originator_id, status="closed", closed_at=e.at)

    @handles(event_of(Problem, "FlaggedOverdue"))
    def _flagged(self, batch: Batch, e: Any) -> None:
        batch.update(problems, e.originator_id, overdue_flagged_at=e.at)
