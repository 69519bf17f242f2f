"""The need (需求): demand posted by an organization for a community, with its hard requirements.

Posting a need schedules its shift (the slots volunteers are signed up to); the need keeps what
the shift does not: the content, the community, age limits and other requirements, and whether it
is still open. Matching proposes volunteers for open needs (timebank/domain/proposal.py).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.errors import Conflict, InvalidInput

OPEN, CLOSED, FILLED = "open", "closed", "filled"
MAX_VOLUNTEERS = 500


def check_need(
    *, starts_at: datetime, ends_at: datetime, volunteers_needed: int, min_age: int | None, max_age: int | None, now: datetime
) -> None:
    """At least one slot, a window that has not ended, sensible age limits."""
    if volunteers_needed < 1:
        raise InvalidInput("a need asks for at least one volunteer", field="volunteers_needed")
    if volunteers_needed > MAX_VOLUNTEERS:
        raise InvalidInput(f"a need asks for at most {MAX_VOLUNTEERS} volunteers", field="volunteers_needed")
    if ends_at <= now:
        raise InvalidInput("the need's time window has already ended", field="ends_at")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise InvalidInput("min_age is above max_age", field="min_age")


class Need(Aggregate):
    @event("Posted")
    def __init__(
        self,
        organization_id: UUID,
        project_id: UUID,
        shift_id: UUID,
        title: str,
        content: str,
        category: str,
        required_skills: list[str],
        place: dict[str, str],
        starts_at: datetime,
        ends_at: datetime,
        volunteers_needed: int,
        min_age: int | None,
        max_age: int | None,
        requirements: list[str],
        vocabulary_version: str,
        actor: str,
        at: datetime,
    ) -> None:
        self.organization_id = organization_id
        self.project_id = project_id
        self.shift_id = shift_id
        self.title = title
        self.content = content
        self.category = category
        self.required_skills = required_skills
        self.place = place
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.volunteers_needed = volunteers_needed
        self.min_age = min_age
        self.max_age = max_age
        self.requirements = requirements
        self.status = OPEN

    def require_open(self, field: str = "need_id") -> None:
        if self.status != OPEN:
            raise Conflict(f"this need is {self.status}", field=field)

    def update(self, *, content: str | None, requirements: list[str] | None, min_age: int | None, max_age: int | None,
               actor: str, at: datetime) -> None:
        """Change what the shift does not hold (the content, requirements, age limits) while open."""
        self.require_open()
        low = self.min_age if min_age is None else min_age
        high = self.max_age if max_age is None else max_age
        if low is not None and high is not None and low > high:
            raise InvalidInput("min_age is above max_age", field="min_age")
        self._updated(content=content if content is not None else self.content,
                      requirements=requirements if requirements is not None else self.requirements,
                      min_age=low, max_age=high, actor=actor, at=at)

    @event("Updated")
    def _updated(self, content: str, requirements: list[str], min_age: int | None, max_age: int | None, actor: str, at: datetime) -> None:
        self.content, self.requirements, self.min_age, self.max_age = content, requirements, min_age, max_age

    def close(self, reason: str, actor: str, at: datetime) -> None:
        self.require_open()
        self._closed(reason=reason, actor=actor, at=at)

    @event("Closed")
    def _closed(self, reason: str, actor: str, at: datetime) -> None:
        self.status = CLOSED

    def change_slots(self, volunteers_needed: int, signed_up: int, actor: str, at: datetime) -> None:
        """More or fewer slots while open, never fewer than the volunteers already signed up to the
        need's shift; with exactly as many slots as sign-ups the need is filled."""
        self.require_open()
        if not 1 <= volunteers_needed <= MAX_VOLUNTEERS:
            raise InvalidInput(f"a need asks for 1 to {MAX_VOLUNTEERS} volunteers", field="volunteers_needed")
        if volunteers_needed < signed_up:
            raise Conflict(f"{signed_up} volunteers are signed up already: the need cannot ask for fewer", field="volunteers_needed")
        if volunteers_needed != self.volunteers_needed:
            self._slots_changed(volunteers_needed=volunteers_needed, actor=actor, at=at)
        if volunteers_needed == signed_up:
            self._filled(actor=actor, at=at)

    @event("SlotsChanged")
    def _slots_changed(self, volunteers_needed: int, actor: str, at: datetime) -> None:
        self.volunteers_needed = volunteers_needed

    def reschedule(self, starts_at: datetime, ends_at: datetime, actor: str, at: datetime) -> None:
        """Another time window while open, one that has not ended (its shift, which moves with it,
        refuses an impossible window and moving while anyone is signed up: Shift.reschedule)."""
        self.require_open()
        if ends_at <= at:
            raise InvalidInput("the need's time window has already ended", field="ends_at")
        if (starts_at, ends_at) != (self.starts_at, self.ends_at):
            self._rescheduled(starts_at=starts_at, ends_at=ends_at, actor=actor, at=at)

    @event("Rescheduled")
    def _rescheduled(self, starts_at: datetime, ends_at: datetime, actor: str, at: datetime) -> None:
        self.starts_at, self.ends_at = starts_at, ends_at

    def mark_filled(self, actor: str, at: datetime) -> None:
        """Every slot is taken: no more proposals or sign-ups through matching."""
        self.require_open()
        self._filled(actor=actor, at=at)

    @event("Filled")
    def _filled(self, actor: str, at: datetime) -> None:
        self.status = FILLED

    def check_age(self, age: int, field: str = "volunteer_id") -> str | None:
        """Why this age is excluded, if it is."""
        if self.min_age is not None and age < self.min_age:
            return f"this need is for volunteers aged {self.min_age} or more"
        if self.max_age is not None and age > self.max_age:
            return f"this need is for volunteers aged {self.max_age} or less"
        return None
