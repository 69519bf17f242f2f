"""Use cases of star levels (星级) and milestones: awards by counted hours, five-star nominations and their notice.

Confirmed minutes by category come from the read model (the clock's jobs pass them in): a stale
figure can only be lower, so an award comes a run later, never twice - the standing refuses a level
or milestone it already holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID, uuid4

from timebank.application.base import TimeBankBase, retrying
from timebank.clock import local_date
from timebank.domain.actors import Actor
from timebank.domain.errors import Forbidden, InvalidInput, NotFound
from timebank.domain.organization import Organization
from timebank.domain.permissions import require
from timebank.domain.rules import add_working_days
from timebank.domain.star_level import StarStanding, count_minutes, level_by_hours, milestones_due
from timebank.domain.volunteer import Volunteer

MAX_REASON = 2000


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidInput("reason must not be blank", field="reason")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"reason is at most {MAX_REASON} characters", field="reason")
    return text


class Stars(TimeBankBase):
    """Levels 1-4 and milestones follow counted hours; five stars follow a nomination's public notice."""

    def _standing(self, volunteer_id: UUID) -> StarStanding:
        self._get(Volunteer, volunteer_id, "volunteer_id", "volunteer", read_only=True)
        now = self._now()
        return self._get_or_new(StarStanding, StarStanding.create_id(volunteer_id), lambda: StarStanding(volunteer_id=volunteer_id, at=now))

    def star_standing(self, volunteer_id: UUID) -> StarStanding | None:
        try:
            return self._get(StarStanding, StarStanding.create_id(volunteer_id), "volunteer_id", "star standing", read_only=True)
        except NotFound:
            return None

    @retrying
    def award_star_levels(self, volunteer_id: UUID, minutes_by_category: Mapping[str, int]) -> bool:
        """Award the level and milestones the volunteer's confirmed minutes reach under the rules in force
        today, each once. True if anything was awarded."""
        now = self._now()
        rules = self._rules_on(local_date(now), "volunteer_id")
        counted = count_minutes(rules, minutes_by_category)
        standing = self._standing(volunteer_id)
        changed = standing.award_level(min(level_by_hours(rules, counted.counted_minutes), 4), rules, counted.counted_minutes, now)
        for name in milestones_due(rules, counted):
            changed = standing.reach_milestone(name, rules.version, counted.counted_minutes, now) or changed
        if changed:
            self.save(standing)
        return changed

    @retrying
    def nominate_five_stars(self, actor: Actor, volunteer_id: UUID, organization_id: UUID, reason: str) -> str:
        """An organizer of a verified organization nominates a four-star volunteer; the public notice
        runs for the rules' working days. Returns the last day of the notice (ISO)."""
        organization = self._get(Organization, organization_id, "organization_id", "organization", read_only=True)
        require(actor, "star_level.nominate", field="organization_id", organizes=organization.is_organizer(actor))
        organization.require_verified()
        if actor.id == volunteer_id:
            raise Forbidden("organizers may not nominate themselves", field="volunteer_id")
        now = self._now()
        rules = self._rules_on(local_date(now), "volunteer_id")
        notice_ends_on = add_working_days(self.calendar, local_date(now), rules.five_star_notice_working_days)
        standing = self._standing(volunteer_id)
        standing.nominate(organization_id, _reason(reason), notice_ends_on, actor.ref, now)
        self.save(standing)
        return notice_ends_on.isoformat()

    @retrying
    def object_to_five_stars(self, actor: Actor, volunteer_id: UUID, reason: str) -> UUID:
        """A volunteer (any member of the public with an account) objects during the public notice; an admin decides."""
        require(actor, "star_level.object")
        standing = self._standing(volunteer_id)
        objection_id = uuid4()
        now = self._now()
        standing.lodge_objection(objection_id, _reason(reason), local_date(now), actor.ref, now)
        self.save(standing)
        return objection_id

    @retrying
    def decide_five_star_objection(self, actor: Actor, volunteer_id: UUID, objection_id: UUID, upheld: bool, reason: str) -> None:
        require(actor, "star_level.decide_objection")
        standing = self._standing(volunteer_id)
        standing.decide_objection(objection_id, upheld, _reason(reason), actor.ref, self._now())
        self.save(standing)

    @retrying
    def grant_five_stars(self, volunteer_id: UUID, minutes_by_category: Mapping[str, int]) -> bool:
        """The clock: grant five stars when the notice has ended without an upheld (or undecided)
        objection and the counted hours reach the threshold; False (nothing written) otherwise."""
        now = self._now()
        rules = self._rules_on(local_date(now), "volunteer_id")
        standing = self._standing(volunteer_id)
        counted = count_minutes(rules, minutes_by_category)
        if not standing.grant_five_stars(rules, counted.counted_minutes, local_date(now), now):
            return False
        self.save(standing)
        return True
