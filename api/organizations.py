"""Organizations: registration, verification, organizers."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor
from api.schemas import AddOrganizerArgs, CreatedSchema, MinPositionArgs, OrganizationSchema, RegisterOrganizationArgs, StationArgs
from api.services import services
from projections import queries
from timebank.domain.errors import NotFound

blp = Blueprint("organizations", __name__, url_prefix="/api/organizations", description="Organizations (志愿团体) and their organizers.")


@blp.route("")
class Organizations(MethodView):
    @blp.arguments(RegisterOrganizationArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Register an organization; the calling volunteer becomes its first organizer"""
        return {"id": services().timebank.register_organization(actor(), **args)}


@blp.route("/<uuid:organization_id>")
class OrganizationById(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, OrganizationSchema)
    def get(self, args: dict[str, Any], organization_id: UUID) -> dict[str, Any]:
        """Show an organization"""
        actor()
        with services().read(args.get("min_position")) as conn:
            found = queries.organization(conn, organization_id)
        if found is None:
            raise NotFound(f"organization {organization_id} not found", field="organization_id")
        return found


@blp.route("/<uuid:organization_id>/verify")
class Verify(MethodView):
    @blp.response(200, CreatedSchema)
    def post(self, organization_id: UUID) -> dict[str, Any]:
        """Verify an organization (admins); only verified organizations publish projects"""
        services().timebank.verify_organization(actor(), organization_id)
        return {"id": organization_id}


@blp.route("/<uuid:organization_id>/station")
class Station(MethodView):
    @blp.arguments(StationArgs)
    @blp.response(204)
    def post(self, args: dict[str, Any], organization_id: UUID) -> None:
        """Designate a verified organization to run a registered community's practice station (admins): it then posts needs
        on behalf of that community only; one organization a station"""
        services().timebank.designate_station(actor(), organization_id, **args)


@blp.route("/<uuid:organization_id>/organizers")
class Organizers(MethodView):
    @blp.arguments(AddOrganizerArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any], organization_id: UUID) -> dict[str, Any]:
        """Add an organizer (organizers of this organization)"""
        services().timebank.add_organizer(actor(), organization_id, args["volunteer_id"])
        return {"id": args["volunteer_id"]}


@blp.route("/<uuid:organization_id>/organizers/<uuid:volunteer_id>")
class OrganizerById(MethodView):
    @blp.response(204)
    def delete(self, organization_id: UUID, volunteer_id: UUID) -> None:
        """Remove an organizer (organizers of this organization; one must remain)"""
        services().timebank.remove_organizer(actor(), organization_id, volunteer_id)
