"""The time bank's use cases: each kind of transfer and its rule, idempotent ids, linked batches,
two-phase transfers, the storage cap, and rules judged by the version in force."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest

from tests.builders import FixedClock, a_declared_record, a_scene, a_volunteer, an_admin, as_volunteer, make_app, writes_nothing
from timebank.application import TimeBank, TransferRequest
from timebank.application.ledger import idempotency_transfer_id
from timebank.domain.actors import Actor
from timebank.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID, REDEMPTION_ACCOUNT_ID
from timebank.domain.ledger import CAP_OVERFLOW, TimeAccount, pool_account_id
from timebank.domain.rules import RuleBook, RuleSet

ADMIN = an_admin()


def acct(who: Actor | UUID) -> UUID:
    owner = who if isinstance(who, UUID) else who.id
    assert owner is not None
    return TimeAccount.create_id(owner)


def balance(app: TimeBank, account_id: UUID) -> int:
    account: Any = app.repository.get(account_id)
    return int(account.balance)


def funded(app: TimeBank, minutes: int = 300, **overrides: Any) -> Actor:
    who = as_volunteer(a_volunteer(app, **overrides))
    app.transfer(ADMIN, TransferRequest(ISSUANCE_ACCOUNT_ID, acct(who), minutes, "correction", note="opening"))
    return who


@pytest.fixture
def app() -> TimeBank:
    return make_app()


class TestKinds:
    def test_a_gift_to_an_allowed_relation_moves_credits_and_records_the_relation(self, app: TimeBank) -> None:
        giver, parent = funded(app), as_volunteer(a_volunteer(app))
        result = app.transfer(giver, TransferRequest(acct(giver), acct(parent), 60, "gift", relation="parent"))
        assert (balance(app, acct(giver)), balance(app, acct(parent))) == (240, 60)
        assert result.transfer["relation"] == "parent" and result.transfer["rules_version"] == "beijing-2021"

    def test_a_gift_to_a_friend_is_refused_under_beijing_rules_and_nothing_is_written(self, app: TimeBank) -> None:
        giver, friend = funded(app), as_volunteer(a_volunteer(app))
        with pytest.raises(RuleViolation) as raised, writes_nothing(app):
            app.transfer(giver, TransferRequest(acct(giver), acct(friend), 60, "gift", relation="friend"))
        assert raised.value.field == "relation"

    def test_shanghai_like_rules_allow_gifts_to_friends(self) -> None:
        rules = RuleBook((RuleSet("shanghai", date(2021, 1, 1), gift_relations=("spouse", "relative", "friend")),))
        app = make_app(rules=rules)
        giver, friend = funded(app), as_volunteer(a_volunteer(app))
        app.transfer(giver, TransferRequest(acct(giver), acct(friend), 60, "gift", relation="friend"))
        assert balance(app, acct(friend)) == 60

    def test_a_donation_opens_the_district_pool_on_first_use(self, app: TimeBank) -> None:
        donor = funded(app)
        pool = pool_account_id("海淀区")
        assert pool not in app.repository
        app.transfer(donor, TransferRequest(acct(donor), pool, 100, "donation"))
        assert balance(app, pool) == 100

    def test_a_donation_may_go_to_an_organization_but_not_to_a_member(self, app: TimeBank) -> None:
        scene = a_scene(app)
        donor = funded(app)
        app.transfer(donor, TransferRequest(acct(donor), acct(scene.organization_id), 50, "donation"))
        assert balance(app, acct(scene.organization_id)) == 50
        with pytest.raises(RuleViolation), writes_nothing(app):
            app.transfer(donor, TransferRequest(acct(donor), acct(scene.volunteer_actor), 50, "donation"))

    def test_redemption_is_open_from_age_60(self, app: TimeBank) -> None:
        senior = funded(app, birth_date=date(1960, 1, 1))
        young = funded(app, birth_date=date(1990, 1, 1))
        app.transfer(senior, TransferRequest(acct(senior), REDEMPTION_ACCOUNT_ID, 120, "redemption", note="助浴"))
        assert balance(app, acct(senior)) == 180
        with pytest.raises(RuleViolation, match="from age 60"), writes_nothing(app):
            app.transfer(young, TransferRequest(acct(young), REDEMPTION_ACCOUNT_ID, 120, "redemption"))

    def test_grants_come_from_pools_by_admins_and_from_organizations_by_their_organizers(self, app: TimeBank) -> None:
        scene = a_scene(app)
        donor = funded(app)
        pool = pool_account_id("东城区")
        app.transfer(donor, TransferRequest(acct(donor), pool, 100, "donation"))
        app.transfer(donor, TransferRequest(acct(donor), acct(scene.organization_id), 100, "donation"))
        app.transfer(ADMIN, TransferRequest(pool, acct(scene.volunteer_actor), 40, "grant"))
        app.transfer(scene.organizer_actor, TransferRequest(acct(scene.organization_id), acct(scene.volunteer_actor), 30, "grant"))
        assert balance(app, acct(scene.volunteer_actor)) == 70
        with pytest.raises(Forbidden), writes_nothing(app):
            app.transfer(scene.volunteer_actor, TransferRequest(pool, acct(scene.volunteer_actor), 10, "grant"))

    def test_members_spend_only_from_their_own_account(self, app: TimeBank) -> None:
        victim, thief = funded(app), as_volunteer(a_volunteer(app))
        with pytest.raises(Forbidden) as raised, writes_nothing(app):
            app.transfer(thief, TransferRequest(acct(victim), acct(thief), 10, "exchange"))
        assert raised.value.field == "debit_account_id"

    def test_only_admins_correct_and_a_correction_needs_a_note(self, app: TimeBank) -> None:
        member = as_volunteer(a_volunteer(app))
        with pytest.raises(Forbidden), writes_nothing(app):
            app.transfer(member, TransferRequest(ISSUANCE_ACCOUNT_ID, acct(member), 10, "correction", note="me"))
        with pytest.raises(InvalidInput) as raised, writes_nothing(app):
            app.transfer(ADMIN, TransferRequest(ISSUANCE_ACCOUNT_ID, acct(member), 10, "correction"))
        assert raised.value.field == "note"


class TestBadInput:
    def test_insufficient_credits_say_what_is_available_and_write_nothing(self, app: TimeBank) -> None:
        payer, payee = funded(app, 50), as_volunteer(a_volunteer(app))
        with pytest.raises(RuleViolation, match="50 credit-minutes available") as raised, writes_nothing(app):
            app.transfer(payer, TransferRequest(acct(payer), acct(payee), 51, "exchange"))
        assert raised.value.details["available"] == 50

    @pytest.mark.parametrize("minutes", [0, -5])
    def test_zero_or_negative_minutes_are_refused(self, app: TimeBank, minutes: int) -> None:
        payer, payee = funded(app), as_volunteer(a_volunteer(app))
        with pytest.raises(InvalidInput), writes_nothing(app):
            app.transfer(payer, TransferRequest(acct(payer), acct(payee), minutes, "exchange"))

    def test_a_transfer_to_the_same_account_is_refused(self, app: TimeBank) -> None:
        payer = funded(app)
        with pytest.raises(RuleViolation), writes_nothing(app):
            app.transfer(payer, TransferRequest(acct(payer), acct(payer), 10, "exchange"))

    def test_an_unknown_account_is_not_found_naming_the_side(self, app: TimeBank) -> None:
        payer = funded(app)
        with pytest.raises(NotFound) as raised, writes_nothing(app):
            app.transfer(payer, TransferRequest(acct(payer), uuid4(), 10, "exchange"))
        assert raised.value.field == "credit_account_id"


class TestIdempotency:
    def test_the_same_id_and_request_replays_and_moves_once(self, app: TimeBank) -> None:
        payer, payee = funded(app), as_volunteer(a_volunteer(app))
        request = TransferRequest(acct(payer), acct(payee), 30, "exchange", transfer_id=uuid4())
        first = app.transfer(payer, request)
        with writes_nothing(app):
            again = app.transfer(payer, request)
        assert again.replayed and not first.replayed and again.transfer["id"] == first.transfer["id"]
        assert balance(app, acct(payee)) == 30

    def test_the_same_id_with_another_request_is_a_conflict(self, app: TimeBank) -> None:
        payer, payee = funded(app), as_volunteer(a_volunteer(app))
        same = uuid4()
        app.transfer(payer, TransferRequest(acct(payer), acct(payee), 30, "exchange", transfer_id=same))
        with pytest.raises(Conflict), writes_nothing(app):
            app.transfer(payer, TransferRequest(acct(payer), acct(payee), 31, "exchange", transfer_id=same))

    def test_idempotency_keys_are_scoped_to_the_caller(self, app: TimeBank) -> None:
        a, b, payee = funded(app), funded(app), as_volunteer(a_volunteer(app))
        app.transfer(a, TransferRequest(acct(a), acct(payee), 10, "exchange"), idempotency_key="k")
        result = app.transfer(b, TransferRequest(acct(b), acct(payee), 10, "exchange"), idempotency_key="k")
        assert not result.replayed and result.transfer["id"] == idempotency_transfer_id(b, "k")
        assert balance(app, acct(payee)) == 20


class TestLinked:
    def test_linked_transfers_are_written_together(self, app: TimeBank) -> None:
        payer, x, y = funded(app), as_volunteer(a_volunteer(app)), as_volunteer(a_volunteer(app))
        app.transfer_linked(payer, [TransferRequest(acct(payer), acct(x), 100, "exchange"),
                                    TransferRequest(acct(payer), acct(y), 200, "exchange")])
        assert (balance(app, acct(payer)), balance(app, acct(x)), balance(app, acct(y))) == (0, 100, 200)

    def test_one_refused_entry_refuses_all_and_names_the_entry(self, app: TimeBank) -> None:
        payer, x = funded(app), as_volunteer(a_volunteer(app))
        with pytest.raises(RuleViolation) as raised, writes_nothing(app):
            app.transfer_linked(payer, [TransferRequest(acct(payer), acct(x), 200, "exchange"),
                                        TransferRequest(acct(payer), acct(x), 101, "exchange")])
        assert raised.value.field == "transfers.1.minutes"


class TestTwoPhase:
    def test_a_hold_counts_against_available_and_posts_in_part(self, app: TimeBank) -> None:
        payer, payee = funded(app, 100), as_volunteer(a_volunteer(app))
        hold = app.transfer(payer, TransferRequest(acct(payer), acct(payee), 80, "exchange", pending=True)).transfer
        with pytest.raises(RuleViolation):
            app.transfer(payer, TransferRequest(acct(payer), acct(payee), 21, "exchange"))
        app.post_transfer(payer, hold["id"], 50)
        account: Any = app.repository.get(acct(payer))
        assert (account.balance, account.available, balance(app, acct(payee))) == (50, 50, 50)
        with pytest.raises(Conflict), writes_nothing(app):
            app.void_transfer(payer, hold["id"], "again")

    def test_the_payee_may_void_but_not_post(self, app: TimeBank) -> None:
        payer, payee = funded(app, 100), as_volunteer(a_volunteer(app))
        hold = app.transfer(payer, TransferRequest(acct(payer), acct(payee), 80, "exchange", pending=True)).transfer
        with pytest.raises(Forbidden):
            app.post_transfer(payee, hold["id"])
        app.void_transfer(payee, hold["id"], "not needed")
        account: Any = app.repository.get(acct(payer))
        assert (account.available, account.pending_debits) == (100, 0)

    def test_the_clock_voids_a_hold_after_its_timeout_and_only_then(self) -> None:
        clock = FixedClock()
        app = make_app(clock)
        payer, payee = funded(app, 100), as_volunteer(a_volunteer(app))
        hold = app.transfer(payer, TransferRequest(acct(payer), acct(payee), 80, "exchange", pending=True, timeout_seconds=60)).transfer
        assert app.expire_transfer(hold["id"], ADMIN) is False
        clock.advance(seconds=61)
        with pytest.raises(Conflict, match="timed out"):
            app.post_transfer(payer, hold["id"])
        assert app.expire_transfer(hold["id"], ADMIN) is True
        assert app.expire_transfer(hold["id"], ADMIN) is False
        assert app.get_transfer(hold["id"]).status == "voided"

    def test_a_service_records_credit_is_resolved_only_by_its_record(self, app: TimeBank) -> None:
        scene = a_scene(app)
        record = app.get_record(a_declared_record(scene, 60))
        assert record.pending_transfer_id is not None
        with pytest.raises(Conflict, match="service-record"):
            app.post_transfer(ADMIN, record.pending_transfer_id)


class TestCapAndVersions:
    def test_credits_above_the_storage_cap_go_to_the_district_pool(self) -> None:
        app = make_app(rules=RuleBook((RuleSet("nanjing-like", date(2021, 3, 1), storage_cap_minutes=100),)))
        scene = a_scene(app)
        a_declared_record(scene, 150, confirm=True)
        pool = pool_account_id("东城区")
        assert (balance(app, acct(scene.volunteer_actor)), balance(app, pool)) == (100, 50)
        moves = [e.kind for e in app.events.get(acct(scene.volunteer_actor)) if hasattr(e, "kind")]
        assert moves[-1] == CAP_OVERFLOW  # the credit was posted in full, then the excess moved on

    def test_a_transfer_is_judged_by_the_rules_in_force_on_its_day(self) -> None:
        clock = FixedClock(datetime(2026, 12, 30, 2, 0, tzinfo=timezone.utc))
        rules = RuleBook((RuleSet("beijing-2021", date(2021, 3, 1)),
                          RuleSet("beijing-2027", date(2027, 1, 1), gift_relations=("spouse",))))
        app = make_app(clock, rules=rules)
        giver, child = funded(app), as_volunteer(a_volunteer(app))
        first = app.transfer(giver, TransferRequest(acct(giver), acct(child), 10, "gift", relation="child"))
        assert first.transfer["rules_version"] == "beijing-2021"
        clock.advance(days=3)
        with pytest.raises(RuleViolation, match="beijing-2027"):
            app.transfer(giver, TransferRequest(acct(giver), acct(child), 10, "gift", relation="child"))
        assert app.transfer(giver, TransferRequest(acct(giver), acct(child), 10, "gift", relation="spouse")).transfer["rules_version"] == "beijing-2027"
        assert balance(app, acct(child)) == 20
