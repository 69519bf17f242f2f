"""Problem lists (问题清单): 建账 -> 整改 -> 复查 -> 销账, every step a dated, attributed event.

open --rectify (the responsible unit)--> rectified --re-check passed (an inspector)--> passed --close--> closed
                                          rectified --re-check failed: reopened with a reason--> open

An inspector (督查) is a volunteer the civilization office (an admin) appointed; an inspector records
the problem (建账) against a member unit with a deadline, re-checks (复查) the unit's rectification
(整改) and closes the problem (销账) only after a passed re-check. The clock flags a problem still open
after its deadline as overdue, once.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.actors import Actor, Role
from timebank.domain.digests import check_digests
from timebank.domain.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from timebank.domain.ids import natural_id
from timebank.domain.key_projects import require_office

OPEN = "open"
RECTIFIED = "rectified"
PASSED = "passed"
CLOSED = "closed"
STATUSES = (OPEN, RECTIFIED, PASSED, CLOSED)
# Where a problem was found: a district, a street (街道/乡镇), a community (社区/村) or a practice station (实践站).
AREA_LEVELS = ("district", "street", "community", "station")
OUTCOMES = ("passed", "reopened")


class Inspector(Aggregate):
    """A volunteer's appointment as inspector (督查) by the office; its id follows the volunteer's."""

    @staticmethod
    def create_id(volunteer_id: UUID) -> UUID:
        return natural_id("inspector", str(volunteer_id))

    @event("Appointed")
    def __init__(self, volunteer_id: UUID, actor: str, at: datetime) -> None:
        self.volunteer_id = volunteer_id
        self.active = True

    def reappoint(self, actor: Actor, at: datetime) -> None:
        require_office(actor, "appoints inspectors")
        if self.active:
            raise Conflict(f"volunteer {self.volunteer_id} is already an inspector", field="volunteer_id")
        self._reappointed(actor=actor.ref, at=at)

    @event("Reappointed")
    def _reappointed(self, actor: str, at: datetime) -> None:
        self.active = True

    def dismiss(self, actor: Actor, at: datetime) -> None:
        require_office(actor, "dismisses inspectors")
        if not self.active:
            raise Conflict(f"volunteer {self.volunteer_id} is not an inspector", field="volunteer_id")
        self._dismissed(actor=actor.ref, at=at)

    @event("Dismissed")
    def _dismissed(self, actor: str, at: datetime) -> None:
        self.active = False


def _text(value: str, field: str) -> str:
    if not value.strip():
        raise InvalidInput(f"{field} must not be blank", field=field)
    return value.strip()


class Problem(Aggregate):
    @event("Recorded")
    def __init__(
        self, organization_id: UUID, district: str, area_level: str, area_name: str, category: str, description: str,
        evidence_digests: list[str], deadline: date, actor: str, at: datetime,
    ) -> None:
        self.organization_id = organization_id  # the responsible member unit
        self.district = district
        self.area_level = area_level
        self.area_name = area_name
        self.category = category
        self.description = description
        self.deadline = deadline
        self.status = OPEN
        self.rectifications = 0
        self.reopened = 0
        self.overdue_flagged = False

    @staticmethod
    def check_record(area_level: str, deadline: date, today: date, evidence_digests: list[str]) -> list[str]:
        """建账: a known kind of area, a deadline not in the past; returns the digests, checked."""
        if area_level not in AREA_LEVELS:
            raise InvalidInput(f"area_level must be one of: {', '.join(AREA_LEVELS)}", field="area_level")
        if deadline < today:
            raise InvalidInput(f"the deadline {deadline.isoformat()} is in the past (today is {today.isoformat()})", field="deadline")
        return check_digests(evidence_digests, "evidence_digests")

    def _require(self, *statuses: str, why: str) -> None:
        if self.status not in statuses:
            raise RuleViolation(f"problem {self.id} is {self.status}: {why}", field="problem_id", status=self.status)

    def rectify(self, description: str, evidence_digests: list[str], actor: str, at: datetime) -> None:
        """整改, recorded by the responsible unit (the application checks who acts for it)."""
        self._require(OPEN, why="only an open (or reopened) problem is rectified")
        digests = check_digests(evidence_digests, "evidence_digests")
        self._rectified(description=_text(description, "description"), evidence_digests=digests, actor=actor, at=at)

    @event("Rectified")
    def _rectified(self, description: str, evidence_digests: list[str], actor: str, at: datetime) -> None:
        self.status = RECTIFIED
        self.rectifications += 1

    def recheck(self, outcome: str, note: str, actor: str, at: datetime) -> None:
        """复查: the rectification passes, or the problem is reopened with the reason."""
        if outcome not in OUTCOMES:
            raise InvalidInput(f"outcome must be one of: {', '.join(OUTCOMES)}", field="outcome")
        self._require(RECTIFIED, why="a re-check follows a rectification")
        if outcome == "reopened" and not note.strip():
            raise InvalidInput("a reopened problem needs the reason", field="note")
        self._rechecked(outcome=outcome, note=note.strip(), actor=actor, at=at)

    @event("Rechecked")
    def _rechecked(self, outcome: str, note: str, actor: str, at: datetime) -> None:
        if outcome == "passed":
            self.status = PASSED
        else:
            self.status = OPEN
            self.reopened += 1

    def close(self, note: str, actor: str, at: datetime) -> None:
        """销账: only after a passed re-check."""
        self._require(PASSED, why="销账 (closing) needs a passed re-check (复查) of its rectification first")
        self._closed(note=note.strip(), actor=actor, at=at)

    @event("Closed")
    def _closed(self, note: str, actor: str, at: datetime) -> None:
        self.status = CLOSED

    def is_overdue(self, today: date) -> bool:
        return self.status == OPEN and self.deadline < today

    def flag_overdue(self, today: date, actor: Actor, at: datetime) -> None:
        """The clock flags a problem still open after its deadline, once."""
        if actor.role is not Role.SYSTEM:
            raise Forbidden("only the clock flags overdue problems")
        if self.overdue_flagged:
            raise Conflict(f"problem {self.id} is already flagged overdue", field="problem_id")
        if not self.is_overdue(today):
            raise RuleViolation(f"problem {self.id} is not overdue", field="problem_id")
        self._flagged_overdue(deadline=self.deadline, actor=actor.ref, at=at)

    @event("FlaggedOverdue")
    def _flagged_overdue(self, deadline: date, actor: str, at: datetime) -> None:
        self.overdue_flagged = True
