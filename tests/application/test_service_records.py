"""Service records through the TimeBank: whoever organizes records and certifies; credits follow
only confirmed minutes; corrections and revocations are new transfers, never edits."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from tests.builders import (
    Scene,
    a_declared_record,
    a_scene,
    a_shift,
    a_verified_organization,
    a_volunteer,
    account_of,
    an_admin,
    as_volunteer,
    make_app,
    writes_nothing,
)
from timebank.application import TimeBank
from timebank.domain.actors import SYSTEM
from timebank.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, RuleViolation
from timebank.domain.ledger import CORRECTION, REVOCATION, TimeAccount, Transfer, open_transfer
from timebank.domain.rules import RuleBook, RuleSet
from timebank.domain.service_record import CONFIRMED, EXPIRED, PENDING, REJECTED, REVOKED


@pytest.fixture
def scene() -> Scene:
    return a_scene(make_app())


def balance(scene: Scene) -> tuple[int, int]:
    """(available, pending credits) of the scene's volunteer."""
    account = account_of(scene.app, scene.volunteer)
    return account.available, account.pending_credits


def last_transfer(app: TimeBank, record_id: UUID) -> Transfer:
    transfer: Transfer = app.repository.get(app.get_record(record_id).transfer_ids[-1])
    assert isinstance(transfer, Transfer)
    return transfer


class TestConfirmation:
    def test_a_declared_record_is_pending_and_its_credits_are_not_spendable(self, scene: Scene) -> None:
        record_id = a_declared_record(scene, minutes=90)
        record = scene.app.get_record(record_id)
        assert (record.status, record.source, record.service_minutes) == (PENDING, "self_declared", 90)
        assert balance(scene) == (0, 90)

    def test_confirmation_posts_60_credit_minutes_per_hour(self, scene: Scene) -> None:
        record_id = a_declared_record(scene, minutes=150)
        scene.app.confirm_record(scene.organizer_actor, record_id)
        assert scene.app.get_record(record_id).status == CONFIRMED
        assert balance(scene) == (150, 0)
        assert last_transfer(scene.app, record_id).status == "posted"

    def test_the_credit_rate_is_a_rule_of_the_ledger_not_of_the_record(self) -> None:
        rules = RuleBook((RuleSet("weighted", date(2021, 3, 1), credit_minutes_per_service_hour=90),))
        scene = a_scene(make_app(rules=rules))
        record_id = a_declared_record(scene, minutes=120, confirm=True)
        assert scene.app.get_record(record_id).service_minutes == 120
        assert balance(scene) == (180, 0)

    def test_service_that_earns_no_credits_under_the_rate_is_still_recorded(self) -> None:
        rules = RuleBook((RuleSet("half-rate", date(2021, 3, 1), credit_minutes_per_service_hour=30),))
        scene = a_scene(make_app(rules=rules))
        record_id = a_declared_record(scene, minutes=1)  # 1 minute earns 30 // 60 = 0 credit-minutes
        scene.app.confirm_record(scene.organizer_actor, record_id)
        record = scene.app.get_record(record_id)
        assert (record.status, record.service_minutes) == (CONFIRMED, 1)
        assert balance(scene) == (0, 0)

    def test_a_record_that_earns_nothing_can_be_corrected_into_one_that_earns_and_rejected(self) -> None:
        rules = RuleBook((RuleSet("half-rate", date(2021, 3, 1), credit_minutes_per_service_hour=30),))
        scene = a_scene(make_app(rules=rules))
        earns_nothing = a_declared_record(scene, minutes=1)
        assert scene.app.get_record(earns_nothing).transfer_ids == []
        scene.app.correct_record(scene.organizer_actor, earns_nothing, 120, "signed the wrong sheet")
        assert balance(scene) == (0, 60)  # now a pending credit of 120 minutes at half rate
        scene.app.reject_record(scene.organizer_actor, earns_nothing, "not a volunteer activity after all")
        assert balance(scene) == (0, 0)
        assert last_transfer(scene.app, earns_nothing).status == "voided"

    def test_rejected_minutes_never_reach_the_balance(self, scene: Scene) -> None:
        record_id = a_declared_record(scene, minutes=120)
        scene.app.reject_record(scene.organizer_actor, record_id, "not a volunteer activity")
        assert scene.app.get_record(record_id).status == REJECTED
        assert balance(scene) == (0, 0)
        assert last_transfer(scene.app, record_id).status == "voided"
        with pytest.raises(Conflict), writes_nothing(scene.app):
            scene.app.confirm_record(scene.organizer_actor, record_id)
        assert balance(scene) == (0, 0)

    def test_a_rejection_needs_a_reason(self, scene: Scene) -> None:
        record_id = a_declared_record(scene)
        with pytest.raises(InvalidInput) as raised, writes_nothing(scene.app):
            scene.app.reject_record(scene.organizer_actor, record_id, "  ")
        assert raised.value.field == "reason"

    def test_a_record_is_confirmed_only_once(self, scene: Scene) -> None:
        record_id = a_declared_record(scene, confirm=True)
        with pytest.raises(Conflict), writes_nothing(scene.app):
            scene.app.confirm_record(scene.organizer_actor, record_id)
        with pytest.raises(Conflict), writes_nothing(scene.app):
            scene.app.reject_record(scene.organizer_actor, record_id, "changed my mind")
        assert balance(scene) == (120, 0)

    def test_only_an_organizer_of_the_organizing_unit_can_confirm(self, scene: Scene) -> None:
        app = scene.app
        record_id = a_declared_record(scene)
        other_organizer = a_volunteer(app)
        a_verified_organization(app, other_organizer)
        for outsider in (scene.volunteer_actor, as_volunteer(other_organizer), an_admin(), SYSTEM):
            with pytest.raises(Forbidden), writes_nothing(app):
                app.confirm_record(outsider, record_id)
        assert balance(scene) == (0, 120)

    def test_an_organizer_cannot_confirm_their_own_record_but_a_fellow_organizer_can(self, scene: Scene) -> None:
        app = scene.app
        own = app.declare_service(
            scene.organizer_actor, project_id=scene.project_id, service_date=scene.today(), service_minutes=60, content="c")
        with pytest.raises(Forbidden, match="own"), writes_nothing(app):
            app.confirm_record(scene.organizer_actor, own)
        app.add_organizer(scene.organizer_actor, scene.organization_id, scene.volunteer_id)
        app.confirm_record(scene.volunteer_actor, own)
        assert account_of(app, scene.organizer).available == 60

    def test_an_unknown_record_is_not_found(self, scene: Scene) -> None:
        with pytest.raises(NotFound) as raised:
            scene.app.confirm_record(scene.organizer_actor, uuid4())
        assert raised.value.field == "record_id"


class TestDeclaring:
    def test_a_service_date_in_the_future_is_refused(self, scene: Scene) -> None:
        with pytest.raises(InvalidInput, match="future") as raised, writes_nothing(scene.app):
            a_declared_record(scene, service_date=scene.today() + timedelta(days=1))
        assert raised.value.field == "service_date"

    def test_hours_are_recorded_within_10_working_days(self, scene: Scene) -> None:
        served_on = scene.today()  # Wednesday 2026-11-18; ten working days later is Wednesday 2026-12-02
        scene.clock.advance(days=14)
        a_declared_record(scene, service_date=served_on)
        scene.clock.advance(days=1)
        with pytest.raises(RuleViolation, match="10 working days") as raised, writes_nothing(scene.app):
            a_declared_record(scene, service_date=served_on)
        assert raised.value.field == "service_date" and "2026-12-02" in raised.value.message

    def test_more_minutes_than_the_shifts_scheduled_length_are_refused(self, scene: Scene) -> None:
        with pytest.raises(RuleViolation, match="scheduled length") as raised, writes_nothing(scene.app):
            a_declared_record(scene, minutes=181, shift_id=scene.shift_id)
        assert raised.value.field == "service_minutes"
        record_id = a_declared_record(scene, minutes=180, shift_id=scene.shift_id)
        assert scene.app.get_record(record_id).shift_id == scene.shift_id

    def test_a_shift_entry_must_be_on_the_shifts_date_and_of_its_project(self, scene: Scene) -> None:
        app = scene.app
        with pytest.raises(InvalidInput, match="date of the shift"), writes_nothing(app):
            a_declared_record(scene, minutes=60, shift_id=scene.shift_id, service_date=scene.today() - timedelta(days=1))
        other_project = app.publish_project(
            scene.organizer_actor, organization_id=scene.organization_id, name="另一个", person_in_charge="李")
        other_shift = a_shift(app, scene.organizer_actor, other_project)
        with pytest.raises(InvalidInput, match="another project") as raised, writes_nothing(app):
            a_declared_record(scene, minutes=60, shift_id=other_shift)
        assert raised.value.field == "shift_id"

    @pytest.mark.parametrize(("minutes", "error"), [(0, InvalidInput), (-30, InvalidInput), (16 * 60 + 1, RuleViolation)])
    def test_minutes_are_positive_and_at_most_16_hours_a_day(self, scene: Scene, minutes: int, error: type[DomainError]) -> None:
        with pytest.raises(error) as raised, writes_nothing(scene.app):
            a_declared_record(scene, minutes=minutes)
        assert raised.value.field == "service_minutes"

    def test_only_a_volunteer_declares_service(self, scene: Scene) -> None:
        with pytest.raises(Forbidden), writes_nothing(scene.app):
            scene.app.declare_service(
                an_admin(), project_id=scene.project_id, service_date=scene.today(), service_minutes=60, content="c")

    def test_a_service_date_older_than_every_rule_set_is_refused_as_too_late(self, scene: Scene) -> None:
        with pytest.raises(RuleViolation) as raised, writes_nothing(scene.app):
            a_declared_record(scene, service_date=date(2020, 1, 1))
        assert raised.value.field == "service_date"


class TestCorrections:
    def test_a_correction_by_the_volunteer_is_only_a_request(self, scene: Scene) -> None:
        app = scene.app
        record_id = a_declared_record(scene, minutes=120, confirm=True)
        assert app.correct_record(scene.volunteer_actor, record_id, 150, "I stayed until six") == "requested"
        record = app.get_record(record_id)
        assert record.service_minutes == 120 and record.credited_minutes == 120
        assert record.correction_requests[0]["proposed_minutes"] == 150
        assert balance(scene) == (120, 0)
        assert len(record.transfer_ids) == 1

    def test_another_volunteer_can_neither_request_nor_apply_a_correction(self, scene: Scene) -> None:
        record_id = a_declared_record(scene, confirm=True)
        stranger = as_volunteer(a_volunteer(scene.app))
        with pytest.raises(Forbidden), writes_nothing(scene.app):
            scene.app.correct_record(stranger, record_id, 150, "because")

    @pytest.mark.parametrize(("corrected", "expected_balance"), [(150, 150), (45, 45)])
    def test_an_organizers_correction_of_a_confirmed_record_moves_the_difference_by_a_new_transfer(
        self, scene: Scene, corrected: int, expected_balance: int
    ) -> None:
        app = scene.app
        record_id = a_declared_record(scene, minutes=120, confirm=True)
        first = last_transfer(app, record_id)
        assert app.correct_record(scene.organizer_actor, record_id, corrected, "checked the sign-in sheet") == "applied"
        record = app.get_record(record_id)
        assert (record.service_minutes, record.credited_minutes) == (corrected, corrected)
        assert balance(scene) == (expected_balance, 0)
        difference = last_transfer(app, record_id)
        assert difference.id != first.id and len(record.transfer_ids) == 2
        assert (difference.kind, difference.amount, difference.status) == (CORRECTION, abs(corrected - 120), "posted")
        account_id = TimeAccount.create_id(scene.volunteer_id)
        side = difference.credit_account_id if corrected > 120 else difference.debit_account_id
        assert side == account_id
        assert (first.status, first.posted_amount) == ("posted", 120), "the original transfer is never edited"
        corrected_event = app.history(an_admin(), record_id)[-1]
        assert (type(corrected_event).__name__, corrected_event.reason) == ("Corrected", "checked the sign-in sheet")
        assert corrected_event.actor == scene.organizer_actor.ref and corrected_event.previous_minutes == 120

    def test_a_correction_down_is_applied_even_if_the_credits_were_spent(self, scene: Scene) -> None:
        app = scene.app
        record_id = a_declared_record(scene, minutes=120, confirm=True)
        spend(app, scene, 100)
        app.correct_record(scene.organizer_actor, record_id, 60, "left at noon")
        assert balance(scene) == (-40, 0)

    def test_correcting_a_pending_record_voids_its_pending_transfer_and_opens_a_new_one(self, scene: Scene) -> None:
        app = scene.app
        record_id = a_declared_record(scene, minutes=120)
        old = last_transfer(app, record_id)
        app.correct_record(scene.organizer_actor, record_id, 90, "left early")
        record = app.get_record(record_id)
        new = last_transfer(app, record_id)
        assert app.repository.get(old.id).status == "voided"
        assert (new.status, new.amount) == ("pending", 90) and record.pending_transfer_id == new.id
        assert (record.status, record.service_minutes) == (PENDING, 90)
        assert balance(scene) == (0, 90)
        app.confirm_record(scene.organizer_actor, record_id)
        assert balance(scene) == (90, 0)
        assert app.repository.get(new.id).status == "posted"

    def test_an_organizers_decision_closes_the_volunteers_request(self, scene: Scene) -> None:
        app = scene.app
        record_id = a_declared_record(scene, minutes=120, confirm=True)
        app.correct_record(scene.volunteer_actor, record_id, 150, "I stayed longer")
        app.correct_record(scene.organizer_actor, record_id, 150, "agreed")
        assert app.get_record(record_id).correction_requests == []
        assert balance(scene) == (150, 0)

    def test_a_correction_to_the_same_minutes_or_beyond_the_shift_is_refused(self, scene: Scene) -> None:
        app = scene.app
        record_id = a_declared_record(scene, minutes=120, shift_id=scene.shift_id, confirm=True)
        with pytest.raises(InvalidInput), writes_nothing(app):
            app.correct_record(scene.organizer_actor, record_id, 120, "no change")
        with pytest.raises(RuleViolation, match="scheduled length"), writes_nothing(app):
            app.correct_record(scene.organizer_actor, record_id, 181, "too long")
        with pytest.raises(RuleViolation, match="scheduled length"), writes_nothing(app):
            app.correct_record(scene.volunteer_actor, record_id, 181, "too long")
        assert balance(scene) == (120, 0)

    def test_a_correction_needs_a_reason(self, scene: Scene) -> None:
        record_id = a_declared_record(scene, confirm=True)
        with pytest.raises(InvalidInput) as raised, writes_nothing(scene.app):
            scene.app.correct_record(scene.organizer_actor, record_id, 60, " ")
        assert raised.value.field == "reason"

    def test_a_rejected_record_cannot_be_corrected(self, scene: Scene) -> None:
        record_id = a_declared_record(scene)
        scene.app.reject_record(scene.organizer_actor, record_id, "no")
        with pytest.raises(Conflict), writes_nothing(scene.app):
            scene.app.correct_record(scene.organizer_actor, record_id, 60, "why")


def spend(app: TimeBank, scene: Scene, amount: int) -> None:
    """The volunteer pays another member `amount` credit-minutes (an exchange, saved directly)."""
    payer = account_of(app, scene.volunteer)
    payee = account_of(app, scene.organizer)
    transfer = open_transfer(
        uuid4(), payer, payee, debit_account_id=payer.id, credit_account_id=payee.id, amount=amount, kind="exchange",
        pending=False, reference=None, rules_version="beijing-2021", actor=scene.volunteer_actor.ref, at=scene.clock(),
    )
    app.save(transfer, payer, payee)


class TestRevocation:
    def test_revocation_moves_the_credits_back_by_a_new_transfer(self, scene: Scene) -> None:
        app = scene.app
        record_id = a_declared_record(scene, minutes=120, confirm=True)
        app.revoke_record(scene.organizer_actor, record_id, "the activity did not take place")
        record = app.get_record(record_id)
        assert (record.status, record.credited_minutes) == (REVOKED, 0)
        reversal = last_transfer(app, record_id)
        assert (reversal.kind, reversal.amount, reversal.debit_account_id) == (
            REVOCATION, 120, TimeAccount.create_id(scene.volunteer_id))
        assert balance(scene) == (0, 0)

    def test_revocation_reverses_the_corrected_figure(self, scene: Scene) -> None:
        app = scene.app
        record_id = a_declared_record(scene, minutes=120, confirm=True)
        app.correct_record(scene.organizer_actor, record_id, 150, "longer")
        app.revoke_record(scene.organizer_actor, record_id, "false")
        assert last_transfer(app, record_id).amount == 150
        assert balance(scene) == (0, 0)

    def test_revocation_may_leave_the_balance_below_the_floor(self, scene: Scene) -> None:
        app = scene.app
        record_id = a_declared_record(scene, minutes=120, confirm=True)
        spend(app, scene, 100)
        app.revoke_record(scene.organizer_actor, record_id, "found to be false")
        assert balance(scene) == (-100, 0)
        with pytest.raises(RuleViolation) as raised:
            spend(app, scene, 1)
        assert raised.value.details["available"] == 0  # nothing is spendable below the floor

    def test_only_a_confirmed_record_is_revoked_only_by_its_organizers_and_only_once(self, scene: Scene) -> None:
        app = scene.app
        record_id = a_declared_record(scene)
        with pytest.raises(Conflict), writes_nothing(app):
            app.revoke_record(scene.organizer_actor, record_id, "false")
        app.confirm_record(scene.organizer_actor, record_id)
        with pytest.raises(Forbidden), writes_nothing(app):
            app.revoke_record(scene.volunteer_actor, record_id, "I take it back")
        with pytest.raises(InvalidInput), writes_nothing(app):
            app.revoke_record(scene.organizer_actor, record_id, "")
        app.revoke_record(scene.organizer_actor, record_id, "false")
        with pytest.raises(Conflict), writes_nothing(app):
            app.revoke_record(scene.organizer_actor, record_id, "false")
        assert balance(scene) == (0, 0)


class TestExpiry:
    def test_a_pending_record_expires_only_after_its_confirmation_deadline(self, scene: Scene) -> None:
        app = scene.app
        record_id = a_declared_record(scene, minutes=120)
        assert app.get_record(record_id).confirmation_deadline == date(2026, 12, 2)
        scene.clock.advance(days=14)  # the deadline day itself: still open
        with writes_nothing(app):
            assert app.expire_record(record_id, SYSTEM) is False
        scene.clock.advance(days=1)
        assert app.expire_record(record_id, SYSTEM) is True
        assert app.get_record(record_id).status == EXPIRED
        assert balance(scene) == (0, 0)
        assert last_transfer(app, record_id).status == "voided"

    def test_expiring_twice_changes_nothing_the_second_time(self, scene: Scene) -> None:
        record_id = a_declared_record(scene)
        scene.clock.advance(days=30)
        assert scene.app.expire_record(record_id, SYSTEM) is True
        with writes_nothing(scene.app):
            assert scene.app.expire_record(record_id, SYSTEM) is False

    def test_a_decided_record_never_expires(self, scene: Scene) -> None:
        record_id = a_declared_record(scene, confirm=True)
        scene.clock.advance(days=30)
        with writes_nothing(scene.app):
            assert scene.app.expire_record(record_id, SYSTEM) is False
        assert balance(scene) == (120, 0)

    def test_an_expired_record_can_no_longer_be_confirmed(self, scene: Scene) -> None:
        record_id = a_declared_record(scene)
        scene.clock.advance(days=30)
        scene.app.expire_record(record_id, SYSTEM)
        with pytest.raises(Conflict), writes_nothing(scene.app):
            scene.app.confirm_record(scene.organizer_actor, record_id)
        assert balance(scene) == (0, 0)
