"""Matching rules (供需对接): the hard constraints that exclude a volunteer from a need, and the
soft score that ranks the rest, with its parts so an organizer sees why.

Pure functions over plain values, shared by the candidate query, the assignment run and the
benchmarks. Availability windows are weekly, in Beijing time: {"weekday": 0-6 (Monday 0),
"start": "HH:MM", "end": "HH:MM"}.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from timebank.domain.errors import InvalidInput
from timebank.domain.places import hierarchy_distance

BEIJING = ZoneInfo("Asia/Shanghai")
MAX_WINDOWS = 28
# Weights of the score parts (each part is 0..1); the total is scaled to integer points for the solver.
WEIGHTS = {"skill_fit": 0.35, "distance": 0.30, "reliability": 0.20, "fairness": 0.15}
POINTS = 1000
RECENT_DAYS = 30

# Hard constraints, in the order they are checked; the first that fails is the one reported.
SKILLS, AVAILABILITY, DOUBLE_BOOKING, WEEKLY_CAP, AGE, DECLINED, ERASED = (
    "skills", "availability", "double_booking", "weekly_cap", "age", "declined", "erased",
)


def _minutes(text: str, field: str) -> int:
    try:
        hours, minutes = text.split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a time HH:MM", field=field) from None
    if not (0 <= int(hours) <= 24 and 0 <= int(minutes) < 60 and value <= 24 * 60):
        raise InvalidInput(f"{text!r} is not a time of day", field=field)
    return value


def check_windows(windows: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """Well-formed weekly windows (weekday 0-6, start before end), sorted."""
    if len(windows) > MAX_WINDOWS:
        raise InvalidInput(f"at most {MAX_WINDOWS} availability windows", field="windows")
    cleaned = []
    for i, window in enumerate(windows):
        weekday = window.get("weekday")
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise InvalidInput("weekday is 0 (Monday) to 6 (Sunday)", field=f"windows.{i}.weekday")
        start, end = _minutes(str(window.get("start")), f"windows.{i}.start"), _minutes(str(window.get("end")), f"windows.{i}.end")
        if end <= start:
            raise InvalidInput("a window ends after it starts", field=f"windows.{i}.end")
        cleaned.append({"weekday": weekday, "start": window["start"], "end": window["end"]})
    return sorted(cleaned, key=lambda w: (w["weekday"], w["start"]))  # type: ignore[return-value]


def weekly_slot(starts_at: datetime, ends_at: datetime) -> tuple[int, int, int] | None:
    """(weekday, start minute, end minute) of [starts_at, ends_at) in Beijing time, or None when
    it runs across midnight (no weekly window holds it)."""
    start, end = starts_at.astimezone(BEIJING), ends_at.astimezone(BEIJING)
    if start.date() != (end - timedelta(microseconds=1)).date():
        return None
    return start.weekday(), start.hour * 60 + start.minute, end.hour * 60 + end.minute or 24 * 60


def window_minutes(window: dict[str, object]) -> tuple[int, int, int]:
    """(weekday, start minute, end minute) of a well-formed weekly window."""
    return int(window["weekday"]), _minutes(str(window["start"]), "start"), _minutes(str(window["end"]), "end")  # type: ignore[call-overload]


def available(windows: Iterable[dict[str, object]], starts_at: datetime, ends_at: datetime) -> bool:
    """Whether one weekly window holds the whole of [starts_at, ends_at) (Beijing time)."""
    slot = weekly_slot(starts_at, ends_at)
    if slot is None:
        return False
    weekday, begin, finish = slot
    return any(day == weekday and start <= begin and finish <= end for day, start, end in map(window_minutes, windows))


def week_of(moment: datetime) -> tuple[datetime, datetime]:
    """The Beijing week (Monday 00:00 to the next) that holds the moment."""
    local = moment.astimezone(BEIJING)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday, monday + timedelta(days=7)


@dataclass(frozen=True)
class Demand:
    """What the rules need of a need (or an open shift)."""

    id: str
    required_skills: frozenset[str]
    category: str
    place: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    slots: int

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


@dataclass
class Supply:
    """What the rules need of a volunteer: the supply index's row and their bookings."""

    id: str
    skills: frozenset[str]
    categories: frozenset[str]
    home: dict[str, str]
    windows: list[dict[str, object]]
    weekly_cap_minutes: int | None
    bookings: list[tuple[datetime, datetime]] = field(default_factory=list)  # signed-up shifts not cancelled
    attended: int = 0
    no_shows: int = 0
    recent: int = 0  # opportunities (proposals, sign-ups) in the last RECENT_DAYS
    preferred: tuple[dict[str, str], ...] = ()
    erased: bool = False


def exclusion(demand: Demand, supply: Supply, *, declined: bool = False) -> str | None:
    """The hard constraint that excludes this volunteer from this need, or None."""
    if supply.erased:
        return ERASED
    if declined:
        return DECLINED
    if not demand.required_skills <= supply.skills:
        return SKILLS
    if not available(supply.windows, demand.starts_at, demand.ends_at):
        return AVAILABILITY
    if any(start < demand.ends_at and demand.starts_at < end for start, end in supply.bookings):
        return DOUBLE_BOOKING
    if supply.weekly_cap_minutes is not None and booked_minutes_in_week(supply.bookings, demand.starts_at) + demand.minutes > supply.weekly_cap_minutes:
        return WEEKLY_CAP
    return None


def booked_minutes(starts_at: datetime, ends_at: datetime) -> int:
    """What a booking counts against the weekly cap: its whole minutes."""
    return int((ends_at - starts_at).total_seconds() // 60)


def booked_minutes_in_week(bookings: Iterable[Sequence[datetime]], moment: datetime) -> int:
    """The minutes of the bookings (start, end) that start in the Beijing week holding the moment."""
    monday, next_monday = week_of(moment)
    return sum(booked_minutes(start, end) for start, end in bookings if monday <= start < next_monday)


@dataclass(frozen=True)
class Score:
    skill_fit: float
    distance: float
    reliability: float
    fairness: float
    hierarchy_distance: int

    @property
    def total(self) -> float:
        return round(sum(WEIGHTS[part] * getattr(self, part) for part in WEIGHTS), 4)

    @property
    def points(self) -> int:
        """The total as integer points, for the min-cost-flow solver."""
        return int(round(self.total * POINTS))

    def parts(self) -> dict[str, float]:
        return {part: round(getattr(self, part), 4) for part in WEIGHTS}


def score(demand: Demand, supply: Supply) -> Score:
    """Skill fit (required skills held; the category among their preferences), distance in the
    hierarchy (home or a preferred place), reliability (attendance, Laplace-smoothed), fairness
    (fewer recent opportunities ranks higher)."""
    required = demand.required_skills
    fit = 0.7 if not required else 0.7 * len(required & supply.skills) / len(required)
    fit += 0.3 if demand.category in supply.categories else 0.0
    distance = min(hierarchy_distance(place, demand.place) for place in (supply.home, *supply.preferred))
    reliability = (supply.attended + 1) / (supply.attended + supply.no_shows + 2)
    fairness = 1 / (1 + supply.recent)
    return Score(fit, 1 - distance / 3, reliability, fairness, distance)


@dataclass(frozen=True)
class Candidate:
    volunteer_id: str
    score: Score


def ranking(candidate: Candidate) -> tuple[float, float, str]:
    """The order of candidates: best first (ties: fewer recent opportunities, then id)."""
    return -candidate.score.total, -candidate.score.fairness, candidate.volunteer_id


def rank(demand: Demand, supplies: Iterable[Supply], *, declined: frozenset[str] | set[str] = frozenset(), limit: int = 50) -> list[Candidate]:
    """The eligible volunteers, best first (`ranking`)."""
    ranked = [
        Candidate(s.id, score(demand, s)) for s in supplies if exclusion(demand, s, declined=s.id in declined) is None
    ]
    ranked.sort(key=ranking)
    return ranked[:limit]
