"""A realistic Beijing-sized data set, written straight into a store (SQLite files or a PostgreSQL schema).

    python -m benchmarks.generate --data-dir /work/data-scale --volunteers 1000000 --events 10000000
    python -m benchmarks.generate --database-url postgresql://postgres@127.0.0.1:5432/test --schema tb_scale ...

Commands through HTTP or one application call per save run at about 1,000 a second: days for ten
million events. Here the application's own use-case methods (`register_volunteer`,
`record_service_batch`, `declare_service`, `confirm_record`, `reject_record`, the exchanges and the
transfers) run against aggregates held in memory: a `_Builder` is a `TimeBank` whose `save()`
collects the new events instead of writing them and whose repository is what it built. So the
events are exactly those the commands make, personal data sealed by the application's vault. The
events are then written a chunk at a time, in one transaction each, by the real application's
recorder; the data keys the vault made go to the key store in one statement per chunk.

Volunteers are generated a chunk at a time and each chunk's history runs in time order from their
registration to a fixed clock (`NOW`); only organizations, their accounts, projects and district
pools stay in memory, so memory is bounded whatever the size. Districts are weighted by Beijing's
2020 census; records respect the recording deadline (recorded within days of the service).
"""

from __future__ import annotations

import argparse
import functools
import heapq
import itertools
import random
import resource
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from sqlalchemy import Engine, insert

from adapters.keys import MemoryKeyStore, personal_data_keys
from adapters.vault import AesGcmVault
from api.app import build_services
from api.services import Services
from demo.id_numbers import birth_region_code, resident_id_number
from demo.places import RESIDENTS_2020, STREETS
from timebank.application import BatchEntry, TimeBank, TransferRequest
from timebank.clock import utcnow
from timebank.domain.actors import Actor, Role
from timebank.domain.ledger import DONATION, GIFT, VOLUNTEER, TimeAccount, pool_account_id
from timebank.domain.organization import Organization
from timebank.domain.project import Project
from timebank.domain.rules import WorkingCalendar
from timebank.settings import Settings

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # the fixed clock: 10:00 in Beijing
START = datetime(2021, 3, 1, 1, 0, tzinfo=timezone.utc)  # the first rule set is in force from 2021-03-01
ADMIN = Actor(Role.ADMIN, UUID("00000000-0000-4000-8000-00000000ad01"))
OLDEST_BIRTH = date(1946, 1, 1)
BIRTH_SPAN_DAYS = (date(2007, 2, 28) - OLDEST_BIRTH).days
REGISTRATION_EVENTS = 7
POSTGRES_SLICE = 2000  # events per insert on PostgreSQL  # Volunteer, identity claim, number claim, login phone (2), account, token

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志文利春梅海波宁欣怡浩宇子涵梓轩雨晨佳琪思远"
# Kinds of organization, with the categories their projects run.
ORG_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("社区志愿服务队", ("community_service", "elderly_care", "civilization_practice")),
    ("为老服务志愿站", ("elderly_care", "health")),
    ("青年志愿者协会", ("education", "large_event", "culture")),
    ("新时代文明实践站", ("civilization_practice", "culture", "community_service")),
    ("环保志愿服务队", ("environment", "community_service")),
    ("助残志愿服务中心", ("disability_support", "health")),
    ("应急救援志愿队", ("emergency", "health")),
    ("关爱儿童志愿服务队", ("child_care", "education")),
)
PROJECT_NAMES: dict[str, tuple[str, ...]] = {
    "community_service": ("社区环境整治", "垃圾分类引导", "楼门院治理"), "elderly_care": ("独居老人探访", "助餐送餐", "陪伴聊天"),
    "child_care": ("四点半课堂", "假期托管"), "disability_support": ("助残出行", "康复陪护"),
    "environment": ("河道清洁", "植树护绿"), "culture": ("文化馆讲解", "图书馆整理"),
    "education": ("义务辅导", "科普讲座"), "health": ("义诊服务", "健康宣教"), "emergency": ("防汛值守", "应急演练"),
    "large_event": ("马拉松赛事保障", "城市志愿服务站"), "civilization_practice": ("文明引导", "交通劝导"), "other": ("综合服务",),
}
RELATIONS = ("spouse", "parent", "child", "grandparent", "grandchild")
# The mix of activities a volunteer's history is drawn from, and what each costs in events (about).
ACTIVITIES: tuple[tuple[str, float], ...] = (("bulk", 0.55), ("declared", 0.30), ("exchange", 0.06), ("gift", 0.05), ("donation", 0.04))
EVENTS_PER_ACTIVITY = 0.55 * 3 + 0.30 * 8.2 + 0.06 * 10 + 0.05 * 3 + 0.04 * 3


class _KeyBuffer(MemoryKeyStore):
    """The vault's key store while generating: new wrapped keys wait in memory and go to the real
    store in one statement per chunk."""

    def flush(self, engine: Engine) -> int:
        keys = list(self.all_keys())
        if not keys:
            return 0
        now = utcnow()
        rows = [{"subject_id": k.subject_id, "master_key_id": k.master_key_id, "wrapped": k.wrapped, "created_at": now} for k in keys]
        with engine.begin() as conn:
            conn.execute(insert(personal_data_keys), rows)
        for key in keys:
            self.destroy(key.subject_id)
        return len(rows)


class _Known:
    """The builder's repository: the aggregates it made. `shared` ones live for the whole run."""

    def __init__(self) -> None:
        self.shared: dict[UUID, Aggregate] = {}
        self.local: dict[UUID, Aggregate] = {}

    def get(self, aggregate_id: UUID, **_: Any) -> Aggregate:
        found = self.local.get(aggregate_id) or self.shared.get(aggregate_id)
        if found is None:
            raise AggregateNotFoundError(aggregate_id)
        return found

    def __contains__(self, aggregate_id: object) -> bool:
        return aggregate_id in self.local or aggregate_id in self.shared

    def put(self, aggregate: Aggregate) -> None:
        if aggregate.id not in self.shared:
            self.local[aggregate.id] = aggregate


class _CachedCalendar:
    """The store's working-day calendar, each date asked once (chinese-calendar's look-up is slow)."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.is_working_day = functools.cache(calendar.is_working_day)


class _Builder(TimeBank):
    """The application's use cases on aggregates in memory: `save()` collects events, in save order."""

    def __init__(self, real: TimeBank, vault: AesGcmVault) -> None:
        super().__init__(
            {"PERSISTENCE_MODULE": "eventsourcing.popo"}, rules=real.rules, calendar=_CachedCalendar(real.calendar), clock=self._clock,
            identity_secret=real._identity_secret.decode("utf-8"), vault=vault, passwords=real._passwords, tokens=real._tokens,
        )
        self.known = _Known()
        self._repository = self.known  # type: ignore[assignment]
        self.now = START
        self.collected: list[Any] = []
        self.snapshots_due: list[Any] = []
        self.next_number = 0

    def _clock(self) -> datetime:
        return self.now

    def save(self, *objs: Any, **kwargs: Any) -> list[Any]:
        for obj in objs:
            if obj is None:
                continue
            new = obj.collect_events()
            self.collected.extend(new)
            self.known.put(obj)
            interval = self.snapshotting_intervals.get(type(obj))
            if interval and any(e.originator_version % interval == 0 for e in new):
                self.snapshots_due.append(type(obj).Snapshot.take(obj))
        return []

    def _free_volunteer_number(self) -> str:
        """Unique without a look-up: a bijection of a counter onto the 10 digits (the multiplier is coprime to 10)."""
        self.next_number += 1
        return "BJ" + f"{(self.next_number * 7_919_000_003 + 1_234_567) % 10**10:010d}"


@dataclass
class Member:
    id: UUID
    district: str
    registered: datetime
    account_id: UUID

    @property
    def actor(self) -> Actor:
        return Actor(Role.VOLUNTEER, self.id)


@dataclass
class ProjectRef:
    id: UUID
    organizer: Actor
    district: str
    category: str


@dataclass
class Totals:
    volunteers: int = 0
    events: int = 0
    keys: int = 0
    snapshots: int = 0
    activities: dict[str, int] = field(default_factory=dict)
    write_seconds: float = 0.0


class Generator:
    """Builds the data set a chunk at a time and writes it through the real application's recorder."""

    def __init__(self, services: Services, *, seed: int = 20261120, write: str = "recorder",
                 progress: Callable[[str], None] | None = None) -> None:
        self.services = services
        self.real = services.timebank
        self.write = write
        self.rng = random.Random(seed)
        real_vault = self.real.vault
        assert isinstance(real_vault, AesGcmVault)
        self.key_engine: Engine = real_vault.store.engine  # type: ignore[attr-defined]
        self.keys = _KeyBuffer()
        self.builder = _Builder(self.real, AesGcmVault(self.keys, real_vault.master_keys))
        self.projects: list[ProjectRef] = []
        self.projects_by_district: dict[str, list[ProjectRef]] = {}
        self.totals = Totals()
        self.progress = progress or (lambda line: print(line, file=sys.stderr, flush=True))
        self.began = time.perf_counter()
        self.people = 0  # every person made so far, for unique identity documents and phones
        self._declared_days: set[tuple[date, UUID]] = set()
        self._district_names = list(RESIDENTS_2020)
        self._district_cum = list(itertools.accumulate(RESIDENTS_2020.values()))

    # People ------------------------------------------------------------------------
    def _district(self) -> str:
        return self.rng.choices(self._district_names, cum_weights=self._district_cum)[0]

    def _person(self, when: datetime, shared_phone: str | None = None) -> dict[str, Any]:
        """Unique identity documents and phones without look-ups: both are bijections of a counter."""
        i = self.people
        self.people += 1
        rng = self.rng
        district = self._district()
        today = when.date()
        # Born 1946..2007 (14 or older when the first rule set came in); (birth date, sequence) is unique per person.
        birth = OLDEST_BIRTH + timedelta(days=((i // 500) * 7919 + 17) % BIRTH_SPAN_DAYS)
        sex = "male" if rng.random() < 0.45 else "female"
        if rng.random() < 0.985:
            id_type, id_number = "resident_id", resident_id_number(birth_region_code(rng, district, birth), birth, i % 500, sex)
        else:
            id_type, id_number = "passport", f"E{(i * 104_729 + 99) % 10**8:08d}"
        phone = shared_phone or f"1{rng.choice('3578')}{rng.choice('0123456789')}{(i * 104_723 + 12_345) % 10**8:08d}"
        return {
            "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2)))),
            "sex": sex, "birth_date": birth, "id_type": id_type, "id_number": id_number, "phone": phone,
            "district": district, "street": rng.choice(STREETS[district]),
            "community": f"第{rng.randint(1, 30)}社区",
            "guardian_consent": (today - birth).days < 18 * 365 + 5,
        }

    def _register(self, when: datetime, shared_phone: str | None = None) -> tuple[Member, str]:
        self.builder.now = when
        person = self._person(when, shared_phone)
        registration = self.builder.register_volunteer(
            name=person["name"], sex=person["sex"], birth_date=person["birth_date"], id_type=person["id_type"],
            id_number=person["id_number"], phone=person["phone"], district=person["district"], street=person["street"],
            community=person["community"], skills=self.rng.sample(("first_aid", "driving", "tutoring", "cooking", "sign_language", "computer_help"), 1),
            service_categories=self.rng.sample(sorted(PROJECT_NAMES), 2), guardian_consent=person["guardian_consent"],
        )
        vid = registration.volunteer_id
        return Member(vid, person["district"], when, TimeAccount.create_id(vid)), person["phone"]

    # Set-up: organizations and projects ----------------------------------------------------
    def setup(self, organizations: int) -> None:
        b = self.builder
        for n in range(organizations):
            when = START + timedelta(minutes=n * 5 * 24 * 60 / max(organizations, 1))  # over the first five days
            founder, _ = self._register(when)
            kind, categories = ORG_KINDS[n % len(ORG_KINDS)]
            district = founder.district
            street = self.rng.choice(STREETS[district])
            b.now = when + timedelta(minutes=1)
            org_id = b.register_organization(founder.actor, name=f"{district}{street}{kind}第{n + 1}队", district=district, street=street,
                                             description=f"{street}的{kind}")
            b.now = when + timedelta(minutes=2)
            b.verify_organization(ADMIN, org_id)
            for p in range(self.rng.randint(1, 4)):
                category = categories[p % len(categories)]
                b.now = when + timedelta(minutes=3 + p)
                project_id = b.publish_project(
                    founder.actor, organization_id=org_id, name=self.rng.choice(PROJECT_NAMES[category]), category=category,
                    description="", person_in_charge=self.rng.choice(SURNAMES) + self.rng.choice(("老师", "主任", "队长")),
                )
                ref = ProjectRef(project_id, founder.actor, district, category)
                self.projects.append(ref)
                self.projects_by_district.setdefault(district, []).append(ref)
            if len(b.collected) >= 50_000:
                self._flush(0)
        self._flush(organizations)

    # Chunks of volunteers and their histories -----------------------------------------------
    def chunk(self, size: int, activity_budget: float) -> None:
        """Register `size` volunteers, run their history in time order, write everything."""
        rng, b = self.rng, self.builder
        span = (NOW - START).total_seconds() - 86400 * 8
        regs = sorted(START + timedelta(days=5, seconds=span * (1 - rng.random() ** 1.6)) for _ in range(size))
        members: list[Member] = []
        last_phone: str | None = None
        for when in regs:
            shared = last_phone if last_phone and rng.random() < 0.02 else None  # family members share a phone
            member, last_phone = self._register(when, shared)
            members.append(member)
        # Activity: many volunteers rarely serve, a few serve a lot.
        weights = [0.0 if rng.random() < 0.25 else rng.lognormvariate(0, 1.0) for _ in members]
        count = max(0, round(activity_budget / EVENTS_PER_ACTIVITY))
        steps: list[tuple[datetime, int, Callable[[], None]]] = []
        if count and sum(weights) > 0:
            kinds = rng.choices([k for k, _ in ACTIVITIES], [w for _, w in ACTIVITIES], k=count)
            for member, kind in zip(rng.choices(members, weights, k=count), kinds, strict=True):
                for step in self._plan(kind, member, members):
                    steps.append((step[0], len(steps), step[1]))
        heapq.heapify(steps)
        while steps:
            when, _, run = heapq.heappop(steps)
            b.now = when
            run()
        self._flush(size)

    def _when(self, after: datetime, days: float) -> datetime:
        """A moment `days` after `after` in Beijing's daytime, never past the fixed clock."""
        moment = after + timedelta(days=days)
        local_hour = (moment.hour + 8) % 24
        if not 9 <= local_hour < 20:
            moment += timedelta(hours=(9 - local_hour) % 24 + self.rng.random() * 8)
        return max(after, min(moment, NOW - timedelta(minutes=self.rng.randint(1, 600))))

    def _service_day(self, member: Member) -> date:
        first = member.registered.date() + timedelta(days=1)
        last = NOW.date() - timedelta(days=1)
        if first >= last:
            return last
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    def _project_for(self, member: Member) -> ProjectRef:
        near = self.projects_by_district.get(member.district)
        return self.rng.choice(near) if near and self.rng.random() < 0.75 else self.rng.choice(self.projects)

    def _plan(self, kind: str, member: Member, members: Sequence[Member]) -> Iterator[tuple[datetime, Callable[[], None]]]:
        rng, b = self.rng, self.builder
        day = self._service_day(member)
        service_moment = datetime(day.year, day.month, day.day, 1, 0, tzinfo=timezone.utc)
        recorded = self._when(max(service_moment, member.registered + timedelta(hours=1)), rng.random() * 4)
        minutes = rng.choice((30, 60, 90, 120, 120, 180, 240, 240, 300, 480))
        if kind == "bulk":
            project = self._project_for(member)
            entry = BatchEntry(member.id, day, minutes, rng.choice(("按时到岗，服务认真", "协助活动组织", "完成服务任务")))

            def bulk() -> None:
                b.record_service_batch(project.organizer, project.id, [entry])
                self._count("bulk")

            yield recorded, bulk
        elif kind == "declared":
            project = self._project_for(member)
            decided = self._when(recorded, 1 + rng.random() * 6)
            state: dict[str, UUID] = {}

            def declare() -> None:
                state["record"] = b.declare_service(member.actor, project_id=project.id, service_date=day, service_minutes=minutes,
                                                    content="自主申报的服务")
                self._count("declared")

            def decide() -> None:
                if decided >= NOW - timedelta(days=1) and rng.random() < 0.7:
                    return  # recent: still pending when the clock stops
                if rng.random() < 0.88:
                    b.confirm_record(project.organizer, state["record"])
                    self._count("confirmed")
                else:
                    b.reject_record(project.organizer, state["record"], rng.choice(("时长与签到记录不符", "未参加该活动")))
                    self._count("rejected")

            if (day, member.id) in self._declared_days:
                return  # one declaration a day per volunteer keeps the daily total within the rule
            self._declared_days.add((day, member.id))
            yield recorded, declare
            yield decided, decide
        else:
            other = rng.choice(members)
            if other.id == member.id:
                return
            when = self._when(max(recorded, other.registered + timedelta(hours=1)), 0)
            if kind == "exchange":
                yield from self._exchange(member, other, when, rng.choice((30, 60, 60, 90, 120)))
            elif kind == "gift":
                yield when, lambda: self._pay(member, other.account_id, GIFT, rng.choice((30, 60, 120)), rng.choice(RELATIONS))
            else:
                yield when, lambda: self._pay(member, pool_account_id(member.district), DONATION, rng.choice((30, 60)), None)

    def _exchange(self, requester: Member, provider: Member, when: datetime, minutes: int) -> Iterator[tuple[datetime, Callable[[], None]]]:
        b = self.builder
        state: dict[str, UUID] = {}
        offered = self._when(when, 0.2)
        accepted = self._when(offered, 0.3)
        done = self._when(accepted, 2 + self.rng.random() * 3)

        def request() -> None:
            state["id"] = b.request_exchange(requester.actor, title="帮忙" + self.rng.choice(("买菜", "接送孩子", "修电脑", "陪同就医")),
                                             description="", minutes=minutes, district=requester.district)

        def accept() -> None:
            account = b.known.get(requester.account_id)
            assert isinstance(account, TimeAccount)
            if account.available < minutes:  # checked first: a refused command must not leave changed aggregates behind
                b.cancel_exchange(requester.actor, state["id"], "余额不足")
                return
            b.accept_exchange_offer(requester.actor, state["id"], provider.id)
            state["accepted"] = state["id"]

        def confirm() -> None:
            if "accepted" in state:
                b.confirm_exchange(requester.actor, state["id"])
                self._count("exchange")

        yield when, request
        yield offered, lambda: b.offer_exchange(provider.actor, state["id"])
        yield accepted, accept
        yield done, confirm

    def _pay(self, member: Member, to: UUID, kind: str, minutes: int, relation: str | None) -> None:
        account = self.builder.known.get(member.account_id)
        assert isinstance(account, TimeAccount)
        if account.available < minutes:
            return
        self.builder.transfer(member.actor, TransferRequest(member.account_id, to, minutes, kind, relation=relation))
        self._count(kind)

    def _count(self, what: str) -> None:
        self.totals.activities[what] = self.totals.activities.get(what, 0) + 1

    # Writing -------------------------------------------------------------------------
    def _flush(self, volunteers: int) -> None:
        b = self.builder
        began = time.perf_counter()
        self.totals.keys += self.keys.flush(self.key_engine)
        # One transaction per chunk on SQLite. PostgreSQL's recorder sends a chunk as one array
        # parameter, whose cost grows faster than its length (8,000 events: 0.7 s; 50,000: minutes).
        step = len(b.collected) if self.services.settings.database_url is None else POSTGRES_SLICE
        for start in range(0, len(b.collected), step or 1):
            part = b.collected[start : start + step]
            if self.write == "save":
                self.real.save(*part)
            else:
                mapper = self.real.mapper
                self.real.recorder.insert_events([mapper.to_stored_event(e) for e in part])
        if b.snapshots_due and self.real.snapshots is not None:
            self.real.snapshots.put(b.snapshots_due)
            self.totals.snapshots += len(b.snapshots_due)
        self.totals.write_seconds += time.perf_counter() - began
        self.totals.events += len(b.collected)
        self.totals.volunteers += volunteers
        b.collected, b.snapshots_due = [], []
        for aggregate in b.known.local.values():  # organizations, projects, their accounts and pools live on
            if isinstance(aggregate, (Organization, Project)) or (isinstance(aggregate, TimeAccount) and aggregate.kind != VOLUNTEER):
                b.known.shared[aggregate.id] = aggregate
        b.known.local.clear()
        self._declared_days.clear()

    def report(self, target_volunteers: int, target_events: int) -> None:
        elapsed = time.perf_counter() - self.began
        t = self.totals
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.progress(
            f"{t.volunteers:,}/{target_volunteers:,} volunteers, {t.events:,}/{target_events:,} events, "
            f"{elapsed:,.0f} s, {t.events / elapsed:,.0f} events/s (writing {t.write_seconds:,.0f} s), peak RSS {rss:,.0f} MB"
        )


def generate(services: Services, volunteers: int, events: int, *, chunk: int = 5000, seed: int = 20261120, write: str = "recorder",
             progress: Callable[[str], None] | None = None) -> Totals:
    """Write about `events` events for `volunteers` volunteers into a fresh store; returns what was written."""
    if services.timebank.recorder.max_notification_id():
        raise SystemExit("the store already holds events; generate into a fresh data directory or schema")
    gen = Generator(services, seed=seed, write=write, progress=progress)
    organizations = max(2, volunteers // 250)
    gen.setup(organizations)
    gen.report(volunteers, events)
    remaining = volunteers - organizations
    while remaining > 0:
        size = min(chunk, remaining)
        # Spread what is left of the budget over who is left: each chunk corrects the last one's drift.
        budget = max(0.0, (events - gen.totals.events) * size / remaining - size * REGISTRATION_EVENTS)
        gen.chunk(size, budget)
        remaining -= size
        gen.report(volunteers, events)
    return gen.totals


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--volunteers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000, help="about this many events in all")
    parser.add_argument("--chunk", type=int, default=5000, help="volunteers generated and written together")
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument("--write", choices=("recorder", "save"), default="recorder",
                        help="recorder.insert_events of mapped events, or the application's save() of the events")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--data-dir", required=False, help="SQLite data directory (a fresh one)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL; SQLite files in --data-dir when omitted")
    parser.add_argument("--schema", default=None, help="PostgreSQL schema (created if missing)")
    parser.add_argument("--secret-key", default="", help="TIMEBANK_SECRET_KEY of the store (SQLite: kept in the data directory)")
    args = parser.parse_args()
    if not args.database_url and not args.data_dir:
        parser.error("give --data-dir (SQLite) or --database-url")
    if args.database_url and args.schema:
        import psycopg

        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{args.schema}"')
    settings = Settings.from_env(
        data_dir=Path(args.data_dir or "var"), database_url=args.database_url, database_schema=args.schema,
        **({"secret_key": args.secret_key} if args.secret_key else {}),
    )
    services = build_services(settings, clock=lambda: NOW)
    try:
        began = time.perf_counter()
        totals = generate(services, args.volunteers, args.events, chunk=args.chunk, seed=args.seed, write=args.write)
        elapsed = time.perf_counter() - began
    finally:
        services.close()
    print(f"wrote {totals.events:,} events ({totals.volunteers:,} volunteers, {totals.keys:,} data keys, {totals.snapshots:,} snapshots) "
          f"in {elapsed:,.1f} s: {totals.events / elapsed:,.0f} events/s; activities {totals.activities}")


if __name__ == "__main__":
    main()
