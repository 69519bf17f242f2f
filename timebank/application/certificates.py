"""Service certificates (志愿服务证明): issue, revoke, verify."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from timebank.application.base import TimeBankBase, retrying
from timebank.clock import local_date
from timebank.domain.actors import Actor
from timebank.domain.certificate import ServiceCertificate, certificate_number, is_certificate_number, summarize
from timebank.domain.errors import Conflict, NotFound, RuleViolation
from timebank.domain.organization import Organization
from timebank.domain.permissions import require
from timebank.domain.service_record import ServiceRecord
from timebank.domain.volunteer import mask_id_number


class Certificates(TimeBankBase):
    """谁记录谁证明: the organization that recorded the service certifies it."""

    @retrying
    def issue_certificate(
        self, actor: Actor, volunteer_id: UUID, organization_id: UUID, record_ids: list[UUID], person_in_charge: str | None = None,
    ) -> str:
        """Issue a certificate of the volunteer's confirmed records at the organization; returns its number."""
        organization = self._get(Organization, organization_id, "organization_id", "organization", read_only=True)
        require(actor, "certificate.issue", field="organization_id", organizes=organization.is_organizer(actor))
        volunteer = self.get_volunteer(volunteer_id)
        personal = self.personal_data_of(volunteer)
        if personal is None:
            raise RuleViolation("this volunteer's personal data was erased; no certificate can name them", field="volunteer_id")
        unique = list(dict.fromkeys(record_ids))
        records = [self._get(ServiceRecord, r, "record_ids", "service record", read_only=True) for r in unique]
        certified = summarize(records, volunteer_id, organization_id)
        now = self._now()
        issue_date = local_date(now)
        number = certificate_number(organization_id, volunteer_id, unique, issue_date)
        if self._find_certificate(number) is not None:
            raise Conflict(f"certificate {number} already certifies these records today", field="record_ids", number=number)
        holder = self.vault.seal(volunteer_id, {
            "name": personal.get("name", ""), "id_type": personal.get("id_type", ""),
            "id_number_masked": mask_id_number(str(personal.get("id_number", ""))),
        })
        certificate = ServiceCertificate(
            number=number, volunteer_id=volunteer_id, volunteer_number=volunteer.volunteer_number, holder=holder,
            organization_id=organization_id, organization_name=organization.name,
            person_in_charge=person_in_charge or certified.person_in_charge, record_ids=unique,
            total_service_minutes=certified.total_service_minutes, content=certified.content,
            first_service_date=certified.first_service_date, last_service_date=certified.last_service_date,
            issue_date=issue_date, actor=str(actor), at=now,
        )
        self.save(certificate)
        return number

    @retrying
    def revoke_certificate(self, actor: Actor, number: str, reason: str) -> None:
        certificate = self.certificate(number)
        require(actor, "certificate.revoke", field="number", organizes=self.is_organizer(actor, certificate.organization_id))
        certificate.revoke(reason, actor=str(actor), at=self._now())
        self.save(certificate)

    def certificate(self, number: str) -> ServiceCertificate:
        found = self._find_certificate(number)
        if found is None:
            raise NotFound(f"no certificate numbered {number}", field="number")
        return found

    def certificate_holder(self, certificate: ServiceCertificate) -> dict[str, Any] | None:
        """Name, ID type and masked ID number as certified; None once the volunteer's data was erased."""
        return self.vault.open(certificate.volunteer_id, certificate.holder)

    def _find_certificate(self, number: str) -> ServiceCertificate | None:
        if not is_certificate_number(number):
            return None
        try:
            found: Any = self.repository.get(ServiceCertificate.create_id(number))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, ServiceCertificate) else None
