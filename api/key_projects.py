"""Key-project ledgers (重点工作项目台账): units register, report progress; the office checks and closes out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor, hidden
from api.office_schemas import (
    CloseOutArgs,
    CompletionArgs,
    CompletionSchema,
    HalfYearCheckArgs,
    KeyProjectListArgs,
    KeyProjectReasonArgs,
    KeyProjectSchema,
    LedgerCsvArgs,
    ProgressArgs,
    RegisterKeyProjectArgs,
)
from api.schemas import CreatedSchema, MinPositionArgs
from api.services import services
from api.streams import csv_chunks
from projections import office_queries
from timebank.domain.errors import Forbidden

blp = Blueprint("key_projects", __name__, url_prefix="/api/key-projects", description="Key-project ledgers (重点工作项目台账) of member units.")


def readable_unit(organization_id: UUID | None) -> UUID | None:
    """The office and auditors read every unit's ledger (no filter needed); a unit's organizers only their own."""
    who, app = actor(), services().timebank
    if organization_id is None:
        if not app.may_read_unit(who, None):
            raise Forbidden("pass organization_id: a unit's organizers read their own unit's ledger")
        return None
    if not app.may_read_unit(who, organization_id):
        raise hidden("member unit", organization_id, "organization_id")
    return organization_id


@blp.route("")
class KeyProjects(MethodView):
    @blp.arguments(RegisterKeyProjectArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Register a key project for a year (a member unit's organizer; the rules' quota, 2 by default)"""
        return {"id": services().timebank.register_key_project(actor(), **args)}

    @blp.arguments(KeyProjectListArgs, location="query")
    @blp.response(200, KeyProjectSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """List a year's ledger by unit, category and status (the office and auditors: all; a unit: its own)"""
        unit = readable_unit(args.get("organization_id"))
        with services().read(args.get("min_position")) as conn:
            items, pagination_parameters.item_count = office_queries.key_projects_page(
                conn, year=args["year"], organization_id=unit, category=args.get("category"), status=args.get("status"),
                limit=pagination_parameters.page_size, offset=pagination_parameters.first_item,
            )
        return items


@blp.route("/completion")
class Completion(MethodView):
    @blp.arguments(CompletionArgs, location="query")
    @blp.response(200, CompletionSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Show a year's completion: units, projects, completed and the rate (counts only, for members)"""
        actor()
        with services().read(args.get("min_position")) as conn:
            return office_queries.completion(conn, year=args["year"])


@blp.route("/ledger.csv")
class LedgerCsv(MethodView):
    @blp.arguments(LedgerCsvArgs, location="query")
    @blp.alt_response(200, success=True, description="The year's ledger as CSV (UTF-8 with a BOM, for Excel).", content_type="text/csv")
    def get(self, args: dict[str, Any]) -> Response:
        """Export a year's ledger as CSV (the office and auditors: all units; a unit: its own)"""
        unit = readable_unit(args.get("organization_id"))
        year = args["year"]
        found = services()
        with found.read(args.get("min_position")):
            pass  # waits for the position, if asked; the rows are read while streaming
        engine = found.engine

        def rows() -> Iterator[list[Any]]:
            with engine.connect() as conn:
                for line in office_queries.ledger_lines(conn, year=year, organization_id=unit):
                    yield [_cell(line[c]) for c in office_queries.LEDGER_COLUMNS]

        return Response(
            stream_with_context(csv_chunks(office_queries.LEDGER_COLUMNS, rows(), bom=True)), mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="key-projects-{year}.csv"'},
        )


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else value


@blp.route("/<uuid:project_id>")
class KeyProjectById(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, KeyProjectSchema)
    def get(self, args: dict[str, Any], project_id: UUID) -> dict[str, Any]:
        """Show a key project (the office, auditors and the unit's organizers)"""
        who = actor()
        with services().read(args.get("min_position")) as conn:
            found = office_queries.key_project(conn, project_id)
        if found is None or not services().timebank.may_read_unit(who, found["organization_id"]):
            raise hidden("key project", project_id, "project_id")
        return found


@blp.route("/<uuid:project_id>/progress")
class Progress(MethodView):
    @blp.arguments(ProgressArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any], project_id: UUID) -> dict[str, Any]:
        """Report progress (the unit's organizers)"""
        services().timebank.report_key_project_progress(actor(), project_id, args["text"])
        return {"id": project_id}


@blp.route("/<uuid:project_id>/half-year-check")
class HalfYearCheck(MethodView):
    @blp.arguments(HalfYearCheckArgs)
    @blp.response(200, CreatedSchema)
    def post(self, args: dict[str, Any], project_id: UUID) -> dict[str, Any]:
        """Record the half-year check (年中检查): findings and suggestions (the office)"""
        services().timebank.record_half_year_check(actor(), project_id, args["findings"], args["suggestions"])
        return {"id": project_id}


@blp.route("/<uuid:project_id>/close-out")
class CloseOut(MethodView):
    @blp.arguments(CloseOutArgs)
    @blp.response(200, CreatedSchema)
    def post(self, args: dict[str, Any], project_id: UUID) -> dict[str, Any]:
        """Close a project out at year end (结项): the report and its attachments' digests (the office)"""
        services().timebank.close_out_key_project(actor(), project_id, args["report"], args["attachment_digests"])
        return {"id": project_id}


@blp.route("/<uuid:project_id>/carry-over")
class CarryOver(MethodView):
    @blp.arguments(KeyProjectReasonArgs)
    @blp.response(200, CreatedSchema)
    def post(self, args: dict[str, Any], project_id: UUID) -> dict[str, Any]:
        """Carry a project over to the next year, with the reason (the office)"""
        services().timebank.carry_over_key_project(actor(), project_id, args["reason"])
        return {"id": project_id}


@blp.route("/<uuid:project_id>/close-unfinished")
class CloseUnfinished(MethodView):
    @blp.arguments(KeyProjectReasonArgs)
    @blp.response(200, CreatedSchema)
    def post(self, args: dict[str, Any], project_id: UUID) -> dict[str, Any]:
        """Close a project unfinished, with the reason (the office)"""
        services().timebank.close_key_project_unfinished(actor(), project_id, args["reason"])
        return {"id": project_id}
