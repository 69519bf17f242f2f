"""China's official working days, with the weekend days made working days around holidays (调休)."""

from __future__ import annotations

from datetime import date

import chinese_calendar

from timebank.domain.errors import ServiceUnavailable


class ChinaCalendar:
    def is_working_day(self, day: date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            # Fail loudly: a guessed calendar would make deadlines wrong without anyone noticing.
            raise ServiceUnavailable(
                f"the official working-day calendar for {day.year} is not known yet; upgrade chinese-calendar"
            ) from None
