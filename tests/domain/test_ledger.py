"""The credit ledger as pure aggregates: available balance, the floor, two-phase transfers."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from uuid import UUID, uuid4

import pytest

from timebank.domain.errors import Conflict, InvalidInput, RuleViolation
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.ledger import (
    CORRECTION,
    REVOCATION,
    SERVICE_CREDIT,
    TimeAccount,
    Transfer,
    open_transfer,
    resolve_transfer,
)

T0 = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)


def an_account(floor: int = 0) -> TimeAccount:
    return TimeAccount(owner_id=uuid4(), kind="volunteer", floor=floor, actor="system:-", at=T0)


def transfer(
    debit: TimeAccount | None,
    credit: TimeAccount | None,
    amount: int,
    *,
    pending: bool = False,
    kind: str = "exchange",
    transfer_id: UUID | None = None,
) -> Transfer:
    return open_transfer(
        transfer_id or uuid4(), debit, credit,
        debit_account_id=debit.id if debit else ISSUANCE_ACCOUNT_ID,
        credit_account_id=credit.id if credit else ISSUANCE_ACCOUNT_ID,
        amount=amount, kind=kind, pending=pending, reference=None, rules_version="v", actor="system:-", at=T0,
    )


def funded(amount: int) -> TimeAccount:
    account = an_account()
    transfer(None, account, amount, kind=SERVICE_CREDIT)
    return account


class TestAvailableBalance:
    def test_available_is_posted_credits_minus_posted_debits_minus_pending_debits(self) -> None:
        account, other = funded(300), an_account()
        transfer(account, other, 50)  # posted debit
        transfer(account, other, 70, pending=True)  # pending debit: reserved
        transfer(None, account, 1000, pending=True, kind=SERVICE_CREDIT)  # pending credit: not spendable
        assert (account.posted_credits, account.posted_debits, account.pending_debits) == (300, 50, 70)
        assert account.pending_credits == 1000
        assert account.available == 300 - 50 - 70

    def test_a_transfer_credits_one_side_and_debits_the_other_by_the_same_amount(self) -> None:
        payer, payee = funded(100), an_account()
        moved = transfer(payer, payee, 40)
        assert (payer.available, payee.available) == (60, 40)
        assert (moved.status, moved.posted_amount, moved.debit_account_id, moved.credit_account_id) == (
            "posted", 40, payer.id, payee.id)

    def test_a_transfer_id_is_the_one_the_caller_chose(self) -> None:
        chosen = uuid4()
        assert transfer(None, an_account(), 10, transfer_id=chosen).id == chosen


class TestFloor:
    def test_a_debit_below_the_floor_is_refused_and_says_what_is_available(self) -> None:
        account, other = funded(60), an_account()
        version = account.version
        with pytest.raises(RuleViolation, match="insufficient") as raised:
            transfer(account, other, 61)
        assert raised.value.details["available"] == 60
        assert account.version == version and other.version == 1
        assert account.available == 60 and other.available == 0

    def test_a_debit_down_to_exactly_the_floor_is_allowed(self) -> None:
        account = funded(60)
        transfer(account, an_account(), 60)
        assert account.available == 0

    def test_pending_debits_count_against_the_floor(self) -> None:
        account = funded(100)
        transfer(account, an_account(), 80, pending=True)
        with pytest.raises(RuleViolation) as raised:
            transfer(account, an_account(), 21)
        assert raised.value.details["available"] == 20

    def test_pending_credits_cannot_be_spent(self) -> None:
        account = an_account()
        transfer(None, account, 120, pending=True, kind=SERVICE_CREDIT)
        with pytest.raises(RuleViolation) as raised:
            transfer(account, an_account(), 1)
        assert raised.value.details["available"] == 0

    def test_a_negative_floor_is_an_overdraft_limit(self) -> None:
        account = an_account(floor=-30)
        transfer(account, an_account(), 30)
        with pytest.raises(RuleViolation):
            transfer(account, an_account(), 1)
        assert account.available == -30

    @pytest.mark.parametrize("kind", [CORRECTION, REVOCATION])
    def test_system_reversals_may_take_an_account_below_its_floor(self, kind: str) -> None:
        account = funded(60)
        transfer(account, an_account(), 50)
        transfer(account, None, 60, kind=kind)
        assert account.available == -50

    def test_an_account_below_its_floor_cannot_spend(self) -> None:
        account = funded(60)
        transfer(account, None, 90, kind=REVOCATION)
        transfer(None, account, 20, kind=SERVICE_CREDIT)
        with pytest.raises(RuleViolation) as raised:
            transfer(account, an_account(), 1)
        assert raised.value.details["available"] == 0  # what may be spent, never a negative figure
        assert account.available == -10

    def test_an_account_without_a_floor_of_its_own_follows_the_rules_in_force(self) -> None:
        account = TimeAccount(owner_id=uuid4(), kind="volunteer", floor=None, actor="system:-", at=T0)
        account.apply_transfer(uuid4(), "debit", 50, False, "exchange", uuid4(), "x", T0, default_floor=-50)
        with pytest.raises(RuleViolation):
            account.apply_transfer(uuid4(), "debit", 1, False, "exchange", uuid4(), "x", T0, default_floor=-50)
        with pytest.raises(RuleViolation):
            account.apply_transfer(uuid4(), "debit", 1, False, "exchange", uuid4(), "x", T0, default_floor=0)
        assert account.balance == -50


class TestTwoPhaseTransfers:
    def test_posting_a_pending_credit_makes_it_spendable(self) -> None:
        account = an_account()
        pending = transfer(None, account, 120, pending=True, kind=SERVICE_CREDIT)
        assert (pending.status, pending.posted_amount) == ("pending", 0)
        resolve_transfer(pending, None, account, posted_amount=120, reason="confirmed", actor="x", at=T0)
        assert (pending.status, pending.posted_amount) == ("posted", 120)
        assert (account.pending_credits, account.available) == (0, 120)
        assert account.open_pending == {}

    def test_voiding_a_pending_debit_releases_the_reservation(self) -> None:
        payer, payee = funded(100), an_account()
        pending = transfer(payer, payee, 100, pending=True)
        assert payer.available == 0
        resolve_transfer(pending, payer, payee, posted_amount=0, reason="cancelled", actor="x", at=T0)
        assert pending.status == "voided"
        assert (payer.available, payer.pending_debits, payee.available, payee.pending_credits) == (100, 0, 0, 0)

    def test_a_pending_transfer_can_post_part_of_its_amount(self) -> None:
        payer, payee = funded(100), an_account()
        pending = transfer(payer, payee, 80, pending=True)
        resolve_transfer(pending, payer, payee, posted_amount=30, reason="partly", actor="x", at=T0)
        assert (payer.available, payee.available, pending.posted_amount) == (70, 30, 30)

    def test_posting_more_than_the_pending_amount_is_refused(self) -> None:
        account = an_account()
        pending = transfer(None, account, 60, pending=True, kind=SERVICE_CREDIT)
        with pytest.raises(InvalidInput):
            resolve_transfer(pending, None, account, posted_amount=61, reason="x", actor="x", at=T0)
        assert pending.status == "pending" and account.pending_credits == 60

    @pytest.mark.parametrize("first, second", [(60, 60), (60, 0), (0, 60), (0, 0)])
    def test_a_pending_transfer_is_resolved_exactly_once(self, first: int, second: int) -> None:
        account = an_account()
        pending = transfer(None, account, 60, pending=True, kind=SERVICE_CREDIT)
        resolve_transfer(pending, None, account, posted_amount=first, reason="x", actor="x", at=T0)
        balance = account.available
        with pytest.raises(Conflict):
            resolve_transfer(pending, None, account, posted_amount=second, reason="x", actor="x", at=T0)
        with pytest.raises(Conflict, match="not pending"):
            account.resolve_pending(pending.id, second, "x", T0)
        assert account.available == balance == first

    def test_a_posted_transfer_cannot_be_resolved(self) -> None:
        account = an_account()
        posted = transfer(None, account, 60, kind=SERVICE_CREDIT)
        with pytest.raises(Conflict, match="already posted"):
            posted.resolve(0, "x", "x", T0)


class TestMalformedTransfers:
    @pytest.mark.parametrize("amount", [0, -1, -60])
    def test_zero_and_negative_amounts_are_refused(self, amount: int) -> None:
        payer, payee = funded(100), an_account()
        with pytest.raises(InvalidInput) as raised:
            transfer(payer, payee, amount)
        assert raised.value.field == "minutes"
        assert (payer.available, payee.available) == (100, 0)

    def test_a_transfer_to_the_same_account_is_refused(self) -> None:
        account = funded(100)
        version = account.version
        with pytest.raises(RuleViolation, match="itself"):
            transfer(account, account, 10)
        assert account.version == version

    def test_a_real_account_must_be_passed_as_an_aggregate(self) -> None:
        account = an_account()
        with pytest.raises(ValueError):
            open_transfer(
                uuid4(), None, None, debit_account_id=ISSUANCE_ACCOUNT_ID, credit_account_id=account.id, amount=1,
                kind=SERVICE_CREDIT, pending=False, reference=None, rules_version="v", actor="x", at=T0,
            )

    def test_account_ids_are_deterministic_per_owner(self) -> None:
        owner = uuid4()
        account = TimeAccount(owner_id=owner, kind="volunteer", floor=0, actor="x", at=T0)
        assert account.id == TimeAccount.create_id(owner) != TimeAccount.create_id(uuid4())


class TestCopies:
    """The aggregate cache deep-copies an account on every load; the account copies itself cheaply."""

    def test_a_copy_has_the_same_state_and_shares_nothing_that_changes(self) -> None:
        account, other = funded(300), an_account()
        held = transfer(account, other, 70, pending=True)
        copied = copy.deepcopy(account)
        assert copied is not account and copied.__dict__ == account.__dict__
        assert copied.open_pending is not account.open_pending
        assert copied.open_pending[str(held.id)] is not account.open_pending[str(held.id)]
        transfer(copied, other, 20, pending=True)  # changes the copy: a hold and a pending event
        copied.open_pending[str(held.id)][1] = 0
        assert (account.pending_debits, len(account.open_pending)) == (70, 1)
        assert account.open_pending[str(held.id)] == ["debit", 70]
        assert len(account.collect_events()) > 0 and len(copied.collect_events()) > 0

    def test_a_copy_inside_another_object_is_made_once(self) -> None:
        account = funded(10)
        pair = copy.deepcopy([account, account])
        assert pair[0] is pair[1] and pair[0] is not account
