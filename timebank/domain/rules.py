"""Versioned rule sets: every configurable figure of DOMAIN.md, by effective date."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

# Direct relatives (直系亲属) and spouse: whom Beijing lets a member gift credits to.
BEIJING_GIFT_RELATIONS = ("spouse", "parent", "child", "grandparent", "grandchild")
# Star-level thresholds in hours for 1..5 stars: Beijing's trial rules and the current national/Beijing ones.
TRIAL_STAR_THRESHOLDS_HOURS = (100, 200, 500, 800, 1000)
CURRENT_STAR_THRESHOLDS_HOURS = (100, 300, 600, 1000, 1500)
# Weekday routine work of community staff, school class duty / social practice, donations of money or goods.
STAR_EXCLUDED_CATEGORIES = ("community_staff_routine", "school_practice", "donation")
# Every relation a gift may declare; a rule set allows a subset (Shanghai adds relatives and friends).
GIFT_RELATIONS = (*BEIJING_GIFT_RELATIONS, "sibling", "relative", "friend")
# The four categories of member units' key projects (重点工作项目) in the bulletins: institution
# building, civility publicity, civility governance, the units' own organs.
KEY_PROJECT_CATEGORIES = ("制度建设", "文明宣传", "文明治理", "机关建设")


@dataclass(frozen=True)
class RuleSet:
    """The figures in force from `effective_from` until the next version."""

    version: str
    effective_from: date
    credit_minutes_per_service_hour: int = 60
    recording_deadline_working_days: int = 10
    confirmation_deadline_working_days: int = 10
    auto_check_out_after_hours: int = 24
    min_registration_age: int = 14
    guardian_consent_below_age: int = 18
    max_service_minutes_per_day: int = 16 * 60
    # Self-declared minutes of one volunteer for one date, all records together (DOMAIN.md: more
    # than 16 h a day is an impossible total).
    max_self_declared_minutes_per_day: int = 16 * 60
    # The credit ledger (时间银行).
    # Credit-minutes per service hour by project category, where it differs from the default.
    category_credit_minutes_per_service_hour: Mapping[str, int] = field(default_factory=dict)
    account_floor: int = 0  # an account may not go below this unless it has a floor of its own
    storage_cap_minutes: int | None = None  # e.g. Nanjing 1,500 h = 90,000; the excess goes to the district pool
    gift_relations: tuple[str, ...] = BEIJING_GIFT_RELATIONS
    redemption_min_age: int = 60
    # Star levels (星级): cumulative confirmed hours for 1..5 stars; five stars also needs a nomination
    # and a public notice of this many working days.
    star_level_thresholds_hours: tuple[int, ...] = CURRENT_STAR_THRESHOLDS_HOURS
    # Recorded, but never counted towards star levels (Beijing's examples).
    star_excluded_categories: tuple[str, ...] = STAR_EXCLUDED_CATEGORIES
    five_star_notice_working_days: int = 5
    # Milestones (besides the first service), in counted hours: events for notifications and certificates.
    milestone_hours: tuple[int, ...] = (50, 100, 300, 600, 1000, 1500)
    # Key-project ledgers (重点工作项目台账): each member unit registers this many a year, in these categories.
    key_projects_per_unit_per_year: int = 2
    key_project_categories: tuple[str, ...] = KEY_PROJECT_CATEGORIES

    def __post_init__(self) -> None:
        unknown = set(self.gift_relations) - set(GIFT_RELATIONS)
        if unknown:
            raise ValueError(f"unknown gift relations: {sorted(unknown)}; known: {', '.join(GIFT_RELATIONS)}")
        if self.storage_cap_minutes is not None and self.storage_cap_minutes < max(self.account_floor, 0):
            raise ValueError("storage_cap_minutes must be at least the floor and not negative")
        # A private copy, so the caller's dict cannot change a rule set after the fact.
        object.__setattr__(self, "category_credit_minutes_per_service_hour", dict(self.category_credit_minutes_per_service_hour))
        object.__setattr__(self, "gift_relations", tuple(self.gift_relations))
        for name in ("star_level_thresholds_hours", "star_excluded_categories", "milestone_hours"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        thresholds = self.star_level_thresholds_hours
        if len(thresholds) != 5 or list(thresholds) != sorted(set(thresholds)) or thresholds[0] <= 0:
            raise ValueError("star_level_thresholds_hours: five increasing positive hours, for 1..5 stars")
        if self.five_star_notice_working_days < 5:
            raise ValueError("five_star_notice_working_days: the public notice lasts at least 5 working days")
        object.__setattr__(self, "key_project_categories", tuple(self.key_project_categories))
        if self.key_projects_per_unit_per_year < 1 or not self.key_project_categories:
            raise ValueError("key projects need a quota of at least 1 and at least one category")

    def credit_rate(self, category: str | None = None) -> int:
        """Credit-minutes per service hour for a project category (the default when not weighted)."""
        if category is not None and category in self.category_credit_minutes_per_service_hour:
            return self.category_credit_minutes_per_service_hour[category]
        return self.credit_minutes_per_service_hour

    def credits_for(self, service_minutes: int, category: str | None = None) -> int:
        """Credit-minutes earned by confirmed service minutes (integer, rounded down)."""
        return service_minutes * self.credit_rate(category) // 60


DEFAULT_RULES: tuple[RuleSet, ...] = (
    # Beijing's trial star thresholds, in force before the revised regulation (the start date is a
    # configuration choice: the trial had no single national start).
    RuleSet(version="beijing-trial", effective_from=date(2014, 1, 1), star_level_thresholds_hours=TRIAL_STAR_THRESHOLDS_HOURS),
    RuleSet(version="beijing-2021", effective_from=date(2021, 3, 1)),
)


class RuleBook:
    """All versions; `in_force(day)` gives the one that applies on that day."""

    def __init__(self, versions: tuple[RuleSet, ...] = DEFAULT_RULES) -> None:
        if not versions:
            raise ValueError("a rule book needs at least one version")
        self.versions = tuple(sorted(versions, key=lambda r: r.effective_from))
        names = [r.version for r in self.versions]
        if len(set(names)) != len(names):
            raise ValueError("rule set versions must have distinct names")

    def in_force(self, day: date) -> RuleSet:
        current = None
        for rules in self.versions:
            if rules.effective_from <= day:
                current = rules
        if current is None:
            raise ValueError(f"no rule set is in force on {day.isoformat()}")
        return current

    def by_version(self, version: str) -> RuleSet:
        for rules in self.versions:
            if rules.version == version:
                return rules
        raise KeyError(version)

    @classmethod
    def from_file(cls, path: str | Path) -> RuleBook:
        """Load versions from JSON: a list of objects with RuleSet's fields; missing fields default."""
        raw: list[dict[str, Any]] = json.loads(Path(path).read_text(encoding="utf-8"))
        known = {f.name for f in fields(RuleSet)}
        versions = []
        for item in raw:
            unknown = set(item) - known
            if unknown:
                raise ValueError(f"unknown rule fields: {sorted(unknown)}")
            values = {**item, "effective_from": date.fromisoformat(item["effective_from"])}
            for name in ("gift_relations", "star_level_thresholds_hours", "star_excluded_categories", "milestone_hours", "key_project_categories"):
                if name in values:
                    values[name] = tuple(values[name])
            versions.append(RuleSet(**values))
        return cls(tuple(versions))

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                **asdict(r),
                "effective_from": r.effective_from.isoformat(),
                "gift_relations": list(r.gift_relations),
                "star_level_thresholds_hours": list(r.star_level_thresholds_hours),
                "star_excluded_categories": list(r.star_excluded_categories),
                "milestone_hours": list(r.milestone_hours),
                "key_project_categories": list(r.key_project_categories),
                "category_credit_minutes_per_service_hour": dict(r.category_credit_minutes_per_service_hour),
            }
            for r in self.versions
        ]


class WorkingCalendar(Protocol):
    """China's official working days (with 调休); injected so the domain stays free of I/O."""

    def is_working_day(self, day: date) -> bool: ...


def add_working_days(calendar: WorkingCalendar, start: date, count: int) -> date:
    """The date `count` working days after `start` (start itself does not count)."""
    day = start
    remaining = count
    while remaining > 0:
        day = day + timedelta(days=1)
        if calendar.is_working_day(day):
            remaining -= 1
    return day


class WeekdayCalendar:
    """Monday to Friday; for tests and for years no official calendar covers when so configured."""

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5


__all__ = ["TRIAL_STAR_THRESHOLDS_HOURS", "CURRENT_STAR_THRESHOLDS_HOURS", "STAR_EXCLUDED_CATEGORIES", "GIFT_RELATIONS", "KEY_PROJECT_CATEGORIES", "BEIJING_GIFT_RELATIONS", "RuleSet", "RuleBook", "DEFAULT_RULES", "WorkingCalendar", "WeekdayCalendar", "add_working_days"]
