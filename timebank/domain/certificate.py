"""The service certificate (志愿服务证明): a numbered, verifiable statement of confirmed service.

Issued free by the organization that recorded the service (谁记录谁证明), from its confirmed
records of one volunteer: name, ID type and masked number (sealed under the volunteer's key, so
erasure removes them from the certificate too), volunteer number, total minutes and content,
issuing organization, person in charge, number and issue date. Anyone holding the number can
verify it; the organization's organizers can revoke it with a reason. Never edited.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.errors import Conflict, InvalidInput, RuleViolation
from timebank.domain.ids import natural_id
from timebank.domain.service_record import CONFIRMED

CURRENT, REVOKED = "current", "revoked"
NUMBER_PREFIX = "ZM"  # 证明
NUMBER_LENGTH = len(NUMBER_PREFIX) + 8 + 12


def certificate_number(organization_id: UUID, volunteer_id: UUID, record_ids: Sequence[UUID], issue_date: date) -> str:
    """ZM + issue date + 12 base32 characters of a digest of what it certifies: the same request on
    the same day makes the same number (a second issue conflicts), and numbers cannot be enumerated."""
    material = "/".join([str(organization_id), str(volunteer_id), *sorted(str(r) for r in record_ids), issue_date.isoformat()])
    code = base64.b32encode(hashlib.sha256(material.encode()).digest()).decode()[:12]
    return f"{NUMBER_PREFIX}{issue_date:%Y%m%d}{code}"


def is_certificate_number(text: str) -> bool:
    return len(text) == NUMBER_LENGTH and text.startswith(NUMBER_PREFIX) and text[2:10].isdigit() and text[10:].isalnum() and text.isupper()


@dataclass(frozen=True)
class Certified:
    """What a certificate states about the service, summed from the records it certifies."""

    total_service_minutes: int
    content: list[str]  # one line per activity: date, activity, content, minutes
    first_service_date: date
    last_service_date: date
    person_in_charge: str


def summarize(records: Sequence[Any], volunteer_id: UUID, organization_id: UUID) -> Certified:
    """Check that every record is the volunteer's, made by this organization and confirmed, and sum them up."""
    if not records:
        raise InvalidInput("name at least one confirmed service record", field="record_ids")
    for record in records:
        if record.volunteer_id != volunteer_id or record.organization_id != organization_id:
            raise InvalidInput(f"record {record.id} is not this volunteer's service for this organization", field="record_ids")
        if record.status != CONFIRMED:
            raise RuleViolation(f"record {record.id} is {record.status}; only confirmed service is certified", field="record_ids")
    ordered = sorted(records, key=lambda r: (r.service_date, str(r.id)))
    return Certified(
        total_service_minutes=sum(r.service_minutes for r in ordered),
        content=[f"{r.service_date.isoformat()} {r.activity}: {r.content} ({r.service_minutes} min)" for r in ordered],
        first_service_date=ordered[0].service_date,
        last_service_date=ordered[-1].service_date,
        person_in_charge=ordered[-1].person_in_charge,
    )


class ServiceCertificate(Aggregate):
    @staticmethod
    def create_id(number: str) -> UUID:
        return natural_id("certificate", number)

    @event("Issued")
    def __init__(
        self,
        number: str,
        volunteer_id: UUID,
        volunteer_number: str,
        holder: str,  # sealed under the volunteer's key: name, ID type, masked ID number
        organization_id: UUID,
        organization_name: str,
        person_in_charge: str,
        record_ids: list[UUID],
        total_service_minutes: int,
        content: list[str],
        first_service_date: date,
        last_service_date: date,
        issue_date: date,
        actor: str,
        at: datetime,
    ) -> None:
        self.number = number
        self.volunteer_id = volunteer_id
        self.volunteer_number = volunteer_number
        self.holder = holder
        self.organization_id = organization_id
        self.organization_name = organization_name
        self.person_in_charge = person_in_charge
        self.record_ids = record_ids
        self.total_service_minutes = total_service_minutes
        self.content = content
        self.first_service_date = first_service_date
        self.last_service_date = last_service_date
        self.issue_date = issue_date
        self.issued_by = actor
        self.issued_at = at
        self.status = CURRENT
        self.revocation_reason: str | None = None
        self.revoked_at: datetime | None = None

    def revoke(self, reason: str, actor: str, at: datetime) -> None:
        if self.status == REVOKED:
            raise Conflict(f"certificate {self.number} is already revoked", field="number")
        if not reason.strip():
            raise InvalidInput("a revocation needs a reason", field="reason")
        self._revoked(reason=reason.strip(), actor=actor, at=at)

    @event("Revoked")
    def _revoked(self, reason: str, actor: str, at: datetime) -> None:
        self.status = REVOKED
        self.revocation_reason = reason
        self.revoked_at = at
