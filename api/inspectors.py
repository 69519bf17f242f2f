"""Inspectors (督查): volunteers the civilization office appoints to record and re-check problems."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor
from api.office_schemas import AppointInspectorArgs
from api.schemas import CreatedSchema
from api.services import services

blp = Blueprint("inspectors", __name__, url_prefix="/api/inspectors", description="Inspectors (督查) of the problem lists.")


@blp.route("")
class Inspectors(MethodView):
    @blp.arguments(AppointInspectorArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Appoint a volunteer inspector (the office: admins); returns the volunteer's id"""
        services().timebank.appoint_inspector(actor(), args["volunteer_id"])
        return {"id": args["volunteer_id"]}


@blp.route("/<uuid:volunteer_id>")
class InspectorById(MethodView):
    @blp.response(204)
    def delete(self, volunteer_id: UUID) -> None:
        """Dismiss an inspector (the office: admins)"""
        services().timebank.dismiss_inspector(actor(), volunteer_id)
