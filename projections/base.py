"""A projection: the tables it owns and one handler per event type it needs.

Handlers change rows through a `Batch` (projections/batch.py): a page of events is folded in
memory and written once per table, not a statement per event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from eventsourcing.utils import get_topic
from sqlalchemy import Table

from projections.batch import Batch

Handler = Callable[[Any, Batch, Any], None]


def event_of(aggregate: type, name: str) -> type:
    """The event class that eventsourcing's `@event("Name")` made on an aggregate.

    It exists only at run time, so type checkers cannot see `Volunteer.Registered`; looking it up
    here keeps them quiet and still fails at import time if an event is renamed.
    """
    found = getattr(aggregate, name)
    if not isinstance(found, type):
        raise TypeError(f"{aggregate.__name__}.{name} is not an event class")
    return found


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Mark a method as the handler of the given event classes."""

    def mark(method: Handler) -> Handler:
        method._handles = event_classes  # type: ignore[attr-defined]
        return method

    return mark


class Projection:
    """Subclasses set `name` and `tables` and decorate handlers with `@handles(Event, ...)`."""

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    _handlers: ClassVar[dict[type, Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = dict(getattr(cls, "_handlers", {}))  # a subclass keeps the handlers it inherits
        for attr in vars(cls).values():
            for event_class in getattr(attr, "_handles", ()):
                cls._handlers[event_class] = attr

    @classmethod
    def topics(cls) -> set[str]:
        return {get_topic(c) for c in cls._handlers}

    def handlers(self) -> dict[type, Handler]:
        """Each event class this projection handles, with its handler (called as handler(self, batch, event))."""
        return self._handlers

    def prefetch(self, batch: Batch, events: Sequence[Any]) -> None:
        """Load in bulk the rows this page's events will touch (optional: rows load one by one otherwise)."""

    def handle(self, batch: Batch, event: Any) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(self, batch, event)
