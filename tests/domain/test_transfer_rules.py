"""What a member may ask to move, to whom, by kind; and the storage cap. Pure functions, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from uuid import uuid4

import pytest

from timebank.domain.actors import Actor, Role
from timebank.domain.errors import Forbidden, InvalidInput, RuleViolation
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID, REDEMPTION_ACCOUNT_ID
from timebank.domain.ledger import ORGANIZATION, POOL, VOLUNTEER, TimeAccount, open_pool
from timebank.domain.rules import RuleBook, RuleSet
from timebank.domain.transfer_rules import Movement, cap_overflow, check_kind, check_shape, over_cap

T0 = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)
RULES: RuleSet = RuleBook().in_force(date(2026, 11, 18))


def account(kind: str = VOLUNTEER, balance: int = 0, district: str | None = "朝阳区") -> TimeAccount:
    made = TimeAccount(owner_id=uuid4(), kind=kind, floor=None, actor="system:-", at=T0, district=district)
    made.posted_credits = balance  # a state to reason about; the ledger's own tests cover how it is reached
    return made


def check(actor: Actor, m: Movement, debit: TimeAccount | None, credit: TimeAccount | None, *, organizes: bool = False,
          age: int | None = 70, rules: RuleSet = RULES) -> None:
    check_kind(actor, m, debit, credit, rules, organizes_debit=lambda: organizes, payer_age=lambda: age)


def test_a_movement_needs_a_requestable_kind_a_positive_amount_and_two_accounts() -> None:
    ok = Movement(uuid4(), uuid4(), 30, "exchange")
    check_shape(ok)
    with pytest.raises(InvalidInput, match="kind must be one of"):
        check_shape(replace(ok, kind="service_credit"))
    with pytest.raises(InvalidInput) as error:
        check_shape(replace(ok, minutes=0), "transfers.2.")
    assert error.value.field == "transfers.2.minutes"
    with pytest.raises(RuleViolation):
        check_shape(replace(ok, credit_account_id=ok.debit_account_id))
    with pytest.raises(InvalidInput, match="pending transfers only"):
        check_shape(replace(ok, timeout_seconds=60))


def test_members_spend_only_from_their_own_account() -> None:
    payer, payee = account(), account()
    owner = Actor(Role.VOLUNTEER, payer.owner_id)
    m = Movement(payer.id, payee.id, 30, "exchange")
    check(owner, m, payer, payee)
    with pytest.raises(Forbidden, match="own account"):
        check(Actor(Role.VOLUNTEER, uuid4()), m, payer, payee)
    with pytest.raises(Forbidden, match="own account"):  # an organization's account is nobody's own
        org = account(ORGANIZATION)
        check(owner, replace(m, debit_account_id=org.id), org, payee)


def test_gifts_go_to_the_relations_the_rules_name() -> None:
    payer, relative = account(), account()
    owner = Actor(Role.VOLUNTEER, payer.owner_id)
    gift = Movement(payer.id, relative.id, 30, "gift", relation=RULES.gift_relations[0])
    check(owner, gift, payer, relative)
    with pytest.raises(RuleViolation, match="gifts are allowed to") as error:
        check(owner, replace(gift, relation="friend"), payer, relative)
    assert error.value.field == "relation"


def test_redemption_has_an_age_gate_and_needs_a_known_age() -> None:
    payer = account()
    owner = Actor(Role.VOLUNTEER, payer.owner_id)
    m = Movement(payer.id, REDEMPTION_ACCOUNT_ID, 30, "redemption")
    check(owner, m, payer, None, age=RULES.redemption_min_age)
    with pytest.raises(RuleViolation, match=f"from age {RULES.redemption_min_age}"):
        check(owner, m, payer, None, age=RULES.redemption_min_age - 1)
    with pytest.raises(RuleViolation, match="erased"):
        check(owner, m, payer, None, age=None)


def test_grants_come_from_pools_for_admins_and_from_organizations_for_their_organizers() -> None:
    pool, org, member = open_pool("朝阳区", "system:-", T0), account(ORGANIZATION), account()
    admin, organizer = Actor(Role.ADMIN, uuid4()), Actor(Role.VOLUNTEER, uuid4())
    check(admin, Movement(pool.id, member.id, 30, "grant"), pool, member)
    check(organizer, Movement(org.id, member.id, 30, "grant"), org, member, organizes=True)
    with pytest.raises(Forbidden):
        check(organizer, Movement(org.id, member.id, 30, "grant"), org, member, organizes=False)
    with pytest.raises(Forbidden):
        check(organizer, Movement(pool.id, member.id, 30, "grant"), pool, member, organizes=True)
    with pytest.raises(RuleViolation, match="to a volunteer"):
        check(admin, Movement(pool.id, org.id, 30, "grant"), pool, org)


def test_corrections_are_an_admins_with_a_note_and_never_touch_redemption() -> None:
    admin, member = Actor(Role.ADMIN, uuid4()), account()
    m = Movement(ISSUANCE_ACCOUNT_ID, member.id, 30, "correction", note="lost paper record")
    check(admin, m, None, member)
    with pytest.raises(Forbidden):
        check(Actor(Role.VOLUNTEER, member.owner_id), m, None, member)
    with pytest.raises(InvalidInput, match="note"):
        check(admin, replace(m, note=" "), None, member)
    with pytest.raises(RuleViolation):
        check(admin, replace(m, debit_account_id=REDEMPTION_ACCOUNT_ID), None, member)


def test_the_storage_cap_moves_only_the_excess_of_volunteer_accounts_to_their_district_pool() -> None:
    capped = replace(RULES, storage_cap_minutes=600)
    rich = account(balance=750)
    assert over_cap(rich, capped) == 150
    assert over_cap(rich, replace(RULES, storage_cap_minutes=None)) == 0
    assert over_cap(account(POOL, balance=10_000), capped) == 0
    assert over_cap(account(balance=600), capped) == 0
    pool = open_pool("朝阳区", "system:-", T0)
    transfer = cap_overflow(rich, pool, capped, uuid4(), T0)
    assert (transfer.amount, transfer.kind, rich.balance, pool.balance) == (150, "cap_overflow", 600, 150)
