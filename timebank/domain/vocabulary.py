"""The controlled vocabulary of skills and service categories: codes with Chinese and English labels.

Versioned like the rule sets: a vocabulary has a version and the date it takes effect; codes are
only ever added (a code once used stays in every later version), so events that name a code keep
their meaning. Chinese labels are accepted as aliases of their codes ("急救" -> first_aid).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from timebank.domain.errors import InvalidInput


@dataclass(frozen=True)
class Term:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Vocabulary:
    version: str
    effective_from: date
    skills: tuple[Term, ...]
    categories: tuple[Term, ...]

    def skill_codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.skills)

    def category_codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.categories)

    def skill(self, value: str, field: str = "skills") -> str:
        """The code for a skill given by code or by its Chinese label; InvalidInput otherwise."""
        return _lookup(self.skills, value, field, "skill")

    def category(self, value: str, field: str = "category") -> str:
        return _lookup(self.categories, value, field, "service category")

    def skills_of(self, values: Iterable[str], field: str = "skills") -> list[str]:
        """Codes of the given skills (sorted, no repeats); the first unknown one is named with its index."""
        return sorted({self.skill(v, f"{field}.{i}") for i, v in enumerate(values)})

    def categories_of(self, values: Iterable[str], field: str = "service_categories") -> list[str]:
        return sorted({self.category(v, f"{field}.{i}") for i, v in enumerate(values)})


def _lookup(terms: tuple[Term, ...], value: str, field: str, what: str) -> str:
    wanted = value.strip()
    for term in terms:
        if wanted in (term.code, term.zh):
            return term.code
    raise InvalidInput(f"unknown {what} {value!r}: use a code of vocabulary {CURRENT.version}", field=field)


SKILLS = (
    Term("first_aid", "急救", "First aid"),
    Term("elderly_care", "助老护理", "Elderly care"),
    Term("tutoring", "课业辅导", "Tutoring"),
    Term("sign_language", "手语", "Sign language"),
    Term("driving", "驾驶", "Driving"),
    Term("photography", "摄影", "Photography"),
    Term("translation", "翻译", "Translation"),
    Term("psychological_support", "心理疏导", "Psychological support"),
    Term("cooking", "烹饪", "Cooking"),
    Term("repair", "家电维修", "Appliance repair"),
    Term("legal_advice", "法律咨询", "Legal advice"),
    Term("computer_help", "电脑帮扶", "Computer help"),
    Term("event_staff", "活动保障", "Event staffing"),
    Term("cleaning", "清洁", "Cleaning"),
    Term("medical", "医疗", "Medical care"),
    Term("music", "音乐", "Music"),
)

CATEGORIES = (
    Term("community_service", "社区服务", "Community service"),
    Term("elderly_care", "扶老助老", "Elderly care"),
    Term("child_care", "关爱儿童", "Child care"),
    Term("disability_support", "助残服务", "Disability support"),
    Term("environment", "生态环保", "Environment"),
    Term("culture", "文化服务", "Culture"),
    Term("education", "教育服务", "Education"),
    Term("health", "医疗健康", "Health"),
    Term("emergency", "应急救援", "Emergency"),
    Term("large_event", "大型活动", "Large events"),
    Term("civilization_practice", "文明实践", "Civilization practice"),
    # Recorded, but by Beijing's rules never counted towards star levels (rules: star_excluded_categories).
    Term("community_staff_routine", "社区工作人员日常工作", "Community staff's routine work"),
    Term("school_practice", "学校值日与社会实践", "School duty and social practice"),
    Term("donation", "捐款捐物", "Donations of money or goods"),
    Term("other", "其他", "Other"),
)

VOCABULARIES = (Vocabulary("2026-12", date(2026, 1, 1), SKILLS, CATEGORIES),)
CURRENT = VOCABULARIES[-1]


def vocabulary_on(day: date) -> Vocabulary:
    """The vocabulary in force on a day (the first one also covers earlier days: codes never go away)."""
    in_force = [v for v in VOCABULARIES if v.effective_from <= day]
    return in_force[-1] if in_force else VOCABULARIES[0]
