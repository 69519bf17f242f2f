"""The project (项目): an activity run by an organization, with the person in charge."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.errors import InvalidInput
from timebank.domain.vocabulary import CURRENT

# Activity categories: the codes of the controlled vocabulary (timebank/domain/vocabulary.py). Records
# keep the category; those a rule set lists in `star_excluded_categories` (timebank/domain/rules.py:
# community staff's routine work, school duty / social practice, donations) are recorded but never
# count towards star levels.
CATEGORIES = CURRENT.category_codes()


class Project(Aggregate):
    @staticmethod
    def check_category(category: str) -> None:
        if category not in CATEGORIES:
            raise InvalidInput(f"unknown category {category!r}: use a code of vocabulary {CURRENT.version}", field="category")

    @event("Published")
    def __init__(
        self,
        organization_id: UUID,
        name: str,
        description: str,
        category: str,
        district: str,
        street: str | None,
        community: str | None,
        person_in_charge: str,
        actor: str,
        at: datetime,
    ) -> None:
        self.organization_id = organization_id
        self.name = name
        self.description = description
        self.category = category
        self.district = district
        self.street = street
        self.community = community
        self.person_in_charge = person_in_charge
