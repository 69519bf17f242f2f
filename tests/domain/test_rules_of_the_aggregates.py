"""Pure domain rules, no I/O: the ledger's floor, shift capacity, rule versions."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from timebank.domain.actors import Actor, Role
from timebank.domain.errors import Conflict, InvalidInput, RuleViolation
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.ledger import CORRECTION, TimeAccount, open_transfer, resolve_transfer
from timebank.domain.organization import Organization
from timebank.domain.rules import RuleBook, RuleSet
from timebank.domain.shift import Shift

T0 = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)


def an_account() -> TimeAccount:
    return TimeAccount(owner_id=uuid4(), kind="volunteer", floor=0, actor="system:-", at=T0)


def move(debit: TimeAccount | None, credit: TimeAccount | None, amount: int, *, pending: bool = False, kind: str = "exchange"):
    return open_transfer(
        uuid4(), debit, credit, debit_account_id=debit.id if debit else ISSUANCE_ACCOUNT_ID,
        credit_account_id=credit.id if credit else ISSUANCE_ACCOUNT_ID, amount=amount, kind=kind, pending=pending,
        reference=None, rules_version="v", actor="system:-", at=T0,
    )


def test_pending_credits_are_visible_but_not_spendable() -> None:
    account = an_account()
    transfer = move(None, account, 120, pending=True)
    assert (account.pending_credits, account.available) == (120, 0)
    resolve_transfer(transfer, None, account, posted_amount=120, reason="confirmed", actor="x", at=T0)
    assert (account.pending_credits, account.available) == (0, 120)
    with pytest.raises(Conflict):
        resolve_transfer(transfer, None, account, posted_amount=120, reason="again", actor="x", at=T0)


def test_the_floor_is_enforced_but_system_reversals_may_cross_it() -> None:
    account = an_account()
    move(None, account, 60)
    with pytest.raises(RuleViolation) as raised:
        move(account, None, 61)
    assert raised.value.details["available"] == 60 and account.available == 60
    move(account, None, 90, kind=CORRECTION)
    assert account.available == -30


def test_zero_amounts_and_transfers_to_self_are_refused() -> None:
    account = an_account()
    with pytest.raises(InvalidInput):
        move(None, account, 0)
    with pytest.raises(RuleViolation):
        move(account, account, 10)


def a_shift(capacity: int = 1) -> Shift:
    return Shift(project_id=uuid4(), organization_id=uuid4(), title="t", starts_at=T0 + timedelta(hours=1),
                 ends_at=T0 + timedelta(hours=3), place="p", required_skills=["first_aid"], capacity=capacity,
                 actor="x", at=T0)


def test_a_full_shift_a_double_sign_up_and_missing_skills_are_refused() -> None:
    shift, first, second = a_shift(), uuid4(), uuid4()
    with pytest.raises(RuleViolation, match="first_aid"):
        shift.sign_up(first, [], "x", T0)
    shift.sign_up(first, ["first_aid"], "x", T0)
    with pytest.raises(Conflict, match="already"):
        shift.sign_up(first, ["first_aid"], "x", T0)
    with pytest.raises(Conflict, match="full"):
        shift.sign_up(second, ["first_aid"], "x", T0)


def test_served_minutes_never_exceed_the_scheduled_length() -> None:
    shift, volunteer = a_shift(), uuid4()
    shift.sign_up(volunteer, ["first_aid"], "x", T0)
    shift.check_in(volunteer, T0 + timedelta(minutes=30), "x", T0 + timedelta(minutes=30))
    later = T0 + timedelta(hours=6)
    assert shift.check_out(volunteer, later, "x", later) == 120


def test_rule_versions_apply_from_their_effective_date() -> None:
    book = RuleBook((RuleSet("old", date(2021, 3, 1)), RuleSet("new", date(2027, 1, 1), credit_minutes_per_service_hour=90)))
    assert book.in_force(date(2026, 12, 31)).version == "old"
    assert book.in_force(date(2027, 1, 1)).credits_for(60) == 90
    with pytest.raises(ValueError):
        book.in_force(date(2020, 1, 1))


class TestStations:
    PLACE = {"district": "朝阳区", "street": "三里屯街道", "community": "幸福村社区"}

    def an_organization(self, verified: bool = True) -> Organization:
        organization = Organization(name="队", district="朝阳区", street=None, description="", registered_by=uuid4(), actor="x", at=T0)
        if verified:
            organization.verify(Actor(Role.ADMIN), T0)
        return organization

    def test_a_station_posts_for_its_own_community_only(self) -> None:
        organization = self.an_organization()
        organization.require_for_its_community({**self.PLACE, "community": "三里屯北社区"})  # not a station yet: any community
        organization.run_station(dict(self.PLACE), Actor(Role.ADMIN), T0)
        organization.require_for_its_community(dict(self.PLACE))
        with pytest.raises(InvalidInput) as refused:
            organization.require_for_its_community({**self.PLACE, "community": "三里屯北社区"})
        assert refused.value.field == "community"

    def test_only_a_verified_organization_of_the_district_runs_one_station(self) -> None:
        with pytest.raises(RuleViolation):
            self.an_organization(verified=False).run_station(dict(self.PLACE), Actor(Role.ADMIN), T0)
        with pytest.raises(InvalidInput) as refused:
            self.an_organization().run_station({**self.PLACE, "district": "海淀区"}, Actor(Role.ADMIN), T0)
        assert refused.value.field == "district"
        organization = self.an_organization()
        organization.run_station(dict(self.PLACE), Actor(Role.ADMIN), T0)
        with pytest.raises(Conflict):
            organization.run_station({**self.PLACE, "community": "三里屯北社区"}, Actor(Role.ADMIN), T0)

    def test_an_organization_from_a_snapshot_taken_before_stations_runs_none(self) -> None:
        organization = self.an_organization()
        del organization.__dict__["station"]  # as a snapshot of an older version restores it
        assert organization.station is None
        organization.require_for_its_community({**self.PLACE, "community": "三里屯北社区"})
