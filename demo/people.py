"""Who the demo's volunteers are: their skills by stage of life, where they live, their phones and ages."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from timebank.domain.places import BEIJING_DISTRICTS

SKILLS = (
    "first_aid",
    "elderly_care",
    "tutoring",
    "sign_language",
    "driving",
    "photography",
    "translation",
    "psychological_support",
)
# Where volunteers live, roughly by population (the central and inner suburban districts dominate).
# In the order of BEIJING_DISTRICTS.
HOME_WEIGHTS: dict[str, int] = dict(zip(BEIJING_DISTRICTS, (6, 7, 14, 9, 4, 13, 2, 4, 7, 5, 9, 7, 2, 2, 2, 2, 5), strict=True))
COMMUNITY_SUFFIXES = ("东里", "西里", "南里", "北里", "一区", "二区", "三区", "东区", "西区", "新村", "家园", "花园")

PHONE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "180", "181", "182", "183", "184", "185", "186", "187", "188", "189",
)

# Skills by stage of life, and the service categories each skill suggests.
SKILLS_BY_STAGE = {
    "student": ("tutoring", "translation", "photography", "first_aid", "sign_language", "tutoring"),
    "working": ("first_aid", "driving", "photography", "translation", "psychological_support", "tutoring", "elderly_care", "driving"),
    "retired": ("elderly_care", "elderly_care", "first_aid", "tutoring", "sign_language", "psychological_support"),
    "minor": ("photography", "translation", "tutoring"),
}
CATEGORIES_BY_SKILL = {
    "first_aid": ("health", "emergency"),
    "elderly_care": ("elderly_care",),
    "tutoring": ("education", "child_care"),
    "sign_language": ("disability_support",),
    "driving": ("disability_support", "emergency"),
    "photography": ("culture", "large_event"),
    "translation": ("large_event", "culture"),
    "psychological_support": ("health", "elderly_care"),
}
GENERAL_CATEGORIES = ("community_service", "environment", "civilization_practice", "culture", "elderly_care")


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def birth_date_for_age(rng: Random, today: date, age: int) -> date:
    """A birth date giving exactly `age` today."""
    latest = years_before(today, age)
    earliest = years_before(today, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))
