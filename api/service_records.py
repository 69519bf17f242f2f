"""Service records (服务记录): declaration, bulk entry, confirmation, rejection, correction."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor, may, require_readable
from api.schemas import (
    BatchArgs,
    BatchResultSchema,
    CorrectionArgs,
    CreatedSchema,
    DeclareServiceArgs,
    MinPositionArgs,
    ReasonArgs,
    RecordDecisionSchema,
    RecordListArgs,
    ServiceRecordSchema,
)
from api.services import services
from projections import queries
from timebank.application import BatchEntry
from timebank.domain.errors import NotFound

blp = Blueprint("service_records", __name__, url_prefix="/api", description="Service records and their life cycle.")


@blp.route("/service-records")
class ServiceRecords(MethodView):
    @blp.arguments(DeclareServiceArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Declare service hours (volunteers); pending until an organizer confirms"""
        return {"id": services().timebank.declare_service(actor(), **args)}


@blp.route("/service-records/batch")
class Batch(MethodView):
    @blp.arguments(BatchArgs)
    @blp.response(201, BatchResultSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Bulk entry of confirmed hours (organizers); all entries are recorded or none"""
        entries = [BatchEntry(**entry) for entry in args["entries"]]
        return {"ids": services().timebank.record_service_batch(actor(), args["project_id"], entries)}


@blp.route("/service-records/<uuid:record_id>")
class RecordById(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, ServiceRecordSchema)
    def get(self, args: dict[str, Any], record_id: UUID) -> dict[str, Any]:
        """Show a service record (its volunteer, the organization's organizers, auditors, admins)"""
        actor()
        with services().read(args.get("min_position")) as conn:
            found = queries.service_record(conn, record_id)
        if found is None or not may("record.read", about=found["volunteer_id"], organization_id=found["organization_id"]):
            raise NotFound(f"service record {record_id} not found", field="record_id")
        return found


@blp.route("/service-records/<uuid:record_id>/confirm")
class Confirm(MethodView):
    @blp.response(200, RecordDecisionSchema)
    def post(self, record_id: UUID) -> dict[str, Any]:
        """Confirm a pending record (organizers); its credits are posted"""
        services().timebank.confirm_record(actor(), record_id)
        return {"id": record_id, "outcome": "confirmed"}


@blp.route("/service-records/<uuid:record_id>/reject")
class Reject(MethodView):
    @blp.arguments(ReasonArgs)
    @blp.response(200, RecordDecisionSchema)
    def post(self, args: dict[str, Any], record_id: UUID) -> dict[str, Any]:
        """Reject a pending record with a reason (organizers); its pending credits are voided"""
        services().timebank.reject_record(actor(), record_id, args["reason"])
        return {"id": record_id, "outcome": "rejected"}


@blp.route("/service-records/<uuid:record_id>/corrections")
class Corrections(MethodView):
    @blp.arguments(CorrectionArgs)
    @blp.response(201, RecordDecisionSchema)
    def post(self, args: dict[str, Any], record_id: UUID) -> dict[str, Any]:
        """Correct a record's minutes

        From the record's volunteer this is a request (outcome "requested"); from an organizer of
        the organization it is applied as a new event, and credits move by a new transfer.
        """
        outcome = services().timebank.correct_record(actor(), record_id, args["service_minutes"], args["reason"])
        return {"id": record_id, "outcome": outcome}


@blp.route("/service-records/<uuid:record_id>/revoke")
class Revoke(MethodView):
    @blp.arguments(ReasonArgs)
    @blp.response(200, RecordDecisionSchema)
    def post(self, args: dict[str, Any], record_id: UUID) -> dict[str, Any]:
        """Revoke a confirmed record with a reason (organizers); its credits go back by a new transfer"""
        services().timebank.revoke_record(actor(), record_id, args["reason"])
        return {"id": record_id, "outcome": "revoked"}


@blp.route("/volunteers/<uuid:volunteer_id>/service-records")
class VolunteerRecords(MethodView):
    @blp.arguments(RecordListArgs, location="query")
    @blp.response(200, ServiceRecordSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], volunteer_id: UUID, pagination_parameters: Any) -> list[dict[str, Any]]:
        """List a volunteer's service records, newest service first"""
        require_readable("volunteer.read", "volunteer", volunteer_id, "volunteer_id", about=volunteer_id)
        min_position = args.pop("min_position", None)
        with services().read(min_position) as conn:
            items, pagination_parameters.item_count = queries.service_records_page(
                conn, volunteer_id=volunteer_id, limit=pagination_parameters.page_size,
                offset=pagination_parameters.first_item, **args,
            )
        return items


@blp.route("/organizations/<uuid:organization_id>/service-records")
class OrganizationRecords(MethodView):
    @blp.arguments(RecordListArgs, location="query")
    @blp.response(200, ServiceRecordSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], organization_id: UUID, pagination_parameters: Any) -> list[dict[str, Any]]:
        """List an organization's service records (its organizers, auditors, admins)"""
        require_readable(
            "organization.read_records", "organization", organization_id, "organization_id", organization_id=organization_id
        )
        min_position = args.pop("min_position", None)
        with services().read(min_position) as conn:
            items, pagination_parameters.item_count = queries.service_records_page(
                conn, organization_id=organization_id, limit=pagination_parameters.page_size,
                offset=pagination_parameters.first_item, **args,
            )
        return items
