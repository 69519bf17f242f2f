"""A proposal (推荐): matching proposes a volunteer for a need; an organizer accepts or declines it,
the volunteer may decline it. One per (need, volunteer), so a declined pair is never proposed again."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.errors import Conflict
from timebank.domain.ids import natural_id

PROPOSED, ACCEPTED, DECLINED = "proposed", "accepted", "declined"


class Proposal(Aggregate):
    @staticmethod
    def create_id(need_id: UUID, volunteer_id: UUID) -> UUID:
        return natural_id("proposal", str(need_id), str(volunteer_id))

    @event("Made")
    def __init__(
        self, need_id: UUID, volunteer_id: UUID, organization_id: UUID, run_id: UUID, score: float,
        parts: dict[str, float], actor: str, at: datetime,
    ) -> None:
        self.need_id = need_id
        self.volunteer_id = volunteer_id
        self.organization_id = organization_id
        self.run_id = run_id
        self.score = score
        self.parts = parts
        self.status = PROPOSED

    def _require_proposed(self) -> None:
        if self.status != PROPOSED:
            raise Conflict(f"this proposal was already {self.status}", field="proposal_id", status=self.status)

    def accept(self, actor: str, at: datetime) -> None:
        self._require_proposed()
        self._accepted(actor=actor, at=at)

    @event("Accepted")
    def _accepted(self, actor: str, at: datetime) -> None:
        self.status = ACCEPTED

    def decline(self, by: str, reason: str, actor: str, at: datetime) -> None:
        """`by` is "organizer" or "volunteer"; either way the pair is never proposed again."""
        self._require_proposed()
        self._declined(by=by, reason=reason, actor=actor, at=at)

    @event("Declined")
    def _declined(self, by: str, reason: str, actor: str, at: datetime) -> None:
        self.status = DECLINED


class MatchingRun(Aggregate):
    """One assignment run: when, by whom, over which needs, with what result (its proposals are saved with it)."""

    @event("Completed")
    def __init__(
        self, needs: int, slots: int, proposals: int, total_score: float, solver: str, districts: list[str], actor: str, at: datetime,
    ) -> None:
        self.needs, self.slots, self.proposals, self.total_score = needs, slots, proposals, total_score
        self.solver, self.districts = solver, districts
