"""Service records (服务记录): declaration, bulk entry, confirmation, rejection, correction."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor, may, require_readable
from api.errors import STATUS_OF, problem
from api.names import with_names
from api.record_import import check_import
from api.record_schemas import ConfirmationsArgs, DecisionsSchema, ImportArgs, ImportResultSchema, RejectionsArgs
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
from timebank.domain.errors import DomainError, InvalidInput, NotFound

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


CSV_BODY = {"schema": {"type": "string", "format": "binary"}}


@blp.route("/service-records/imports")
class Imports(MethodView):
    @blp.arguments(ImportArgs, location="query")
    @blp.doc(requestBody={"required": True, "description": "The CSV file (columns in api/record_import.py and the README).", "content": {
        "text/csv": CSV_BODY,
        "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
    }})
    @blp.response(201, ImportResultSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Import existing service records from CSV (organizers); every row checked, all written or none

        Columns: volunteer_number, service_date (YYYY-MM-DD), service_minutes, content, and optionally
        shift_id. The records are written as the organizer's bulk entry (confirmed). If any row is
        refused nothing is written, and the 422 answer lists every refused row (line, field, reason).
        """
        found, who = services(), actor()
        report = check_import(found.timebank, who, args["project_id"], uploaded_text())
        if report.rejected:
            return problem(422, f"{len(report.rejected)} problem(s) in the file; nothing was imported", "file", rejected=report.rejected)
        return {"ids": found.timebank.record_service_batch(who, args["project_id"], report.entries), "rows": report.rows}


def uploaded_text() -> str:
    """The CSV: a text/csv body, or the `file` part of a multipart form; UTF-8 (a BOM is fine)."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput("send the CSV as the form's `file` part", field="file")
        data = upload.read()
    else:
        data = request.get_data()
    if not data:
        raise InvalidInput("the CSV file is empty", field="file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(f"the CSV is not UTF-8 (byte {error.start})", field="file") from None


@blp.route("/service-records/confirmations")
class Confirmations(MethodView):
    @blp.arguments(ConfirmationsArgs)
    @blp.response(200, DecisionsSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Confirm up to 200 pending records at once (organizers)

        Each record is confirmed in a command of its own: one that is refused (not pending, another
        organization's, unknown) is reported with its status and reason, and the others go through.
        """
        return decisions(args["record_ids"], services().timebank.decide_records(actor(), args["record_ids"]), "confirmed")


@blp.route("/service-records/rejections")
class Rejections(MethodView):
    @blp.arguments(RejectionsArgs)
    @blp.response(200, DecisionsSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Reject up to 200 pending records at once with one reason (organizers)

        Each record is rejected in a command of its own: one that is refused is reported with its
        status and reason, and the others go through.
        """
        outcomes = services().timebank.decide_records(actor(), args["record_ids"], reject_reason=args["reason"])
        return decisions(args["record_ids"], outcomes, "rejected")


def decisions(record_ids: list[UUID], outcomes: list[DomainError | None], done: str) -> dict[str, Any]:
    """The per-record report of a bulk decision; a refusal carries the status its own request would have."""
    results = [
        {"id": record_id, "outcome": done, "status": None, "message": None} if refusal is None else
        {"id": record_id, "outcome": "refused", "message": refusal.message,
         "status": next((STATUS_OF[c] for c in type(refusal).__mro__ if c in STATUS_OF), 422)}
        for record_id, refusal in zip(record_ids, outcomes, strict=True)
    ]
    refused = sum(1 for r in results if r["outcome"] == "refused")
    return {"decided": len(results) - refused, "refused": refused, "results": results}


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
            if may("record.decide", organization_id=found["organization_id"]):
                [found] = with_names(conn, [found])
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
            if may("record.decide", organization_id=organization_id):  # its organizers see who served
                items = with_names(conn, items)
        return items
