"""The seeder's plan: the people, organizations, projects, shifts and records it has made so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from demo.catalogue import OrgTemplate, ProjectTemplate, ShiftTemplate
from timebank.clock import local_date
from timebank.domain.actors import Actor, Role


@dataclass
class Person:
    index: int
    name: str
    sex: str
    age: int
    stage: str
    district: str
    skills: list[str]
    id: UUID
    organizer_of: set[int] = field(default_factory=set)
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)
    day_minutes: dict[date, int] = field(default_factory=dict)

    @property
    def minor(self) -> bool:
        return self.age < 18

    @property
    def actor(self) -> Actor:
        return Actor(Role.VOLUNTEER, self.id)

    def free(self, start: datetime, end: datetime) -> bool:
        return all(not (s < end and start < e) for s, e in self.busy)

    def book(self, start: datetime, end: datetime) -> None:
        self.busy.append((start, end))

    def can_serve(self, day: date, minutes: int, limit: int = 8 * 60) -> bool:
        return self.day_minutes.get(day, 0) + minutes <= limit

    def served(self, day: date, minutes: int) -> None:
        self.day_minutes[day] = self.day_minutes.get(day, 0) + minutes


@dataclass
class Org:
    index: int
    template: OrgTemplate
    organizers: list[Person]
    id: UUID
    projects: list[Project] = field(default_factory=list)


@dataclass
class Project:
    org: Org
    template: ProjectTemplate
    id: UUID
    person_in_charge: str


@dataclass
class Shift:
    project: Project
    template: ShiftTemplate
    id: UUID
    starts_at: datetime
    ends_at: datetime
    capacity: int

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def day(self) -> date:
        return local_date(self.starts_at)


@dataclass
class Record:
    id: UUID
    person: Person
    org: Org
    minutes: int
    shift: Shift | None = None
    source: str = "bulk_entry"
    plan: str | None = None  # what the organizer will do with the demo volunteer's record
