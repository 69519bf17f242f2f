"""The incentive catalog (礼遇): what is offered, to whom, how many are left and how many were used."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Column, Connection, Date, Index, Integer, String, Table, Text, Uuid, func, select

from projections.base import Projection, event_of, handles
from projections.batch import Batch
from projections.db import UTCDateTime, metadata
from timebank.domain.incentive import Incentive

incentives = Table(
    "incentives",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("organization_id", Uuid),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("min_star_level", Integer, nullable=False),
    Column("min_hours", Integer, nullable=False),
    Column("min_age", Integer),
    Column("cost_minutes", Integer, nullable=False),
    Column("stock", Integer, nullable=False),
    Column("redeemed", Integer, nullable=False),
    Column("used", Integer, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    Index("ix_incentives_valid", "valid_until", "published_at"),
)


class Incentives(Projection):
    name = "incentives"
    tables = (incentives,)

    @handles(event_of(Incentive, "Published"))
    def _published(self, batch: Batch, e: Any) -> None:
        batch.insert(incentives, dict(
            id=e.originator_id, organization_id=e.organization_id, title=e.title, description=e.description,
            min_star_level=e.min_star_level, min_hours=e.min_hours, min_age=e.min_age, cost_minutes=e.cost_minutes,
            stock=e.stock, redeemed=0, used=0, valid_from=e.valid_from, valid_until=e.valid_until, published_at=e.at,
        ))

    @handles(event_of(Incentive, "Redeemed"))
    def _redeemed(self, batch: Batch, e: Any) -> None:
        row = batch.get(incentives, e.originator_id)
        if row is not None:
            batch.update(incentives, e.originator_id, redeemed=row["redeemed"] + 1)

    @handles(event_of(Incentive, "RedemptionUsed"))
    def _used(self, batch: Batch, e: Any) -> None:
        row = batch.get(incentives, e.originator_id)
        if row is not None:
            batch.update(incentives, e.originator_id, used=row["used"] + 1)


def _view(row: Any) -> dict[str, Any]:
    item = dict(row._mapping)
    item["stock_left"] = item["stock"] - item["redeemed"]
    return item


def incentive(conn: Connection, incentive_id: UUID) -> dict[str, Any] | None:
    row = conn.execute(select(incentives).where(incentives.c.id == incentive_id)).first()
    return _view(row) if row else None


def incentives_page(conn: Connection, *, available_on: date | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """Newest first; with `available_on`, only those valid that day with stock left."""
    c = incentives.c
    where = [c.valid_from <= available_on, c.valid_until >= available_on, c.redeemed < c.stock] if available_on else []
    total = conn.execute(select(func.count()).select_from(incentives).where(*where)).scalar_one()
    if offset >= total:
        return [], total  # past the last page; and a huge page number would overflow the database's integers
    rows = conn.execute(select(incentives).where(*where).order_by(c.published_at.desc(), c.id).limit(limit).offset(offset))
    return [_view(r) for r in rows], total
