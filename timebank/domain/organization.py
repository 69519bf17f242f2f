"""The organization (志愿团体): registered by a volunteer, verified by an admin, run by organizers."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.actors import Actor, Role
from timebank.domain.errors import Conflict, InvalidInput, RuleViolation
from timebank.domain.permissions import require


class Organization(Aggregate):
    # Read where a snapshot taken before stations existed lacks it (as Volunteer.availability).
    station: dict[str, str] | None = None

    @event("Registered")
    def __init__(
        self,
        name: str,
        district: str,
        street: str | None,
        description: str,
        registered_by: UUID,
        actor: str,
        at: datetime,
    ) -> None:
        self.name = name
        self.district = district
        self.street = street
        self.description = description
        self.registered_by = registered_by
        self.organizers: list[UUID] = [registered_by]
        self.verified = False
        self.station: dict[str, str] | None = None  # the community whose practice station (实践站) it runs

    # Queries -----------------------------------------------------------------
    def is_organizer(self, actor: Actor) -> bool:
        return actor.role is Role.VOLUNTEER and actor.id in self.organizers

    def require_organizer(self, actor: Actor) -> None:
        """谁组织谁记录: only this organization's organizers act for it."""
        require(actor, "organization.act", organizes=self.is_organizer(actor))

    def require_verified(self) -> None:
        if not self.verified:
            raise RuleViolation(
                f"organization {self.id} is not verified yet; an admin must verify it first",
                field="organization_id",
            )

    # Commands ----------------------------------------------------------------
    def verify(self, actor: Actor, at: datetime) -> None:
        require(actor, "organization.verify")
        if self.verified:
            raise Conflict(f"organization {self.id} is already verified")
        self._verified(actor=actor.ref, at=at)

    @event("Verified")
    def _verified(self, actor: str, at: datetime) -> None:
        self.verified = True

    def run_station(self, place: dict[str, str], actor: Actor, at: datetime) -> None:
        """Run the practice station (实践站) of a community of its district (admins designate it):
        it then posts needs on behalf of that community, and for no other."""
        require(actor, "station.designate")
        self.require_verified()
        if self.station is not None:
            raise Conflict(f"this organization runs the station of {self.station['community']} already", field="organization_id")
        if place["district"] != self.district:
            raise InvalidInput(f"the organization is in {self.district}: it runs a station of that district", field="district")
        self._station_designated(district=place["district"], street=place["street"], community=place["community"], actor=actor.ref, at=at)

    @event("StationDesignated")
    def _station_designated(self, district: str, street: str, community: str, actor: str, at: datetime) -> None:
        self.station = {"district": district, "street": street, "community": community}

    def require_for_its_community(self, place: dict[str, str]) -> None:
        """A station's organization posts needs on behalf of its own community only."""
        if self.station is not None and place != self.station:
            raise InvalidInput(f"this organization runs the station of {self.station['community']}: its needs are for that community",
                               field="community")

    def add_organizer(self, volunteer_id: UUID, actor: Actor, at: datetime) -> None:
        self.require_organizer(actor)
        if volunteer_id in self.organizers:
            raise Conflict(f"volunteer {volunteer_id} is already an organizer", field="volunteer_id")
        self._organizer_added(volunteer_id=volunteer_id, actor=actor.ref, at=at)

    @event("OrganizerAdded")
    def _organizer_added(self, volunteer_id: UUID, actor: str, at: datetime) -> None:
        self.organizers.append(volunteer_id)

    def remove_organizer(self, volunteer_id: UUID, actor: Actor, at: datetime) -> None:
        self.require_organizer(actor)
        if volunteer_id not in self.organizers:
            raise Conflict(f"volunteer {volunteer_id} is not an organizer", field="volunteer_id")
        if len(self.organizers) == 1:
            raise RuleViolation("an organization keeps at least one organizer", field="volunteer_id")
        self._organizer_removed(volunteer_id=volunteer_id, actor=actor.ref, at=at)

    @event("OrganizerRemoved")
    def _organizer_removed(self, volunteer_id: UUID, actor: str, at: datetime) -> None:
        self.organizers.remove(volunteer_id)
