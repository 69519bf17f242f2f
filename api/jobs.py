"""The clock's jobs (admins and auditors): what each does, when it runs next, and how its last run went."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.auth import actor
from api.clock import job_statuses
from api.schemas import MinPositionArgs, d
from api.services import services
from timebank.domain.permissions import require

blp = Blueprint("jobs", __name__, url_prefix="/api/admin/jobs", description="Scheduled jobs of the clock, for admins and auditors.")


class JobSchema(Schema):
    name = fields.Str(required=True, metadata=d("The job's name, as in the schedule (api/clock.py)."))
    description = fields.Str(required=True, metadata=d("What the job does."))
    trigger = fields.Str(required=True, metadata=d("When it runs: the APScheduler trigger and its arguments, Beijing time."))
    next_run_at = fields.AwareDateTime(allow_none=True, metadata=d("When the active clock runs it next; null before any clock ran."))
    last_started_at = fields.AwareDateTime(allow_none=True, metadata=d("When its last run started (null: never ran)."))
    last_finished_at = fields.AwareDateTime(allow_none=True, metadata=d("When its last run ended (null while running)."))
    last_result = fields.Int(allow_none=True, metadata=d("What the last run did: how many objects it changed."))
    last_error = fields.Str(allow_none=True, metadata=d("The error the last run raised, if it failed."))
    runs = fields.Int(required=True, metadata=d("How many times it has run."))


@blp.route("")
class Jobs(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, JobSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """List the scheduled jobs with their next and last run and result (admins, auditors)"""
        require(actor(), "jobs.read")
        statuses = job_statuses(services())
        pagination_parameters.item_count = len(statuses)
        first = pagination_parameters.first_item
        return statuses[first:first + pagination_parameters.page_size]
