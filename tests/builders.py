"""Test builders shared by every layer: a hand-wound clock, a TimeBank in memory, and valid objects.

Every builder returns what a test needs next (an id, an actor, a Registration) and nothing more.
Times are relative to the app's clock (`app.clock`, a FixedClock), so a test reads as a story.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

from stdnum.cn import ric

from adapters.security import security_adapters
from timebank.application import Registration, TimeBank
from timebank.clock import local_date
from timebank.domain.actors import Actor, Role
from timebank.domain.ledger import TimeAccount
from timebank.domain.rules import WeekdayCalendar

# A Wednesday, 10:00 in Beijing: working days on either side, so deadlines are easy to reason about.
START = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)
IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}

_sequence = itertools.count(1)


class FixedClock:
    """A clock the test moves by hand: call it for an aware UTC datetime."""

    def __init__(self, start: datetime = START) -> None:
        self.now = START
        self.set(start)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by timedelta(**delta), e.g. `clock.advance(hours=1)`; returns the new time."""
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("the clock keeps aware datetimes")
        self.now = moment.astimezone(timezone.utc)
        return self.now

    def __repr__(self) -> str:
        return f"FixedClock({self.now.isoformat()})"


def make_app(clock: FixedClock | None = None, **kw: Any) -> TimeBank:
    """A TimeBank on in-memory persistence with a fixed clock and Monday-to-Friday working days.

    `env=`, `rules=`, `calendar=`, `identity_secret=` may be overridden; the clock is `app.clock`.
    """
    options: dict[str, Any] = {**security_adapters(kw.get("identity_secret", "test-secret")), "calendar": WeekdayCalendar(), **kw}
    env = options.pop("env", IN_MEMORY)
    return TimeBank(env, clock=clock or FixedClock(), **options)


@contextmanager
def writes_nothing(app: TimeBank) -> Iterator[None]:
    """Assert that the block stored no event: `with pytest.raises(X), writes_nothing(app): ...`."""
    before = app.recorder.max_notification_id()
    try:
        yield
    finally:
        assert app.recorder.max_notification_id() == before, "a refused command wrote events"


def resident_id_number(birth_date: date, sequence: int) -> str:
    """An 18-character resident ID number (GB 11643 layout and check digit) unique per sequence."""
    region = 110101 + sequence // 1000
    first17 = f"{region}{birth_date:%Y%m%d}{sequence % 1000:03d}"
    return first17 + ric.calc_check_digit(first17 + "0")  # it ignores the last character


def a_volunteer(app: TimeBank, **overrides: Any) -> Registration:
    """Register an adult volunteer with a fresh name and ID number; skills default to first aid."""
    n = next(_sequence)
    birth_date = overrides.get("birth_date", date(1990, 5, 17))
    fields: dict[str, Any] = {
        "name": f"志愿者{n}",
        "sex": "female",
        "birth_date": birth_date,
        "id_type": "resident_id",
        "id_number": resident_id_number(birth_date, n),
        "phone": f"139{n % 100_000_000:08d}",
        "district": "东城区",
        "skills": ["first_aid"],
        **overrides,
    }
    return app.register_volunteer(**fields)


def an_admin() -> Actor:
    return Actor(Role.ADMIN, uuid4())


def an_auditor() -> Actor:
    return Actor(Role.AUDITOR, uuid4())


def as_volunteer(reg_or_id: Registration | UUID) -> Actor:
    """The actor of a volunteer, from a Registration or a volunteer id."""
    volunteer_id = reg_or_id.volunteer_id if isinstance(reg_or_id, Registration) else reg_or_id
    return Actor(Role.VOLUNTEER, volunteer_id)


def a_verified_organization(app: TimeBank, organizer_reg: Registration | UUID) -> UUID:
    """An organization registered by this volunteer (its first organizer) and verified by an admin."""
    org_id = app.register_organization(as_volunteer(organizer_reg), name=f"团体{next(_sequence)}", district="东城区")
    app.verify_organization(an_admin(), org_id)
    return org_id


def a_project(app: TimeBank, organizer_actor: Actor, org_id: UUID, **kw: Any) -> UUID:
    fields: dict[str, Any] = {"name": f"项目{next(_sequence)}", "person_in_charge": "王主任", **kw}
    return app.publish_project(organizer_actor, organization_id=org_id, **fields)


def a_shift(
    app: TimeBank,
    organizer_actor: Actor,
    project_id: UUID,
    starts_in: timedelta = timedelta(hours=1),
    hours: float = 3,
    capacity: int = 2,
    **kw: Any,
) -> UUID:
    """A shift starting `starts_in` after the app's clock and lasting `hours`."""
    starts_at = app.clock() + starts_in
    fields: dict[str, Any] = {"title": "陪伴老人", "place": "社区服务站", **kw}
    return app.add_shift(
        organizer_actor, project_id, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours),
        capacity=capacity, **fields,
    )


def account_of(app: TimeBank, reg_or_id: Registration | UUID) -> TimeAccount:
    """The volunteer's time account, freshly loaded."""
    volunteer_id = reg_or_id.volunteer_id if isinstance(reg_or_id, Registration) else reg_or_id
    account: TimeAccount = app.repository.get(TimeAccount.create_id(volunteer_id))
    assert isinstance(account, TimeAccount)
    return account


@dataclass(frozen=True)
class Scene:
    """An organizer running a verified organization with a project and one shift, and a volunteer."""

    app: TimeBank
    organizer: Registration
    organizer_actor: Actor
    organization_id: UUID
    project_id: UUID
    shift_id: UUID
    volunteer: Registration
    volunteer_actor: Actor

    @property
    def clock(self) -> FixedClock:
        return self.app.clock  # type: ignore[return-value]

    @property
    def volunteer_id(self) -> UUID:
        return self.volunteer.volunteer_id

    @property
    def organizer_id(self) -> UUID:
        return self.organizer.volunteer_id

    def today(self) -> date:
        return local_date(self.app.clock())


def a_scene(app: TimeBank) -> Scene:
    organizer = a_volunteer(app)
    organizer_actor = as_volunteer(organizer)
    org_id = a_verified_organization(app, organizer)
    project_id = a_project(app, organizer_actor, org_id)
    shift_id = a_shift(app, organizer_actor, project_id)
    volunteer = a_volunteer(app)
    return Scene(app, organizer, organizer_actor, org_id, project_id, shift_id, volunteer, as_volunteer(volunteer))


def a_declared_record(scene: Scene, minutes: int = 120, *, confirm: bool = False, **kw: Any) -> UUID:
    """The scene's volunteer declares `minutes` of service today; optionally the organizer confirms."""
    fields: dict[str, Any] = {"service_date": scene.today(), "content": "陪老人聊天", **kw}
    record_id = scene.app.declare_service(
        scene.volunteer_actor, project_id=scene.project_id, service_minutes=minutes, **fields
    )
    if confirm:
        scene.app.confirm_record(scene.organizer_actor, record_id)
    return record_id
