"""The event feed for auditors: stored events in commit order, decoded, with actor, time and type.

Personal data is sealed in the events and stays so here; the events of credentials, identity
claims and access tokens show their type, actor and time but not their data (hashes of secrets
are nobody's to read, as in the aggregate histories).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Mapper

WITHHELD_MODULES = ("timebank.domain.access:", "timebank.domain.credentials:")
WITHHELD_CLASSES = ("timebank.domain.volunteer:IdentityClaim.", "timebank.domain.volunteer:VolunteerNumberClaim.")
_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def event_data(topic: str, event: Any) -> dict[str, Any] | None:
    """The event's own fields, personal data shown only as sealed or erased; None where withheld."""
    if topic.startswith(WITHHELD_MODULES) or topic.startswith(WITHHELD_CLASSES):
        return None
    data = {k: v for k, v in vars(event).items() if k not in _ENVELOPE}
    if "personal_data" in data:
        data["personal_data"] = "(sealed)" if data["personal_data"] else "(erased)"
    if "holder" in data:  # a certificate's holder, sealed under the volunteer's key
        data["holder"] = "(sealed)"
    return _plain(data)


def describe(position: int, topic: str, event: Any) -> dict[str, Any]:
    return {
        "position": position,
        "aggregate_id": str(event.originator_id),
        "version": event.originator_version,
        "type": type(event).__qualname__,
        "topic": topic,
        "timestamp": event.timestamp,
        "actor": getattr(event, "actor", None),
        "data": event_data(topic, event),
    }


def scan(
    recorder: ApplicationRecorder, mapper: Mapper[Any], *, after: int = 0, stop: int | None = None, page: int = 1000,
) -> Iterator[tuple[int, str, Any]]:
    """(position, topic, event) of every stored event after `after` (up to `stop`), in commit order, streamed."""
    while True:
        notifications = recorder.select_notifications(after, page, stop=stop, inclusive_of_start=False)
        for n in notifications:
            yield n.id, n.topic, mapper.to_domain_event(n)
        if len(notifications) < page:
            return
        after = notifications[-1].id


def feed(
    recorder: ApplicationRecorder, mapper: Mapper[Any], *, after: int = 0, limit: int = 100, type: str | None = None,  # noqa: A002
    aggregate_id: UUID | None = None, since: datetime | None = None, until: datetime | None = None, scan_limit: int = 10_000,
) -> tuple[list[dict[str, Any]], int | None]:
    """Up to `limit` matching events after position `after`, and the `after` of the next page (None at the end).

    At most `scan_limit` stored events are read per call, so a filter that matches rarely still
    answers promptly; the next `after` then continues from where the scan stopped.
    """
    head = recorder.max_notification_id() or 0
    found: list[dict[str, Any]] = []
    last = after
    for scanned, (position, topic, event) in enumerate(scan(recorder, mapper, after=after, stop=head, page=min(1000, scan_limit)), 1):
        last = position
        if (
            (aggregate_id is None or event.originator_id == aggregate_id)
            and (type is None or type in (topic, type_name(topic)))
            and (since is None or event.timestamp >= since)
            and (until is None or event.timestamp < until)
        ):
            found.append(describe(position, topic, event))
        if len(found) >= limit or scanned >= scan_limit:
            break
    return found, (last if last < head else None)


def type_name(topic: str) -> str:
    """`module:Class.Event` -> `Class.Event`."""
    return topic.rsplit(":", 1)[-1]
