"""Star levels and milestones in the domain: thresholds by rule version, each award once, five stars by notice."""

from __future__ import annotations

from datetime import date, datetime, timezone
from uuid import uuid4

import pytest

from timebank.domain.errors import Conflict, RuleViolation
from timebank.domain.rules import RuleBook
from timebank.domain.star_level import StarStanding, count_minutes, level_by_hours, milestones_due

AT = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)
BOOK = RuleBook()
TRIAL, CURRENT = BOOK.by_version("beijing-trial"), BOOK.by_version("beijing-2021")


def hours(h: int) -> int:
    return h * 60


@pytest.mark.parametrize(("counted", "trial", "current"), [(99, 0, 0), (100, 1, 1), (200, 2, 1), (500, 3, 2), (800, 4, 3), (1000, 5, 4), (1500, 5, 5)])
def test_the_trial_and_the_current_thresholds_give_different_levels_for_the_same_hours(counted: int, trial: int, current: int) -> None:
    assert (level_by_hours(TRIAL, hours(counted)), level_by_hours(CURRENT, hours(counted))) == (trial, current)


def test_excluded_categories_are_counted_apart() -> None:
    counted = count_minutes(CURRENT, {"elderly_care": 600, "donation": 120, "school_practice": 60})
    assert (counted.counted_minutes, counted.excluded_minutes, counted.total_minutes) == (600, {"donation": 120, "school_practice": 60}, 780)
    assert milestones_due(CURRENT, count_minutes(CURRENT, {"donation": 60})) == ["first_service"]  # served, but nothing counts


def test_a_level_and_a_milestone_are_awarded_once() -> None:
    standing = StarStanding(volunteer_id=uuid4(), at=AT)
    assert standing.award_level(1, CURRENT, hours(100), AT) is True
    assert standing.award_level(1, CURRENT, hours(100), AT) is False
    assert standing.reach_milestone("100h", CURRENT.version, hours(100), AT) is True
    assert standing.reach_milestone("100h", CURRENT.version, hours(100), AT) is False
    assert len(standing.collect_events()) == 3  # opened, level, milestone


def test_a_level_awarded_under_the_trial_rules_is_kept_under_the_current_ones() -> None:
    standing = StarStanding(volunteer_id=uuid4(), at=AT)
    standing.award_level(level_by_hours(TRIAL, hours(200)), TRIAL, hours(200), AT)
    assert standing.award_level(level_by_hours(CURRENT, hours(200)), CURRENT, hours(200), AT) is False
    assert (standing.level, standing.level_rules_version) == (2, "beijing-trial")


def test_five_stars_are_never_awarded_by_hours_alone() -> None:
    with pytest.raises(RuleViolation):
        StarStanding(volunteer_id=uuid4(), at=AT).award_level(5, CURRENT, hours(2000), AT)


def test_five_stars_follow_the_notice_only_without_an_open_or_upheld_objection() -> None:
    standing = StarStanding(volunteer_id=uuid4(), at=AT)
    standing.award_level(4, CURRENT, hours(1600), AT)
    standing.nominate(uuid4(), "模范", date(2026, 11, 25), "volunteer:x", AT)
    with pytest.raises(Conflict):
        standing.nominate(uuid4(), "again", date(2026, 11, 25), "volunteer:x", AT)
    objection = uuid4()
    standing.lodge_objection(objection, "存疑", date(2026, 11, 20), "volunteer:y", AT)
    assert standing.grant_five_stars(CURRENT, hours(1600), date(2026, 11, 25), AT) is False  # the notice runs
    assert standing.grant_five_stars(CURRENT, hours(1600), date(2026, 11, 26), AT) is False  # an objection is open
    standing.decide_objection(objection, False, "无误", "admin:-", AT)
    assert standing.grant_five_stars(CURRENT, hours(1400), date(2026, 11, 26), AT) is False  # the hours are short
    assert standing.grant_five_stars(CURRENT, hours(1600), date(2026, 11, 26), AT) is True
    assert standing.grant_five_stars(CURRENT, hours(1600), date(2026, 11, 27), AT) is False
    assert standing.level == 5
