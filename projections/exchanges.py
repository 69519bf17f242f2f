"""The exchange board (互助): members' requests for help, their offers and how each ended."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, Text, Uuid

from projections.base import Projection, event_of, handles
from projections.batch import Batch
from projections.db import UTCDateTime, metadata
from timebank.domain.exchange import Exchange

exchanges = Table(
    "exchanges",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("requester_id", Uuid, nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("district", String(40), nullable=False),
    Column("status", String(12), nullable=False),
    Column("offers_count", Integer, nullable=False),
    Column("provider_id", Uuid),
    Column("hold_transfer_id", Uuid),
    Column("paid_minutes", Integer, nullable=False),
    Column("reason", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_exchanges_board", "status", "district", "created_at"),
    Index("ix_exchanges_requester", "requester_id"),
)

offers = Table(
    "exchange_offers",
    metadata,
    Column("exchange_id", Uuid, primary_key=True),
    Column("provider_id", Uuid, primary_key=True),
    Column("offered_at", UTCDateTime, nullable=False),
    Index("ix_offers_provider", "provider_id"),
)


class Exchanges(Projection):
    name = "exchanges"
    tables = (exchanges, offers)

    def _set(self, batch: Batch, e: Any, **values: Any) -> None:
        batch.update(exchanges, e.originator_id, updated_at=e.at, **values)

    @handles(event_of(Exchange, "Requested"))
    def _requested(self, batch: Batch, e: Any) -> None:
        batch.insert(
            exchanges, dict(
                id=e.originator_id, requester_id=e.requester_id, title=e.title, description=e.description, minutes=e.minutes,
                district=e.district, status="open", offers_count=0, paid_minutes=0, created_at=e.at, updated_at=e.at,
            )
        )

    @handles(event_of(Exchange, "Offered"))
    def _offered(self, batch: Batch, e: Any) -> None:
        batch.insert(offers, dict(exchange_id=e.originator_id, provider_id=e.provider_id, offered_at=e.at))
        exchange = batch.get(exchanges, e.originator_id)
        if exchange is not None:
            self._set(batch, e, offers_count=exchange["offers_count"] + 1)

    @handles(event_of(Exchange, "Accepted"))
    def _accepted(self, batch: Batch, e: Any) -> None:
        self._set(batch, e, status="accepted", provider_id=e.provider_id, hold_transfer_id=e.hold_transfer_id)

    @handles(event_of(Exchange, "Completed"))
    def _completed(self, batch: Batch, e: Any) -> None:
        self._set(batch, e, status="completed", paid_minutes=e.minutes)

    @handles(event_of(Exchange, "Cancelled"))
    def _cancelled(self, batch: Batch, e: Any) -> None:
        self._set(batch, e, status="cancelled", reason=e.reason)
