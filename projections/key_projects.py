"""The key-project ledger (重点工作项目台账): member units and their projects of each year, with status."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, Uuid

from projections.base import Projection, event_of, handles
from projections.batch import Batch
from projections.db import UTCDateTime, metadata
from timebank.domain.key_projects import KeyProject, MemberUnit

member_units = Table(
    "member_units",
    metadata,
    Column("organization_id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("district", String(40), nullable=False),
    Column("designated_at", UTCDateTime, nullable=False),
)

key_projects = Table(
    "key_projects",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("organization_id", Uuid, nullable=False),
    Column("year", Integer, nullable=False),
    Column("category", String(20), nullable=False),
    Column("title", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("progress_reports", Integer, nullable=False),
    Column("half_year_checked_at", UTCDateTime),
    Column("attachments", Integer, nullable=False),
    Column("reason", String(2000)),
    Column("rules_version", String(64), nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),  # closed out, carried over or closed unfinished
    Index("ix_key_projects_year_unit", "year", "organization_id"),
    Index("ix_key_projects_year_category", "year", "category", "status"),
)


class KeyProjects(Projection):
    name = "key_projects"
    tables = (member_units, key_projects)

    @handles(event_of(MemberUnit, "Designated"))
    def _designated(self, batch: Batch, e: Any) -> None:
        batch.insert(member_units, dict(organization_id=e.organization_id, name=e.name, district=e.district, designated_at=e.at))

    @handles(event_of(KeyProject, "Registered"))
    def _registered(self, batch: Batch, e: Any) -> None:
        batch.insert(key_projects, dict(
            id=e.originator_id, organization_id=e.organization_id, year=e.year, category=e.category, title=e.title,
            status="in_progress", progress_reports=0, attachments=0, rules_version=e.rules_version, registered_at=e.at,
        ))

    @handles(event_of(KeyProject, "ProgressReported"))
    def _progress(self, batch: Batch, e: Any) -> None:
        row = batch.get(key_projects, e.originator_id)
        if row is not None:
            batch.update(key_projects, e.originator_id, progress_reports=row["progress_reports"] + 1)

    @handles(event_of(KeyProject, "HalfYearChecked"))
    def _checked(self, batch: Batch, e: Any) -> None:
        batch.update(key_projects, e.originator_id, half_year_checked_at=e.at)

    @handles(event_of(KeyProject, "ClosedOut"))
    def _closed_out(self, batch: Batch, e: Any) -> None:
        batch.update(key_projects, e.originator_id, status="completed", attachments=len(e.attachment_digests), ended_at=e.at)

    @handles(event_of(KeyProject, "CarriedOver"))
    def _carried_over(self, batch: Batch, e: Any) -> None:
        batch.update(key_projects, e.originator_id, status="carried_over", reason=e.reason, ended_at=e.at)

    @handles(event_of(KeyProject, "ClosedUnfinished"))
    def _unfinished(self, batch: Batch, e: Any) -> None:
        batch.update(key_projects, e.originator_id, status="unfinished", reason=e.reason, ended_at=e.at)
