"""The seeder: a plan drawn from seeded random streams, carried out through TimeBank's commands."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from random import Random
from typing import Any
from uuid import UUID

from faker import Faker

from demo.catalogue import DEMO_ORGS, ORGANIZATIONS, UNVERIFIED, ShiftTemplate
from demo.id_numbers import birth_region_code, resident_id_number
from demo.people import (
    CATEGORIES_BY_SKILL,
    COMMUNITY_SUFFIXES,
    GENERAL_CATEGORIES,
    HOME_WEIGHTS,
    PHONE_PREFIXES,
    SKILLS_BY_STAGE,
    birth_date_for_age,
)
from demo.places import STREETS
from demo.plan import Org, Person, Project, Record, Shift
from demo.wording import (
    CHECK_OUT_REJECTION,
    CORRECTION_REQUESTS,
    DOWNWARD_CORRECTION,
    PENDING_CORRECTION,
    REJECTION_REASONS,
    REVOCATION_REASONS,
    SELF_DECLARED_CONTENT,
    SHIFT_REJECTION,
    UPWARD_CORRECTION,
)
from timebank.application import BatchEntry, TimeBank, TransferRequest
from timebank.clock import BEIJING, local_date
from timebank.domain.actors import Actor, Role
from timebank.domain.ids import REDEMPTION_ACCOUNT_ID
from timebank.domain.ledger import TimeAccount, pool_account_id

MIN_VOLUNTEERS = 50


@dataclass(frozen=True)
class DemoAccess:
    """How to try the demo: tokens of four roles and the objects they act on."""

    admin_token: str
    auditor_token: str
    organizer_token: str
    volunteer_token: str
    organizer_id: UUID
    volunteer_id: UUID
    # Organizations the demo organizer runs (the first one is theirs); all verified.
    organization_ids: list[UUID]
    # The organization still waiting for an admin's verification.
    unverified_organization_id: UUID | None = None


def is_seeded(app: TimeBank) -> bool:
    """Whether the event store holds anything at all (seed only an empty store)."""
    return bool(app.recorder.max_notification_id())



class _Seeder:
    def __init__(self, app: TimeBank, volunteers: int, seed: int, progress: Callable[[str], None] | None) -> None:
        if volunteers < MIN_VOLUNTEERS:
            raise ValueError(f"the demo needs at least {MIN_VOLUNTEERS} volunteers")
        self.app = app
        self.count = volunteers
        self.seed = seed
        self.rng = Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.say = progress or (lambda message: None)
        self.now = app.clock()
        self.today = local_date(self.now)
        self.people: list[Person] = []
        self.orgs: list[Org] = []
        self.admins = [Actor(Role.ADMIN, self._uuid()), Actor(Role.ADMIN, self._uuid())]
        self.phones: set[str] = set()
        self.id_numbers: set[str] = set()
        self.pending: list[Record] = []  # awaiting an organizer's decision
        self.confirmed: list[Record] = []

    def reseed(self, *unit: object) -> None:
        """A fresh stream for one unit of the plan (a person, a shift, a record...).

        The plan adapts to the clock (who is free when a shift runs now), so one stream for all
        would let a small difference ripple through everything after it. Per-unit streams keep the
        same seed giving the same plan, and the same counts, at any time of day.
        """
        self.rng = Random("/".join(map(str, (self.seed, *unit))))

    def _uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    # People ------------------------------------------------------------------------------------
    def _stage_and_age(self, index: int) -> tuple[str, int]:
        if index == 0:  # the demo organizer: a community worker in their forties
            return "working", self.rng.randint(38, 52)
        if index == 1:  # the demo volunteer
            return "working", self.rng.randint(26, 40)
        if index in (7, 29) or self.rng.random() < 0.015:
            return "minor", self.rng.randint(16, 17)
        roll = self.rng.random()
        if roll < 0.24:
            return "student", self.rng.randint(18, 24)
        if roll < 0.70:
            return "working", self.rng.randint(25, 59)
        if roll < 0.97:
            return "retired", self.rng.randint(60, 75)
        return "retired", self.rng.randint(76, 80)

    def _skills(self, stage: str) -> list[str]:
        count = self.rng.choices((0, 1, 2, 3), weights=(25, 40, 25, 10))[0]
        pool = SKILLS_BY_STAGE[stage]
        return sorted({self.rng.choice(pool) for _ in range(count)})

    def _phone(self) -> str:
        while True:
            phone = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def _home(self, district: str) -> tuple[str, str]:
        street = self.rng.choice(STREETS[district])
        stem = street.removesuffix("街道").removesuffix("地区").removesuffix("镇")
        return street, f"{stem}{self.rng.choice(COMMUNITY_SUFFIXES)}社区"

    def register_people(self) -> None:
        districts = list(HOME_WEIGHTS)
        weights = [HOME_WEIGHTS[d] for d in districts]
        for index in range(self.count):
            self.reseed("person", index)
            stage, age = self._stage_and_age(index)
            sex = self.rng.choice(("female", "male"))
            if stage == "retired" and self.rng.random() < 0.2:
                sex = "female"  # retired women are the backbone of community volunteering
            name = self.fake.name_female() if sex == "female" else self.fake.name_male()
            district = self.rng.choices(districts, weights=weights)[0]
            skills = self._skills(stage)
            if index == 0:
                district, skills = ORGANIZATIONS[0].district, ["elderly_care", "first_aid"]
            elif index == 1:
                skills = sorted(set(skills) | {"first_aid", "photography"})
            birth = birth_date_for_age(self.rng, self.today, age)
            while True:
                number = resident_id_number(birth_region_code(self.rng, district, birth), birth, self.rng.randint(0, 499), sex)
                if number not in self.id_numbers:
                    self.id_numbers.add(number)
                    break
            street, community = self._home(district)
            categories = {c for s in skills for c in CATEGORIES_BY_SKILL[s]}
            categories.add(self.rng.choice(GENERAL_CATEGORIES))
            registration = self.app.register_volunteer(
                name=name, sex=sex, birth_date=birth, id_type="resident_id", id_number=number,
                phone=self._phone(), district=district, street=street, community=community,
                skills=skills, service_categories=sorted(categories), guardian_consent=age < 18,
            )
            self.people.append(Person(index, name, sex, age, stage, district, skills, registration.volunteer_id))
            if (index + 1) % 50 == 0 or index + 1 == self.count:
                self.say(f"registered {index + 1}/{self.count} volunteers")

    # Organizations -----------------------------------------------------------------------------
    def register_organizations(self) -> None:
        self.reseed("organizations")
        demo_organizer = self.people[0]
        # Organizers: working-age or recently retired adults; never the demo volunteer.
        pool = [p for p in self.people[2:] if not p.minor and 25 <= p.age <= 68]
        self.rng.shuffle(pool)
        for index, template in enumerate(ORGANIZATIONS):
            local = [p for p in pool if p.district == template.district]
            others = [p for p in pool if p.district != template.district]
            wanted = self.rng.choice((1, 2, 2, 3))
            if index in DEMO_ORGS:
                wanted = min(wanted, 2)
            # Leave at least one for every organization still to come (small demos).
            wanted = max(1, min(wanted, len(pool) - (len(ORGANIZATIONS) - 1 - index)))
            organizers = (local + others)[:wanted]
            for p in organizers:
                pool.remove(p)
            if index == DEMO_ORGS[0]:
                organizers = [demo_organizer, *organizers[:1]]
            elif index == DEMO_ORGS[1]:
                organizers = [*organizers, demo_organizer]
            founder = organizers[0]
            org_id = self.app.register_organization(
                founder.actor, name=template.name, district=template.district, street=template.street,
                description=template.description,
            )
            org = Org(index, template, organizers, org_id)
            for p in organizers:
                p.organizer_of.add(index)
                if p is not founder:
                    self.app.add_organizer(founder.actor, org.id, p.id)
            self.orgs.append(org)
        for org in self.orgs:
            if org.index != UNVERIFIED:
                admin = self.admins[1] if org.index % 5 == 4 else self.admins[0]
                self.app.verify_organization(admin, org.id)
        self.say(f"registered {len(self.orgs)} organizations, {len(self.orgs) - 1} verified")

    def organizer(self, org: Org) -> Person:
        return self.rng.choice(org.organizers)

    def publish_projects(self) -> None:
        self.reseed("projects")
        for org in self.orgs:
            for template in org.template.projects:
                in_charge = self.rng.choice(org.organizers).name if self.rng.random() < 0.7 else self.fake.name()
                project_id = self.app.publish_project(
                    self.organizer(org).actor, organization_id=org.id, name=template.name,
                    description=template.description, category=template.category, district=org.template.district,
                    street=template.street, community=template.community, person_in_charge=in_charge,
                )
                org.projects.append(Project(org, template, project_id, in_charge))
        self.say(f"published {sum(len(o.projects) for o in self.orgs)} projects")

    def add_shift(self, project: Project, template: ShiftTemplate, starts_at: datetime, minutes: int, capacity: int | None = None) -> Shift:
        ends_at = starts_at + timedelta(minutes=minutes)
        capacity = capacity or self.rng.randint(*template.capacity)
        shift_id = self.app.add_shift(
            self.organizer(project.org).actor, project.id, title=template.title, starts_at=starts_at, ends_at=ends_at,
            place=template.place, capacity=capacity, required_skills=template.skills,
        )
        return Shift(project, template, shift_id, starts_at, ends_at, capacity)

    @staticmethod
    def at(day: date, hhmm: str) -> datetime:
        hour, minute = map(int, hhmm.split(":"))
        return datetime.combine(day, time(hour, minute), tzinfo=BEIJING)

    def candidates(
        self, org: Org, skills: Sequence[str] = (), start: datetime | None = None, end: datetime | None = None,
        *, minors: bool = True,
    ) -> list[Person]:
        """Volunteers who may serve this org: not its organizers, skilled, free then.

        The demo volunteer is left out: their records are placed on purpose, not at random.
        Minors serve only in daytime shifts.
        """
        needed = set(skills)
        demo = self.people[1]
        return [
            p for p in self.people
            if p is not demo and org.index not in p.organizer_of and needed <= set(p.skills)
            and (start is None or end is None or p.free(start, end))
            and (not p.minor or (minors and (start is None or start.astimezone(BEIJING).hour < 18)))
        ]

    # Past service: bulk entry by organizers ----------------------------------------------------
    def past_service(self) -> list[Shift]:
        shifts: list[Shift] = []
        recorded = 0
        for org in self.orgs:
            for number, project in enumerate(org.projects):
                self.reseed("past", org.index, number)
                days = self.rng.sample(range(1, 8), k=self.rng.choice((1, 2, 2)))
                for ago in sorted(days, reverse=True):
                    template = self.rng.choice(project.template.shifts)
                    shift = self.add_shift(project, template, self.at(self.today - timedelta(days=ago), template.start), template.minutes)
                    shifts.append(shift)
                    recorded += self.bulk_entry(shift)
        demo = self.people[1]
        self.reseed("past", "demo")
        # The demo volunteer served twice in the demo organizer's organization and once elsewhere.
        for org in (self.orgs[DEMO_ORGS[0]], self.orgs[DEMO_ORGS[0]], self.orgs[5]):
            options = [
                s for s in shifts
                if s.project.org is org and demo.free(s.starts_at, s.ends_at) and set(s.template.skills) <= set(demo.skills)
            ]
            if options:
                recorded += self.bulk_entry(self.rng.choice(options), only=[demo])
        # Preparation work recorded without a shift (no scheduled length to respect).
        for org in self.orgs[:6]:
            self.reseed("preparation", org.index)
            project = self.rng.choice(org.projects)
            day = self.today - timedelta(days=self.rng.randint(1, 6))
            people = [p for p in self.candidates(org) if p.can_serve(day, 120)]
            chosen = self.rng.sample(people, k=min(2, len(people)))
            entries = []
            for p in chosen:
                minutes = self.rng.choice((60, 90, 120))
                p.served(day, minutes)
                entries.append(BatchEntry(p.id, day, minutes, f"{project.template.name}筹备：物资准备与场地布置"))
            if entries:
                ids = self.app.record_service_batch(self.organizer(org).actor, project.id, entries)
                self.confirmed += [Record(i, p, org, e.service_minutes) for i, p, e in zip(ids, chosen, entries, strict=True)]
                recorded += len(entries)
        self.say(f"recorded {recorded} confirmed service records by bulk entry on {len(shifts)} past shifts")
        return shifts

    def bulk_entry(self, shift: Shift, only: list[Person] | None = None) -> int:
        org = shift.project.org
        people = only if only is not None else self.candidates(org, shift.template.skills, shift.starts_at, shift.ends_at)
        if only is None:
            people = self.rng.sample(people, k=min(len(people), self.rng.randint(3, max(3, min(8, shift.capacity)))))
        entries = []
        for p in people:
            # Most served the whole shift; some arrived late or left early.
            minutes = shift.minutes if self.rng.random() < 0.7 else shift.minutes - self.rng.choice((15, 30, 45))
            if p is self.people[1] and not any(r.person is p and r.minutes < r.shift.minutes for r in self.confirmed if r.shift):
                minutes = shift.minutes - 30  # leaves room for the correction the demo volunteer asks for
            p.book(shift.starts_at, shift.ends_at)
            p.served(shift.day, minutes)
            entries.append(BatchEntry(p.id, shift.day, minutes, shift.template.title, shift.id))
        if not entries:
            return 0
        ids = self.app.record_service_batch(self.organizer(org).actor, shift.project.id, entries)
        self.confirmed += [Record(i, p, org, e.service_minutes, shift) for i, p, e in zip(ids, people, entries, strict=True)]
        return len(entries)

    # Today: attendance on running shifts -------------------------------------------------------
    def running_shifts(self) -> None:
        local_now = self.now.astimezone(BEIJING)
        base = local_now.replace(minute=local_now.minute // 30 * 30, second=0, microsecond=0)
        night = not 10 <= local_now.hour < 22  # the shift would start before 6 or end after midnight
        demo = self.people[1]
        plan = [(self.orgs[DEMO_ORGS[0]], True), (self.orgs[DEMO_ORGS[1]], False), (self.orgs[6], False), (self.orgs[8], False)]
        records = 0
        for org, with_demo in plan:
            self.reseed("running", org.index)
            # Any skill may come: a shift in progress shows a full roster.
            project = self.rng.choice([p for p in org.projects if any(not t.skills for t in p.template.shifts)])
            template = next(t for t in project.template.shifts if not t.skills)
            if night:
                project = next(p for p in org.projects if p.template.night)
                template = project.template.night or template
            starts_at = base - timedelta(hours=self.rng.choice((2, 3, 4)))
            ends_at = base + timedelta(minutes=self.rng.choice((60, 90, 120)))
            minutes = int((ends_at - starts_at).total_seconds() // 60)
            shift = self.add_shift(project, template, starts_at, minutes, capacity=self.rng.randint(8, 12))
            people = self.candidates(org, template.skills, starts_at, ends_at, minors=False)
            if demo in people:
                people.remove(demo)
            people = self.rng.sample(people, k=min(len(people), shift.capacity - 2))
            if with_demo and demo.free(starts_at, ends_at):
                people.insert(0, demo)
            for p in people:
                actor = p.actor if self.rng.random() < 0.8 else self.organizer(org).actor
                self.app.sign_up(actor, shift.id, p.id)
                p.book(starts_at, ends_at)
            staff = self.organizer(org)
            no_shows = 1 if len(people) > 4 else 0
            on_site = 1 if len(people) > 3 else 0
            for n, p in enumerate(people):
                if n >= len(people) - no_shows:
                    break  # signed up, never came
                checked_in = starts_at - timedelta(minutes=self.rng.randint(0, 25))
                self.app.check_in(staff.actor, shift.id, p.id, at=checked_in)
                if n >= len(people) - no_shows - on_site:
                    continue  # still on site
                checked_out = self.now - timedelta(minutes=self.rng.randint(1, 20))
                record_id = self.app.check_out(staff.actor, shift.id, p.id, at=checked_out)
                minutes = min(int((checked_out - checked_in).total_seconds() // 60), shift.minutes)
                p.served(local_date(checked_in), minutes)
                self.pending.append(Record(record_id, p, org, minutes, shift, source="check_out"))
                records += 1
        self.say(f"checked {records} volunteers in and out of {len(plan)} running shifts")

    # Future shifts with open places ------------------------------------------------------------
    def future_shifts(self) -> None:
        shifts = 0
        sign_ups = 0
        full_done = demo_signed_up = False
        demo = self.people[1]
        for org in self.orgs:
            for number, project in enumerate(org.projects):
                self.reseed("future", org.index, number)
                for ahead in sorted(self.rng.sample(range(1, 22), k=2)):
                    template = self.rng.choice(project.template.shifts)
                    shift = self.add_shift(project, template, self.at(self.today + timedelta(days=ahead), template.start), template.minutes)
                    shifts += 1
                    people = self.candidates(org, template.skills, shift.starts_at, shift.ends_at)
                    if not full_done and shift.capacity <= len(people) and shift.capacity <= 8:
                        take, full_done = shift.capacity, True  # one shift is already full
                    else:
                        take = min(len(people), int(shift.capacity * self.rng.uniform(0.0, 0.7)))
                    chosen = self.rng.sample(people, k=take)
                    if (
                        not demo_signed_up and org.index == DEMO_ORGS[0] and len(chosen) < shift.capacity
                        and demo.free(shift.starts_at, shift.ends_at) and set(template.skills) <= set(demo.skills)
                    ):
                        chosen.append(demo)  # the demo volunteer has a shift coming up
                        demo_signed_up = True
                    for p in chosen:
                        self.app.sign_up(p.actor, shift.id, p.id)
                        p.book(shift.starts_at, shift.ends_at)
                    sign_ups += len(chosen)
        self.say(f"scheduled {shifts} future shifts with {sign_ups} sign-ups")

    # Self-declarations -------------------------------------------------------------------------
    def self_declarations(self, past: list[Shift]) -> None:
        demo = self.people[1]
        declared = 0
        self.reseed("declarations")
        plan: list[tuple[Person, Org | None]] = [(demo, self.orgs[DEMO_ORGS[0]]), (demo, self.orgs[2]), (demo, self.orgs[DEMO_ORGS[0]])]
        others = [p for p in self.people[2:] if not p.minor]
        plan += [(p, None) for p in self.rng.sample(others, k=min(len(others), max(12, self.count // 8)))]
        for n, (p, org) in enumerate(plan):
            self.reseed("declaration", n)
            org = org or self.rng.choice([o for o in self.orgs if o.projects and o.index not in p.organizer_of])
            options = [
                s for s in past
                if s.project.org is org and p.free(s.starts_at, s.ends_at) and p.can_serve(s.day, s.minutes)
                and set(s.template.skills) <= set(p.skills)
            ]
            if options and p is not demo and self.rng.random() < 0.5:
                shift = self.rng.choice(options)
                minutes = shift.minutes - self.rng.choice((0, 0, 15, 30))
                p.book(shift.starts_at, shift.ends_at)
                p.served(shift.day, minutes)
                record_id = self.app.declare_service(
                    p.actor, project_id=shift.project.id, service_date=shift.day, service_minutes=minutes,
                    content=shift.template.title, shift_id=shift.id,
                )
                record = Record(record_id, p, org, minutes, shift, source="self_declared")
            else:
                project = self.rng.choice(org.projects)
                minutes = self.rng.choice((60, 90, 120, 150, 180))
                days = [self.today - timedelta(days=ago) for ago in range(1, 8) if p.can_serve(self.today - timedelta(days=ago), minutes)]
                if not days:
                    continue
                day = self.rng.choice(days)
                p.served(day, minutes)
                record_id = self.app.declare_service(
                    p.actor, project_id=project.id, service_date=day, service_minutes=minutes,
                    content=self.rng.choice(SELF_DECLARED_CONTENT[project.template.category]),
                    place=project.template.shifts[0].place if self.rng.random() < 0.5 else None,
                )
                record = Record(record_id, p, org, minutes, source="self_declared")
            if p is demo:  # the declaration to another organization is rejected; the others wait
                record.plan = "reject" if n == 1 else "pending"
            self.pending.append(record)
            declared += 1
        self.say(f"{declared} self-declared service records")

    # Organizers' decisions ---------------------------------------------------------------------
    def decide(self) -> None:
        confirmed = rejected = corrected = 0
        demo = self.people[1]
        waiting: list[Record] = []
        for n, record in enumerate(self.pending):
            self.reseed("decision", n)
            plan = record.plan
            staff = self.organizer(record.org)
            if plan == "reject":
                self.app.reject_record(staff.actor, record.id, REJECTION_REASONS[0])
                rejected += 1
                continue
            if plan == "pending" or record.person is demo:
                waiting.append(record)
                continue
            roll = self.rng.random()
            reject_below = 0.6 + (0.05 if record.source == "check_out" else 0.2)
            if roll < 0.6:
                self.app.confirm_record(staff.actor, record.id)
                self.confirmed.append(record)
                confirmed += 1
            elif roll < reject_below:
                if record.source == "check_out":
                    reason = CHECK_OUT_REJECTION
                elif record.shift is not None:
                    reason = SHIFT_REJECTION
                else:
                    reason = REJECTION_REASONS[rejected % len(REJECTION_REASONS)]
                self.app.reject_record(staff.actor, record.id, reason)
                rejected += 1
            else:
                waiting.append(record)
        # An organizer corrects a pending self-declaration before confirming it.
        self.reseed("decisions")
        for record in waiting:
            if record.person is not demo and record.shift is None and record.minutes > 60:
                staff = self.organizer(record.org)
                self.app.correct_record(staff.actor, record.id, record.minutes - 30, PENDING_CORRECTION)
                self.app.confirm_record(staff.actor, record.id)
                record.minutes -= 30
                self.confirmed.append(record)
                waiting.remove(record)
                corrected += 1
                confirmed += 1
                break
        self.say(f"organizers confirmed {confirmed}, rejected {rejected}; {len(waiting)} records stay pending")

    def corrections_and_revocations(self) -> None:
        demo = self.people[1]
        applied = requested = revoked = 0
        self.reseed("corrections")
        on_shifts = [(r, r.shift) for r in self.confirmed if r.shift is not None]
        # Volunteers ask for a correction of a short bulk entry; the organization checks and corrects.
        short = [(r, s) for r, s in on_shifts if r.minutes < s.minutes and r.person is not demo]
        for record, shift in self.rng.sample(short, k=min(3, len(short))):
            self.app.correct_record(record.person.actor, record.id, shift.minutes, self.rng.choice(CORRECTION_REQUESTS))
            self.app.correct_record(self.organizer(record.org).actor, record.id, shift.minutes, UPWARD_CORRECTION)
            record.minutes = shift.minutes
            requested += 1
            applied += 1
        # An organizer corrects a record downwards on their own initiative.
        full = [r for r, s in on_shifts if r.minutes == s.minutes and r.minutes > 60 and r.person is not demo]
        if full:
            record = self.rng.choice(full)
            record.minutes -= 60
            self.app.correct_record(self.organizer(record.org).actor, record.id, record.minutes, DOWNWARD_CORRECTION)
            applied += 1
        # The demo volunteer's request waits for the demo organizer.
        mine = [(r, s) for r, s in on_shifts if r.person is demo and r.org.index == DEMO_ORGS[0] and r.minutes < s.minutes]
        if mine:
            record, shift = mine[0]
            self.app.correct_record(demo.actor, record.id, shift.minutes, CORRECTION_REQUESTS[0])
            requested += 1
        # Revocations: a record of someone who did not come, and a duplicated bulk entry.
        candidates = [(r, s) for r, s in on_shifts if r.person is not demo and r.org.index not in DEMO_ORGS]
        if candidates:
            record, _ = pair = self.rng.choice(candidates)
            self.app.revoke_record(self.organizer(record.org).actor, record.id, REVOCATION_REASONS[0])
            self.confirmed.remove(record)
            candidates.remove(pair)
            revoked += 1
        if candidates:
            original, shift = self.rng.choice(candidates)
            staff = self.organizer(original.org)
            [duplicate] = self.app.record_service_batch(
                staff.actor, shift.project.id,
                [BatchEntry(original.person.id, shift.day, original.minutes, shift.template.title, shift.id)],
            )
            self.app.revoke_record(staff.actor, duplicate, REVOCATION_REASONS[1])
            revoked += 1
        self.say(f"{requested} corrections requested, {applied} applied, {revoked} records revoked")

    # The time bank ------------------------------------------------------------------------------
    def balance(self, person: Person) -> int:
        account: object = self.app.repository.get(TimeAccount.create_id(person.id))
        assert isinstance(account, TimeAccount)
        return account.available

    def time_bank(self) -> None:
        """Credits circulate: gifts to relatives, donations to pools, a pool's grant, redemptions, exchanges."""
        demo = self.people[1]
        self.reseed("time-bank")
        earners = [p for p in self.people if not p.minor and p is not demo and self.balance(p) >= 120]
        givers = self.rng.sample(earners, k=min(len(earners), 16))
        moved = {"gift": 0, "donation": 0, "redemption": 0, "grant": 0}
        donated: dict[str, int] = {}

        def move(person: Person, credit: UUID, minutes: int, kind: str, **kw: Any) -> None:
            account = TimeAccount.create_id(person.id)
            self.app.transfer(person.actor, TransferRequest(account, credit, minutes, kind, **kw), idempotency_key=f"demo-{kind}-{moved[kind]}")
            moved[kind] += 1

        for n, person in enumerate(givers):
            minutes = self.rng.choice((30, 60, 60, 90))
            if n % 3 == 0:
                relative = self.rng.choice([p for p in self.people if p is not person and not p.minor])
                move(person, TimeAccount.create_id(relative.id), minutes, "gift", relation=self.rng.choice(("spouse", "parent", "child")),
                     note="给家人的时间")
            else:
                move(person, pool_account_id(person.district), minutes, "donation", note="捐入社区互助池")
                donated[person.district] = donated.get(person.district, 0) + minutes
        seniors = [p for p in self.people if p.age >= 60]
        for senior in seniors[:2]:
            pool = max(sorted(donated), key=lambda d: donated[d], default=None)
            if pool is None or donated[pool] < 30:
                break
            donated[pool] -= 30
            self.app.transfer(self.admins[0], TransferRequest(pool_account_id(pool), TimeAccount.create_id(senior.id), 30, "grant",
                                                              note="社区互助池资助高龄老人"), idempotency_key=f"demo-grant-{senior.id}")
            moved["grant"] += 1
            move(senior, REDEMPTION_ACCOUNT_ID, 30, "redemption", note="兑换上门助浴服务")
        self.exchanges(demo, earners)
        self.say(", ".join(f"{count} {kind}s" for kind, count in moved.items()))

    def exchanges(self, demo: Person, earners: list[Person]) -> None:
        """The board: open requests (one the demo volunteer's), accepted, completed and cancelled exchanges."""
        self.reseed("exchanges")
        asks = [("帮忙取快递", 30), ("陪同去医院复诊", 120), ("辅导孩子数学作业", 60), ("教老人使用智能手机", 60),
                ("帮忙照看宠物一天", 90), ("修理自行车", 30), ("代买菜", 30), ("读报给视障老人听", 60)]
        helpers = [p for p in self.people if not p.minor and p is not demo]
        for n, (title, minutes) in enumerate(asks):
            requester = demo if n == 0 else earners[n % len(earners)] if earners else demo
            exchange = self.app.request_exchange(requester.actor, title=title, description=f"{requester.district}，时间可商量。",
                                                 minutes=minutes, district=requester.district)
            provider = self.rng.choice([h for h in helpers if h is not requester])
            if n == 1:
                self.app.offer_exchange(demo.actor, exchange)  # the demo volunteer offered help
            if n < 3 or self.balance(requester) < minutes:
                continue  # stays open on the board
            self.app.offer_exchange(provider.actor, exchange)
            self.app.accept_exchange_offer(requester.actor, exchange, provider.id)
            if n % 4 == 3:
                self.app.confirm_exchange(requester.actor, exchange)
            elif n == 6:
                self.app.cancel_exchange(requester.actor, exchange, "时间冲突，改约他人")

    # Tokens ------------------------------------------------------------------------------------
    def access(self) -> DemoAccess:
        organizer, volunteer = self.people[0], self.people[1]
        admin = self.admins[0]
        self.reseed("access")
        return DemoAccess(
            admin_token=self.app.create_token(Role.ADMIN, "演示管理员 (demo admin)", subject_id=admin.id),
            auditor_token=self.app.create_token(Role.AUDITOR, "演示审计员 (demo auditor)", subject_id=self._uuid()),
            organizer_token=self.app.create_token(Role.VOLUNTEER, "演示组织者 (demo organizer)", subject_id=organizer.id, actor=admin),
            volunteer_token=self.app.create_token(Role.VOLUNTEER, "演示志愿者 (demo volunteer)", subject_id=volunteer.id, actor=admin),
            organizer_id=organizer.id,
            volunteer_id=volunteer.id,
            organization_ids=[self.orgs[i].id for i in DEMO_ORGS],
            unverified_organization_id=self.orgs[UNVERIFIED].id,
        )

    def run(self) -> DemoAccess:
        self.register_people()
        self.register_organizations()
        self.publish_projects()
        past = self.past_service()
        self.running_shifts()
        self.self_declarations(past)
        self.future_shifts()
        self.decide()
        self.corrections_and_revocations()
        self.time_bank()
        access = self.access()
        self.say("demo data ready")
        return access


def seed_demo(
    app: TimeBank,
    *,
    volunteers: int = 300,
    seed: int = 20261123,
    progress: Callable[[str], None] | None = None,
) -> DemoAccess:
    """Fill an empty time bank with demo data through its commands; return the demo logins.

    Call it on an empty store (see `is_seeded`). `progress` receives short English status lines.
    Needs at least MIN_VOLUNTEERS volunteers (organizers are drawn from them).
    """
    return _Seeder(app, volunteers, seed, progress).run()
