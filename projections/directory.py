"""The directory: volunteers, organizations, organizers and projects.

A volunteer's personal data is kept as the event carries it: sealed under the volunteer's own key.
The API opens it for the few who may see it; after erasure nobody can.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, Uuid

from projections.base import Projection, event_of, handles
from projections.batch import Batch
from projections.db import UTCDateTime, metadata
from timebank.domain.organization import Organization
from timebank.domain.project import Project
from timebank.domain.volunteer import Volunteer

volunteers = Table(
    "volunteers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("volunteer_number", String(16), nullable=False, unique=True),
    Column("personal_data", Text, nullable=False),
    Column("erased_at", UTCDateTime, nullable=True),
    Column("district", String(64), nullable=False),
    Column("street", String(64), nullable=False),
    Column("community", String(64), nullable=False),
    Column("skills", JSON, nullable=False),
    Column("service_categories", JSON, nullable=False),
    Column("guardian_consent", Boolean, nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
)

organizations = Table(
    "organizations",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("district", String(64), nullable=False),
    Column("street", String(64)),
    Column("description", Text, nullable=False),
    Column("verified", Boolean, nullable=False),
    Column("registered_by", Uuid, nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("verified_at", UTCDateTime),
    # The community whose practice station it runs (in its district), if an admin designated it.
    Column("station_street", String(64)),
    Column("station_community", String(64)),
)

organizers = Table(
    "organizers",
    metadata,
    Column("organization_id", Uuid, ForeignKey("organizations.id"), primary_key=True),
    Column("volunteer_id", Uuid, primary_key=True),
    Column("added_at", UTCDateTime, nullable=False),
    Index("ix_organizers_volunteer", "volunteer_id"),
)

projects = Table(
    "projects",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("organization_id", Uuid, nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("category", String(40), nullable=False),
    Column("district", String(64), nullable=False),
    Column("street", String(64)),
    Column("community", String(64)),
    Column("person_in_charge", String(100), nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    Column("shift_count", Integer, nullable=False, default=0),
)


class Directory(Projection):
    name = "directory"
    tables = (volunteers, organizations, organizers, projects)

    @handles(event_of(Volunteer, "Registered"))
    def _volunteer_registered(self, batch: Batch, e: Any) -> None:
        batch.insert(
            volunteers, dict(
                id=e.originator_id,
                volunteer_number=e.volunteer_number,
                personal_data=e.personal_data,
                district=e.home.get("district", ""),
                street=e.home.get("street", ""),
                community=e.home.get("community", ""),
                skills=list(e.skills),
                service_categories=list(e.service_categories),
                guardian_consent=e.guardian_consent,
                registered_at=e.at,
            )
        )

    @handles(event_of(Volunteer, "PersonalDataErased"))
    def _volunteer_erased(self, batch: Batch, e: Any) -> None:
        batch.update(volunteers, e.originator_id, personal_data="", erased_at=e.at)

    @handles(event_of(Organization, "Registered"))
    def _organization_registered(self, batch: Batch, e: Any) -> None:
        batch.insert(
            organizations, dict(
                id=e.originator_id, name=e.name, district=e.district, street=e.street,
                description=e.description, verified=False, registered_by=e.registered_by, registered_at=e.at,
            )
        )
        batch.insert(organizers, dict(organization_id=e.originator_id, volunteer_id=e.registered_by, added_at=e.at))

    @handles(event_of(Organization, "Verified"))
    def _organization_verified(self, batch: Batch, e: Any) -> None:
        batch.update(organizations, e.originator_id, verified=True, verified_at=e.at)

    @handles(event_of(Organization, "StationDesignated"))
    def _station_designated(self, batch: Batch, e: Any) -> None:
        batch.update(organizations, e.originator_id, station_street=e.street, station_community=e.community)

    @handles(event_of(Organization, "OrganizerAdded"))
    def _organizer_added(self, batch: Batch, e: Any) -> None:
        batch.insert(organizers, dict(organization_id=e.originator_id, volunteer_id=e.volunteer_id, added_at=e.at))

    @handles(event_of(Organization, "OrganizerRemoved"))
    def _organizer_removed(self, batch: Batch, e: Any) -> None:
        batch.delete(organizers, (e.originator_id, e.volunteer_id))

    @handles(event_of(Project, "Published"))
    def _project_published(self, batch: Batch, e: Any) -> None:
        batch.insert(
            projects, dict(
                id=e.originator_id, organization_id=e.organization_id, name=e.name, description=e.description,
                category=e.category, district=e.district, street=e.street, community=e.community,
                person_in_charge=e.person_in_charge, published_at=e.at, shift_count=0,
            )
        )
