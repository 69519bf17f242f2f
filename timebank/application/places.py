"""Use cases of the practice hierarchy: registering institutes and stations, reading them back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from timebank.application.base import TimeBankBase, retrying
from timebank.domain.actors import Actor
from timebank.domain.errors import Conflict
from timebank.domain.permissions import require
from timebank.domain.places import BEIJING_DISTRICTS, DistrictPlaces, StationSeat, check_district


class Places(TimeBankBase):
    """Institutes (streets/townships) and stations (communities/villages) of the 17 districts."""

    @retrying
    def register_places(self, actor: Actor, rows: Iterable[tuple[str, str, str]]) -> int:
        """Register (district, street, community) rows, all districts in one save; returns how many
        places are new. Known places are skipped, so an import can be run again."""
        require(actor, "places.register")
        by_district: dict[str, dict[str, set[str]]] = {}
        for index, (district, street, community) in enumerate(rows):
            check_district(district, f"rows.{index}.district")
            communities = by_district.setdefault(district, {}).setdefault(street.strip(), set())
            if community.strip():
                communities.add(community.strip())
        now = self._now()
        changed, added = [], 0
        for district, streets in by_district.items():
            places = self._district_places(district, actor.ref, now)
            added += places.register(dict(streets), actor.ref, now)
            changed.append(places)
        self.save(*changed)
        return added

    @retrying
    def designate_station(self, actor: Actor, organization_id: UUID, *, district: str, street: str, community: str) -> None:
        """The verified organization runs the practice station of a registered community of its
        district (one organization a station, one station an organization)."""
        require(actor, "station.designate")
        self._check_place(district, street, community, required=True)
        if StationSeat.create_id(district, street, community) in self.repository:
            raise Conflict(f"the station of {community} is run by another organization", field="community")
        organization = self.get_organization(organization_id)
        now = self._now()
        organization.run_station({"district": district, "street": street, "community": community}, actor, now)
        seat = StationSeat(district=district, street=street, community=community, organization_id=organization_id, actor=actor.ref, at=now)
        self.save(organization, seat)

    def _district_places(self, district: str, actor: str, at: datetime) -> DistrictPlaces:
        return self._get_or_new(
            DistrictPlaces, DistrictPlaces.create_id(district), lambda: DistrictPlaces(district=district, actor=actor, at=at)
        )

    def places_of(self, district: str) -> dict[str, list[str]]:
        """The registered streets of a district, each with its communities."""
        check_district(district)
        try:
            places: Any = self.repository.get(DistrictPlaces.create_id(district), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return {}
        return {street: list(communities) for street, communities in places.streets.items()}

    def districts(self) -> tuple[str, ...]:
        return BEIJING_DISTRICTS
