"""Beijing's practice hierarchy (新时代文明实践): 17 district-level centers (16 districts and the
Economic-Technological Development Area), an institute (所) per street or township, a station (站)
per community or village.

The 17 centers ship with the code. Institutes and stations are registered places: imported from a
CSV file (`timebank places import`), one `DistrictPlaces` aggregate per district, so a lookup is
one cached load and an import of a whole district is one save.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.errors import InvalidInput
from timebank.domain.ids import natural_id

BEIJING_DISTRICTS = (
    "东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区", "通州区",
    "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区", "北京经济技术开发区",
)
CENTERS = {district: f"{district}新时代文明实践中心" for district in BEIJING_DISTRICTS}
SYNTHETIC_MARK = "（合成）"  # every generated street and community carries it, so nobody takes it for real


def check_district(district: str, field: str = "district") -> None:
    if district not in BEIJING_DISTRICTS:
        raise InvalidInput(f"unknown district {district!r}", field=field)


def synthetic_streets(district: str, streets: int, communities: int) -> dict[str, list[str]]:
    """Clearly synthetic institutes and stations for demo and benchmark data."""
    short = district.removesuffix("区")[:2]
    return {
        f"{short}第{s + 1:02d}街道{SYNTHETIC_MARK}": [f"{short}{s + 1:02d}街第{c + 1:02d}社区{SYNTHETIC_MARK}" for c in range(communities)]
        for s in range(streets)
    }


def hierarchy_distance(a: dict[str, str], b: dict[str, str]) -> int:
    """0 same community, 1 same street, 2 same district, 3 elsewhere in the city."""
    if a.get("district") != b.get("district"):
        return 3
    if not a.get("street") or a.get("street") != b.get("street"):
        return 2
    if not a.get("community") or a.get("community") != b.get("community"):
        return 1
    return 0


class DistrictPlaces(Aggregate):
    """The registered institutes (streets/townships) and stations (communities/villages) of one district."""

    @staticmethod
    def create_id(district: str) -> UUID:
        return natural_id("places", district)

    @event("Opened")
    def __init__(self, district: str, actor: str, at: datetime) -> None:
        self.district = district
        self.streets: dict[str, list[str]] = {}

    def register(self, streets: dict[str, Iterable[str]], actor: str, at: datetime) -> int:
        """Add institutes and stations (already known ones are skipped); returns how many are new."""
        added: dict[str, list[str]] = {}
        for street, communities in streets.items():
            if not street.strip():
                raise InvalidInput("a street needs a name", field="street")
            known = set(self.streets.get(street, ()))
            new = sorted({c for c in communities if c.strip()} - known)
            if new or street not in self.streets:
                added[street] = new
        count = sum(len(c) for c in added.values()) + sum(1 for s in added if s not in self.streets)
        if added:
            self._registered(streets=added, actor=actor, at=at)
        return count

    @event("Registered")
    def _registered(self, streets: dict[str, list[str]], actor: str, at: datetime) -> None:
        for street, communities in streets.items():
            self.streets.setdefault(street, []).extend(communities)

    def check(self, street: str | None, community: str | None, *, required: bool = False, prefix: str = "") -> None:
        """Street and community must be registered places of this district (a community needs its street)."""
        if required and not community:
            raise InvalidInput("a community (社区/村) is required", field=f"{prefix}community")
        if street and street not in self.streets:
            raise InvalidInput(f"unknown street {street!r} in {self.district}", field=f"{prefix}street")
        if community:
            if not street:
                raise InvalidInput("a community needs its street", field=f"{prefix}street")
            if community not in self.streets[street]:
                raise InvalidInput(f"unknown community {community!r} in {street}", field=f"{prefix}community")


class StationSeat(Aggregate):
    """Which organization runs a community's practice station (实践站): one for each community."""

    @staticmethod
    def create_id(district: str, street: str, community: str) -> UUID:
        return natural_id("station", f"{district}/{street}/{community}")

    @event("Designated")
    def __init__(self, district: str, street: str, community: str, organization_id: UUID, actor: str, at: datetime) -> None:
        self.organization_id = organization_id
