"""Projects and their shifts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor
from api.matching_schemas import ProjectSearchArgs
from api.schemas import AddShiftArgs, CreatedSchema, MinPositionArgs, ProjectSchema, PublishProjectArgs, ShiftSummarySchema
from api.services import services
from projections import matching_queries, queries
from timebank.domain.errors import NotFound
from timebank.domain.permissions import require

blp = Blueprint("projects", __name__, url_prefix="/api/projects", description="Projects (项目) and shifts (岗位/班次).")


@blp.route("")
class Projects(MethodView):
    @blp.arguments(PublishProjectArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Publish a project (organizers of a verified organization)"""
        return {"id": services().timebank.publish_project(actor(), **args)}

    @blp.arguments(ProjectSearchArgs, location="query")
    @blp.response(200, ProjectSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """List projects by place, category, organization and text, newest first"""
        require(actor(), "project.read")
        with services().read(args.pop("min_position", None)) as conn:
            items, pagination_parameters.item_count = matching_queries.projects_page(
                conn, limit=pagination_parameters.page_size, offset=pagination_parameters.first_item, **args
            )
        return items


@blp.route("/<uuid:project_id>")
class ProjectById(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, ProjectSchema)
    def get(self, args: dict[str, Any], project_id: UUID) -> dict[str, Any]:
        """Show a project"""
        actor()
        with services().read(args.get("min_position")) as conn:
            found = queries.project(conn, project_id)
        if found is None:
            raise NotFound(f"project {project_id} not found", field="project_id")
        return found


@blp.route("/<uuid:project_id>/shifts")
class ProjectShifts(MethodView):
    @blp.arguments(AddShiftArgs)
    @blp.response(201, CreatedSchema)
    def post(self, args: dict[str, Any], project_id: UUID) -> dict[str, Any]:
        """Add a shift to a project (organizers)"""
        return {"id": services().timebank.add_shift(actor(), project_id, **args)}

    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, ShiftSummarySchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], project_id: UUID, pagination_parameters: Any) -> list[dict[str, Any]]:
        """List a project's shifts, by start time"""
        actor()
        with services().read(args.get("min_position")) as conn:
            items, pagination_parameters.item_count = queries.shifts_of_project(
                conn, project_id, pagination_parameters.page_size, pagination_parameters.first_item
            )
        return items
