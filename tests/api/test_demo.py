"""The demo seeder: deterministic, complete (records in every state) and valid by the domain's rules."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from random import Random
from typing import Any

import pytest
from stdnum.cn import ric

from adapters.security import security_adapters
from demo import DemoAccess, is_seeded, seed_demo
from demo.id_numbers import resident_id_number
from demo.people import SKILLS
from demo.places import DEVELOPMENT_AREA, DISTRICT_CODES
from timebank.application import TimeBank
from timebank.clock import local_date
from timebank.domain.actors import Role
from timebank.domain.exchange import Exchange
from timebank.domain.ledger import TimeAccount, Transfer
from timebank.domain.organization import Organization
from timebank.domain.project import CATEGORIES, Project
from timebank.domain.service_record import CONFIRMED, PENDING, REJECTED, REVOKED, ServiceRecord
from timebank.domain.shift import Shift
from timebank.domain.volunteer import Volunteer, age_on


def aggregates(app: TimeBank, cls: type, created: str) -> list[Any]:
    """Every aggregate of one class, found by its creation event in the notification log."""
    topic_end = f"{cls.__name__}.{created}"
    notifications = app.recorder.select_notifications(1, 1_000_000)
    return [app.repository.get(n.originator_id) for n in notifications if n.topic.endswith(topic_end)]


def events_named(app: TimeBank, cls: type, name: str) -> list[Any]:
    topic_end = f"{cls.__name__}.{name}"
    return [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 1_000_000) if n.topic.endswith(topic_end)]


def summary(app: TimeBank) -> dict[str, Any]:
    records = aggregates(app, ServiceRecord, "Recorded")
    volunteers = aggregates(app, Volunteer, "Registered")
    return {
        "status": Counter(r.status for r in records),
        "source_status": Counter((r.source, r.status) for r in records),
        "people": sorted((d["name"], d["id_number"], d["phone"]) for d in (app.personal_data_of(v) or {} for v in volunteers)),
        "events": Counter(n.topic for n in app.recorder.select_notifications(1, 1_000_000)),
    }


@pytest.fixture(scope="module")
def seeded() -> tuple[TimeBank, DemoAccess]:
    app = TimeBank(**security_adapters("t"))
    messages: list[str] = []
    access = seed_demo(app, progress=messages.append)
    assert messages and messages[-1] == "demo data ready"
    return app, access


def test_is_seeded_tells_an_empty_store_from_a_seeded_one(seeded: tuple[TimeBank, DemoAccess]) -> None:
    assert not is_seeded(TimeBank(**security_adapters("t")))
    assert is_seeded(seeded[0])


def test_seeding_is_deterministic_for_a_seed() -> None:
    first, second = TimeBank(**security_adapters("t")), TimeBank(**security_adapters("t"))
    seed_demo(first, volunteers=120, seed=7)
    seed_demo(second, volunteers=120, seed=7)
    a, b = summary(first), summary(second)
    assert a["status"] == b["status"]
    assert a["source_status"] == b["source_status"]
    assert a["people"] == b["people"]
    assert a["events"] == b["events"]
    other = TimeBank(**security_adapters("t"))
    seed_demo(other, volunteers=120, seed=8)
    assert summary(other)["people"] != a["people"]


def test_too_few_volunteers_is_refused() -> None:
    with pytest.raises(ValueError):
        seed_demo(TimeBank(**security_adapters("t")), volunteers=10)


def test_tokens_authenticate_to_their_roles(seeded: tuple[TimeBank, DemoAccess]) -> None:
    app, access = seeded
    admin = app.authenticate(access.admin_token)
    auditor = app.authenticate(access.auditor_token)
    organizer = app.authenticate(access.organizer_token)
    volunteer = app.authenticate(access.volunteer_token)
    assert admin is not None and admin.role is Role.ADMIN
    assert auditor is not None and auditor.role is Role.AUDITOR
    assert organizer is not None and organizer.role is Role.VOLUNTEER and organizer.id == access.organizer_id
    assert volunteer is not None and volunteer.role is Role.VOLUNTEER and volunteer.id == access.volunteer_id
    assert access.organizer_id != access.volunteer_id
    assert access.organization_ids
    for organization_id in access.organization_ids:
        assert app.is_organizer(organizer, organization_id)
        assert app.get_organization(organization_id).verified
        assert not app.is_organizer(volunteer, organization_id)
    # The verifying admin is the one whose token is handed out.
    verified = events_named(app, Organization, "Verified")
    assert any(e.actor == admin.ref for e in verified)


def test_organizations_are_in_beijing_and_one_awaits_verification(seeded: tuple[TimeBank, DemoAccess]) -> None:
    app, access = seeded
    orgs = aggregates(app, Organization, "Registered")
    assert len(orgs) >= 10
    assert [o.id for o in orgs if not o.verified] == [access.unverified_organization_id]
    districts = {o.district for o in orgs}
    assert len(districts) >= 8
    assert districts <= set(DISTRICT_CODES) | {DEVELOPMENT_AREA}
    assert "北京经济技术开发区" in districts
    for org in orgs:
        assert org.name.startswith(org.district)
    projects = aggregates(app, Project, "Published")
    assert len({p.category for p in projects}) >= 8
    assert all(p.category in CATEGORIES and p.person_in_charge for p in projects)


def test_records_exist_in_every_status(seeded: tuple[TimeBank, DemoAccess]) -> None:
    app, _ = seeded
    records = aggregates(app, ServiceRecord, "Recorded")
    by = Counter((r.source, r.status) for r in records)
    assert by[("check_out", CONFIRMED)] > 0
    assert by[("bulk_entry", CONFIRMED)] > 0
    assert by[("check_out", PENDING)] > 0
    assert by[("self_declared", PENDING)] > 0
    assert by[("self_declared", CONFIRMED)] > 0
    statuses = Counter(r.status for r in records)
    assert statuses[REJECTED] > 0
    assert 1 <= statuses[REVOKED] <= 2
    assert all(e.reason.strip() for e in events_named(app, ServiceRecord, "Rejected"))
    assert all(e.reason.strip() for e in events_named(app, ServiceRecord, "Revoked"))
    corrected = events_named(app, ServiceRecord, "Corrected")
    requested = events_named(app, ServiceRecord, "CorrectionRequested")
    assert corrected and requested
    # A volunteer's request followed by an organizer's correction of the same record.
    assert {e.originator_id for e in requested} & {e.originator_id for e in corrected}
    # Whoever organizes records: nobody confirmed or corrected their own service.
    by_id = {r.id: r for r in records}
    for event in events_named(app, ServiceRecord, "Confirmed") + corrected:
        assert event.actor != f"volunteer:{by_id[event.originator_id].volunteer_id}"
    # Service dates are never in the future, and minutes fit the shift.
    today = local_date(app.clock())
    for record in records:
        assert record.service_date <= today
        if record.shift_id:
            assert record.service_minutes <= app.get_shift(record.shift_id).scheduled_minutes


def test_demo_volunteer_has_credits_a_pending_and_a_rejected_record(seeded: tuple[TimeBank, DemoAccess]) -> None:
    app, access = seeded
    assert app._account(access.volunteer_id).available > 0
    mine = [r for r in aggregates(app, ServiceRecord, "Recorded") if r.volunteer_id == access.volunteer_id]
    statuses = Counter(r.status for r in mine)
    assert statuses[PENDING] >= 1
    assert statuses[REJECTED] >= 1
    assert statuses[CONFIRMED] >= 1
    # Something for the demo organizer to review: pending records in their organizations.
    theirs = [r for r in aggregates(app, ServiceRecord, "Recorded") if r.organization_id in access.organization_ids]
    assert any(r.status == PENDING for r in theirs)


def test_future_shifts_have_open_places(seeded: tuple[TimeBank, DemoAccess]) -> None:
    app, access = seeded
    now = app.clock()
    shifts = aggregates(app, Shift, "Scheduled")
    future = [s for s in shifts if s.starts_at > now]
    assert len(future) >= 10
    assert any(len(s.signed_up) < s.capacity for s in future)
    assert any(len(s.signed_up) == s.capacity for s in future)
    assert any(access.volunteer_id in s.signed_up for s in future)
    # Shifts that have ended lie behind us, those in progress have people on site.
    assert any(s.starts_at < now < s.ends_at and s.checked_in for s in shifts)


def test_volunteers_are_plausible(seeded: tuple[TimeBank, DemoAccess]) -> None:
    app, _ = seeded
    volunteers = aggregates(app, Volunteer, "Registered")
    assert len(volunteers) == 300
    today = local_date(app.clock())
    numbers = set()
    for v in volunteers:
        data = app.personal_data_of(v)
        assert data is not None
        number = data["id_number"]
        assert ric.is_valid(number), number
        assert number[:6] in DISTRICT_CODES.values()
        assert ric.get_birth_date(number) == date.fromisoformat(data["birth_date"])
        assert (int(number[16]) % 2 == 1) == (data["sex"] == "male")
        numbers.add(number)
        assert re.fullmatch(r"1[358]\d{9}", data["phone"]), data["phone"]
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", data["name"]), data["name"]
        assert set(v.skills) <= set(SKILLS)
        age = age_on(date.fromisoformat(data["birth_date"]), today)
        assert 16 <= age <= 80
        assert v.guardian_consent == (age < 18)
    assert len(numbers) == len(volunteers)
    ages = [age_on(date.fromisoformat((app.personal_data_of(v) or {})["birth_date"]), today) for v in volunteers]
    assert 1 <= sum(a < 18 for a in ages) <= 15
    assert sum(18 <= a <= 75 for a in ages) >= 0.9 * len(ages)


@pytest.mark.parametrize("code", sorted(DISTRICT_CODES.values()))
def test_resident_id_numbers_have_a_valid_check_digit(code: str) -> None:
    rng = Random(1)
    for birth in (date(2016, 2, 29), date(2008, 7, 1), date(1990, 12, 31), date(1951, 1, 1)):
        try:
            number = resident_id_number(code, birth, rng.randint(0, 499), "female")
        except ValueError:
            # Codes assigned later than the birth year (e.g. 延庆区 110119 since 2015) are refused.
            assert birth.year < 2016
            continue
        assert ric.is_valid(number)
        assert number[:6] == code and number[6:14] == birth.strftime("%Y%m%d")
        assert int(number[16]) % 2 == 0


def test_resident_id_number_check_digit_matches_a_known_number() -> None:
    # The example number from python-stdnum's documentation.
    assert ric.calc_check_digit("360426199101010071") == "1"
    assert resident_id_number("360426", date(1991, 1, 1), 3, "male") == "360426199101010071"
    with pytest.raises(ValueError):
        resident_id_number("110119", date(1990, 1, 1), 0, "male")


def test_credits_circulate_through_every_kind_of_transfer_and_the_board_has_every_state(seeded: tuple[TimeBank, DemoAccess]) -> None:
    app, access = seeded
    transfers = aggregates(app, Transfer, "Created")
    kinds = Counter(t.kind for t in transfers)
    assert {"gift", "donation", "grant", "redemption", "exchange"} <= set(kinds)
    assert all(t.relation in app.rules.in_force(date(2026, 11, 23)).gift_relations for t in transfers if t.kind == "gift")
    board = aggregates(app, Exchange, "Requested")
    assert {"open", "accepted", "completed", "cancelled"} <= {e.status for e in board}
    assert any(e.requester_id == access.volunteer_id and e.status == "open" for e in board)
    assert any(access.volunteer_id in e.offers for e in board)
    accounts = aggregates(app, TimeAccount, "Opened")
    assert all(a.available >= 0 for a in accounts)  # nothing in the demo crosses a floor
