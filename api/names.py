"""Names for the organizers: volunteer number, name and masked phone, opened from the vault."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Connection

from api.services import services
from projections import queries
from timebank.domain.volunteer import mask_phone


def with_names(conn: Connection, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each item (a roster line, a service record) with its volunteer's number, name and masked phone.
    Only for readers the rules let see them (the organization's organizers); nothing once erased."""
    people = queries.roster_people(conn, list({item["volunteer_id"] for item in items}))
    return [with_name(item, people.get(item["volunteer_id"])) for item in items]


def with_name(item: dict[str, Any], person: dict[str, Any] | None) -> dict[str, Any]:
    personal = None
    if person is not None and not person["erased_at"]:
        personal = services().timebank.vault.open(_id(item["volunteer_id"]), person["personal_data"])
    return {**item, "volunteer_number": person["volunteer_number"] if person else None,
            "name": personal["name"] if personal else None, "phone_masked": mask_phone(personal["phone"]) if personal else None}


def _id(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
