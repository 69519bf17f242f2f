"""Time helpers: UTC instants, and service dates in Beijing time (Asia/Shanghai)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def local_date(moment: datetime) -> date:
    """The calendar date in Beijing of an aware instant."""
    return moment.astimezone(BEIJING).date()
