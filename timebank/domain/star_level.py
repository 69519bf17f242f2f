"""Star levels (星级) and milestones: one standing per volunteer, each level and milestone awarded once.

The standing's id is derived from the volunteer's, so every process and every replay finds the same
aggregate; a level or milestone already held is refused (optimistic concurrency settles a race).
Levels 1-4 follow counted hours; five stars also need an organization's nomination, a public notice
of at least 5 working days, and no upheld objection. Awarded levels are kept when a later correction
lowers the hours: an award is a fact of its day, explained by the rule version it names (README).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.errors import Conflict, RuleViolation
from timebank.domain.ids import natural_id
from timebank.domain.rules import RuleSet

FIRST_SERVICE = "first_service"
IN_NOTICE, GRANTED, REJECTED = "in_notice", "granted", "rejected"


@dataclass(frozen=True)
class Counted:
    """Confirmed minutes split by the rules into those that count towards star levels and those that do not."""

    counted_minutes: int
    excluded_minutes: dict[str, int]  # by category
    total_minutes: int


def count_minutes(rules: RuleSet, minutes_by_category: Mapping[str, int]) -> Counted:
    excluded = {c: m for c, m in minutes_by_category.items() if c in rules.star_excluded_categories and m}
    total = sum(minutes_by_category.values())
    return Counted(total - sum(excluded.values()), excluded, total)


def level_by_hours(rules: RuleSet, counted_minutes: int) -> int:
    """The level counted hours reach (0-5), before the nomination five stars also need."""
    return sum(1 for hours in rules.star_level_thresholds_hours if counted_minutes >= hours * 60)


def milestones_due(rules: RuleSet, counted: Counted) -> list[str]:
    """Milestone names reached: the first confirmed service, then `<n>h` of counted hours."""
    due = [FIRST_SERVICE] if counted.total_minutes > 0 else []
    return due + [f"{hours}h" for hours in rules.milestone_hours if counted.counted_minutes >= hours * 60]


class StarStanding(Aggregate):
    @staticmethod
    def create_id(volunteer_id: UUID) -> UUID:
        return natural_id("star-standing", str(volunteer_id))

    @event("Opened")
    def __init__(self, volunteer_id: UUID, at: datetime) -> None:
        self.volunteer_id = volunteer_id
        self.level = 0
        self.level_rules_version: str | None = None
        self.milestones: list[str] = []
        self.nomination: dict[str, Any] | None = None
        self.objections: dict[str, dict[str, Any]] = {}

    # Levels 1-4 and milestones: by counted hours ---------------------------------
    def award_level(self, level: int, rules: RuleSet, counted_minutes: int, at: datetime) -> bool:
        """Award a higher level reached by hours; False (nothing happens) if it is already held."""
        if level >= 5:
            raise RuleViolation("five stars are granted only after a nomination and its public notice", field="level")
        if level <= self.level:
            return False
        self._level_awarded(
            level=level, rules_version=rules.version, threshold_hours=rules.star_level_thresholds_hours[level - 1],
            counted_minutes=counted_minutes, at=at,
        )
        return True

    @event("LevelAwarded")
    def _level_awarded(self, level: int, rules_version: str, threshold_hours: int, counted_minutes: int, at: datetime) -> None:
        self.level = level
        self.level_rules_version = rules_version

    def reach_milestone(self, name: str, rules_version: str, counted_minutes: int, at: datetime) -> bool:
        if name in self.milestones:
            return False
        self._milestone_reached(name=name, rules_version=rules_version, counted_minutes=counted_minutes, at=at)
        return True

    @event("MilestoneReached")
    def _milestone_reached(self, name: str, rules_version: str, counted_minutes: int, at: datetime) -> None:
        self.milestones.append(name)

    # Five stars: nomination, public notice, objections ---------------------------
    def nominate(self, organization_id: UUID, reason: str, notice_ends_on: date, actor: str, at: datetime) -> None:
        if self.level < 4:
            raise RuleViolation("only a volunteer holding four stars can be nominated for five", field="volunteer_id")
        if self.level >= 5:
            raise Conflict("this volunteer already holds five stars", field="volunteer_id")
        if self.nomination is not None and self.nomination["status"] == IN_NOTICE:
            raise Conflict("a five-star nomination of this volunteer is already in its public notice", field="volunteer_id")
        self._nominated(organization_id=organization_id, reason=reason, notice_ends_on=notice_ends_on, actor=actor, at=at)

    @event("FiveStarNominated")
    def _nominated(self, organization_id: UUID, reason: str, notice_ends_on: date, actor: str, at: datetime) -> None:
        self.nomination = {"organization_id": organization_id, "notice_ends_on": notice_ends_on, "status": IN_NOTICE}
        self.objections = {}

    def _require_in_notice(self) -> dict[str, Any]:
        if self.nomination is None or self.nomination["status"] != IN_NOTICE:
            raise Conflict("this volunteer has no five-star nomination in its public notice", field="volunteer_id")
        return self.nomination

    def lodge_objection(self, objection_id: UUID, reason: str, today: date, actor: str, at: datetime) -> None:
        nomination = self._require_in_notice()
        if today > nomination["notice_ends_on"]:
            raise RuleViolation(f"the public notice ended on {nomination['notice_ends_on'].isoformat()}", field="reason")
        self._objection_lodged(objection_id=objection_id, reason=reason, actor=actor, at=at)

    @event("ObjectionLodged")
    def _objection_lodged(self, objection_id: UUID, reason: str, actor: str, at: datetime) -> None:
        self.objections[str(objection_id)] = {"status": "open", "reason": reason}

    def decide_objection(self, objection_id: UUID, upheld: bool, reason: str, actor: str, at: datetime) -> None:
        self._require_in_notice()
        objection = self.objections.get(str(objection_id))
        if objection is None:
            raise RuleViolation(f"no objection {objection_id} to this nomination", field="objection_id")
        if objection["status"] != "open":
            raise Conflict(f"objection {objection_id} was already {objection['status']}", field="objection_id")
        if upheld:
            self._objection_upheld(objection_id=objection_id, reason=reason, actor=actor, at=at)
        else:
            self._objection_dismissed(objection_id=objection_id, reason=reason, actor=actor, at=at)

    @event("ObjectionUpheld")
    def _objection_upheld(self, objection_id: UUID, reason: str, actor: str, at: datetime) -> None:
        self.objections[str(objection_id)]["status"] = "upheld"
        assert self.nomination is not None
        self.nomination["status"] = REJECTED  # an upheld objection ends the nomination

    @event("ObjectionDismissed")
    def _objection_dismissed(self, objection_id: UUID, reason: str, actor: str, at: datetime) -> None:
        self.objections[str(objection_id)]["status"] = "dismissed"

    def grant_five_stars(self, rules: RuleSet, counted_minutes: int, today: date, at: datetime) -> bool:
        """Grant five stars once the notice has ended with no objection open or upheld; False if not yet."""
        if self.nomination is None or self.nomination["status"] != IN_NOTICE:
            return False
        if today <= self.nomination["notice_ends_on"]:
            return False
        if any(o["status"] == "open" for o in self.objections.values()):
            return False  # an admin decides every objection first
        if level_by_hours(rules, counted_minutes) < 5:
            return False  # the hours are not there (yet): the nomination waits
        self._five_stars_granted(
            rules_version=rules.version, threshold_hours=rules.star_level_thresholds_hours[4], counted_minutes=counted_minutes, at=at,
        )
        return True

    @event("FiveStarsGranted")
    def _five_stars_granted(self, rules_version: str, threshold_hours: int, counted_minutes: int, at: datetime) -> None:
        self.level = 5
        self.level_rules_version = rules_version
        assert self.nomination is not None
        self.nomination["status"] = GRANTED
