"""The official working-day calendar (chinese-calendar), with the weekend days worked around holidays (调休)."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.calendar import ChinaCalendar
from timebank.domain.errors import ServiceUnavailable
from timebank.domain.rules import add_working_days


def test_a_weekend_made_a_working_day_counts_and_a_holiday_does_not() -> None:
    calendar = ChinaCalendar()
    assert calendar.is_working_day(date(2025, 1, 26))  # a Sunday worked for the Spring Festival (调休)
    assert not calendar.is_working_day(date(2025, 10, 1))  # National Day, a Wednesday
    # From 2025-09-30 (Tue) the count skips the National Day week (10-01..10-08) and includes
    # Saturday 10-11, a working day by 调休.
    assert add_working_days(calendar, date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_working_days(calendar, date(2025, 9, 30), 3) == date(2025, 10, 11)


def test_a_year_the_calendar_does_not_know_fails_loudly() -> None:
    with pytest.raises(ServiceUnavailable, match="2100"):
        ChinaCalendar().is_working_day(date(2100, 1, 4))
