"""Volunteers: registration and profile."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor, public, require_readable
from api.matching_schemas import SupplyArgs, SupplySchema
from api.schemas import MinPositionArgs, RegisterVolunteerArgs, RegistrationSchema, VolunteerSchema
from api.services import services
from projections import queries
from timebank.domain.errors import NotFound
from timebank.domain.volunteer import mask_id_number, mask_phone

blp = Blueprint("volunteers", __name__, url_prefix="/api/volunteers", description="Volunteers (志愿者): real-name registration.")


@blp.route("")
class Volunteers(MethodView):
    @public  # registering is how a volunteer gets a token
    @blp.arguments(RegisterVolunteerArgs)
    @blp.response(201, RegistrationSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Register a volunteer (one person, one account)

        No token needed. Returns the volunteer number and the volunteer's access token, once.
        """
        args.pop("privacy_consent")  # required true by the schema; the Registered event records it
        reg = services().timebank.register_volunteer(**args)
        return {"id": reg.volunteer_id, "volunteer_number": reg.volunteer_number, "access_token": reg.access_token}


@blp.route("/<uuid:volunteer_id>")
class VolunteerById(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, VolunteerSchema)
    def get(self, args: dict[str, Any], volunteer_id: UUID) -> dict[str, Any]:
        """Show a volunteer (themself, auditors, admins)"""
        require_readable("volunteer.read", "volunteer", volunteer_id, "volunteer_id", about=volunteer_id)
        with services().read(args.get("min_position")) as conn:
            found = queries.volunteer(conn, volunteer_id)
        if found is None:
            raise NotFound(f"volunteer {volunteer_id} not found", field="volunteer_id")
        return with_personal_data(found)


@blp.route("/<uuid:volunteer_id>/personal-data")
class PersonalData(MethodView):
    @blp.response(204)
    def delete(self, volunteer_id: UUID) -> None:
        """Erase a volunteer's personal data (PIPL): the volunteer themself or an admin

        Destroys the key their name, ID number, phone and birth date are sealed with, so they are
        unreadable everywhere, past events included. Hours, balances and the audit trail remain.
        Repeating it is harmless.
        """
        services().timebank.erase_personal_data(actor(), volunteer_id)


def with_personal_data(row: dict[str, Any]) -> dict[str, Any]:
    """Open the sealed personal data of a directory row, masking the ID number and the phone."""
    sealed = row.pop("personal_data", None)
    personal = None if row.get("erased_at") else services().timebank.vault.open(row["id"], sealed)
    row["erased"] = personal is None
    fields = ("name", "sex", "birth_date", "id_type")
    row.update({f: (personal or {}).get(f) for f in fields})
    row["id_number_masked"] = mask_id_number(personal["id_number"]) if personal else None
    row["phone_masked"] = mask_phone(personal["phone"]) if personal else None
    return row


@blp.route("/<uuid:volunteer_id>/availability")
class Availability(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, SupplySchema)
    def get(self, args: dict[str, Any], volunteer_id: UUID) -> dict[str, Any]:
        """Show what a volunteer offers: weekly windows, a weekly-hours cap, places, skills (themself, auditors, admins)"""
        require_readable("volunteer.read", "volunteer", volunteer_id, "volunteer_id", about=volunteer_id)
        return services().timebank.supply_of(actor(), volunteer_id)

    @blp.arguments(SupplyArgs)
    @blp.response(200, SupplySchema)
    def put(self, args: dict[str, Any], volunteer_id: UUID) -> dict[str, Any]:
        """State what you offer (供给): weekly windows (Beijing time), a weekly-hours cap, preferred places, skills"""
        services().timebank.offer_supply(actor(), volunteer_id, **args)
        return services().timebank.supply_of(actor(), volunteer_id)
