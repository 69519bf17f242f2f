"""An aggregate's history: every event, its actor and time, personal data masked."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor
from api.schemas import EventSchema, MinPositionArgs
from api.services import services

blp = Blueprint("aggregates", __name__, url_prefix="/api/aggregates", description="Event histories, for owners, organizers, auditors and admins.")

_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}


def _plain(value: Any) -> Any:
    if isinstance(value, (UUID, date, datetime)):
        return value.isoformat() if not isinstance(value, UUID) else str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _masked(data: dict[str, Any]) -> dict[str, Any]:
    """Personal data is sealed in the events; the history says so rather than show ciphertext."""
    if "personal_data" in data:
        data["personal_data"] = "(sealed)" if data["personal_data"] else "(erased)"
    return data


def describe(event: Any) -> dict[str, Any]:
    data = {k: v for k, v in vars(event).items() if k not in _ENVELOPE}
    return {
        "version": event.originator_version,
        "type": type(event).__qualname__,
        "timestamp": event.timestamp,
        "actor": getattr(event, "actor", None),
        "data": _masked(_plain(data)),
    }


@blp.route("/<uuid:aggregate_id>/events")
class AggregateEvents(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, EventSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], aggregate_id: UUID, pagination_parameters: Any) -> list[dict[str, Any]]:
        """List an aggregate's events, oldest first, each with its actor

        Like every read it takes min_position; the history comes from the event log itself, always current.
        """
        events = services().timebank.history(actor(), aggregate_id)
        pagination_parameters.item_count = len(events)
        first = pagination_parameters.first_item
        return [describe(e) for e in events[first : first + pagination_parameters.page_size]]
