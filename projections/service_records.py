"""Service records as organizers and volunteers list them: one row per record, current state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Date, Index, Integer, String, Table, Text, Uuid

from projections.base import Projection, event_of, handles
from projections.batch import Batch
from projections.db import UTCDateTime, metadata
from timebank.domain.service_record import ServiceRecord

service_records = Table(
    "service_records",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("volunteer_id", Uuid, nullable=False),
    Column("organization_id", Uuid, nullable=False),
    Column("project_id", Uuid, nullable=False),
    Column("shift_id", Uuid),
    Column("activity", String(400), nullable=False),
    Column("category", String(40), nullable=False),
    Column("service_date", Date, nullable=False),
    Column("place", String(200), nullable=False),
    Column("content", Text, nullable=False),
    Column("service_minutes", Integer, nullable=False),
    Column("person_in_charge", String(100), nullable=False),
    Column("source", String(20), nullable=False),
    Column("status", String(16), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("confirmation_deadline", Date),
    Column("flags", JSON, nullable=False),
    Column("credited_minutes", Integer, nullable=False),
    Column("pending_credit_minutes", Integer, nullable=False),
    Column("rules_version", String(40), nullable=False),
    Column("decided_at", UTCDateTime),
    Column("decided_by", String(80)),
    Column("reason", Text),
    Column("requested_minutes", Integer),
    Column("requested_reason", Text),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_records_volunteer", "volunteer_id", "service_date"),
    Index("ix_records_organization", "organization_id", "status", "service_date"),
    Index("ix_records_status_deadline", "status", "confirmation_deadline"),
)


# A final decision closes any open correction request.
CLOSED = {"requested_minutes": None, "requested_reason": None}


class ServiceRecords(Projection):
    name = "service_records"
    tables = (service_records,)

    def _set(self, batch: Batch, e: Any, **values: Any) -> None:
        batch.update(service_records, e.originator_id, updated_at=e.at, **values)

    @handles(event_of(ServiceRecord, "Recorded"))
    def _recorded(self, batch: Batch, e: Any) -> None:
        confirmed = e.status == "confirmed"
        batch.insert(
            service_records, dict(
                id=e.originator_id, volunteer_id=e.volunteer_id, organization_id=e.organization_id,
                project_id=e.project_id, shift_id=e.shift_id, activity=e.activity, category=e.category,
                service_date=e.service_date, place=e.place, content=e.content, service_minutes=e.service_minutes,
                person_in_charge=e.person_in_charge, source=e.source, status=e.status, recorded_at=e.at,
                confirmation_deadline=e.confirmation_deadline, flags=list(e.flags),
                credited_minutes=e.credit_minutes if confirmed else 0,
                pending_credit_minutes=0 if confirmed else e.credit_minutes,
                rules_version=e.rules_version, decided_at=e.at if confirmed else None,
                decided_by=e.actor if confirmed else None, updated_at=e.at,
            )
        )

    @handles(event_of(ServiceRecord, "Confirmed"))
    def _confirmed(self, batch: Batch, e: Any) -> None:
        record = batch.get(service_records, e.originator_id)
        if record is not None:
            self._set(batch, e, status="confirmed", decided_at=e.at, decided_by=e.actor,
                      credited_minutes=record["credited_minutes"] + record["pending_credit_minutes"], pending_credit_minutes=0)

    @handles(event_of(ServiceRecord, "Rejected"))
    def _rejected(self, batch: Batch, e: Any) -> None:
        self._set(batch, e, status="rejected", decided_at=e.at, decided_by=e.actor, reason=e.reason, pending_credit_minutes=0, **CLOSED)

    @handles(event_of(ServiceRecord, "Expired"))
    def _expired(self, batch: Batch, e: Any) -> None:
        self._set(batch, e, status="expired", decided_at=e.at, decided_by=e.actor, pending_credit_minutes=0, **CLOSED)

    @handles(event_of(ServiceRecord, "CorrectionRequested"))
    def _correction_requested(self, batch: Batch, e: Any) -> None:
        self._set(batch, e, requested_minutes=e.proposed_minutes, requested_reason=e.reason)

    @handles(event_of(ServiceRecord, "Corrected"))
    def _corrected(self, batch: Batch, e: Any) -> None:
        record = batch.get(service_records, e.originator_id)
        if record is None:
            return
        credit = {"pending_credit_minutes": e.credit_minutes} if record["status"] == "pending" else {"credited_minutes": e.credit_minutes}
        self._set(batch, e, service_minutes=e.service_minutes, requested_minutes=None, requested_reason=None, **credit)

    @handles(event_of(ServiceRecord, "Revoked"))
    def _revoked(self, batch: Batch, e: Any) -> None:
        self._set(batch, e, status="revoked", decided_at=e.at, decided_by=e.actor, reason=e.reason, credited_minutes=0, **CLOSED)
