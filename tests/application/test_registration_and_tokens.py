"""Registering volunteers (one person, one account; the ID number stays out of ids) and access tokens."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from tests.builders import a_scene, a_volunteer, account_of, an_admin, as_volunteer, make_app, writes_nothing
from timebank.application import TimeBank
from timebank.domain.actors import Role
from timebank.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from timebank.domain.volunteer import IdentityClaim

ID_NUMBER = "110101199005170016"


@pytest.fixture
def app() -> TimeBank:
    return make_app()


class TestOnePersonOneAccount:
    def test_a_registration_opens_an_empty_account_and_issues_a_token_for_the_volunteer(self, app: TimeBank) -> None:
        reg = a_volunteer(app)
        account = account_of(app, reg)
        assert (account.owner_id, account.available, account.pending_credits, account.floor) == (reg.volunteer_id, 0, 0, None)
        assert app.authenticate(reg.access_token) == as_volunteer(reg)
        assert app.get_volunteer(reg.volunteer_id).volunteer_number == reg.volunteer_number

    def test_a_second_registration_with_the_same_id_number_is_refused(self, app: TimeBank) -> None:
        a_volunteer(app, id_number=ID_NUMBER)
        with pytest.raises(Conflict) as raised, writes_nothing(app):
            a_volunteer(app, id_number=ID_NUMBER, name="另一个人")
        assert raised.value.field == "id_number"

    def test_the_same_id_number_written_differently_is_still_the_same_person(self, app: TimeBank) -> None:
        a_volunteer(app, id_number="11010119900517001X")
        with pytest.raises(Conflict), writes_nothing(app):
            a_volunteer(app, id_number=" 11010119900517001x ")

    def test_two_volunteers_get_distinct_ids_and_volunteer_numbers(self, app: TimeBank) -> None:
        first, second = a_volunteer(app), a_volunteer(app)
        assert first.volunteer_id != second.volunteer_id
        assert first.volunteer_number != second.volunteer_number

    def test_the_id_number_is_never_part_of_an_aggregate_id_or_topic(self, app: TimeBank) -> None:
        reg = a_volunteer(app, id_number=ID_NUMBER)
        scene = a_scene(app)
        app.sign_up(as_volunteer(reg), scene.shift_id, reg.volunteer_id)
        notifications = app.recorder.select_notifications(1, 10000)
        assert len(notifications) > 10
        for n in notifications:
            for text in (str(n.originator_id), str(n.originator_id).replace("-", ""), n.topic):
                assert ID_NUMBER not in text.upper()
        # Not even the registration holds it in the clear: it is sealed under the volunteer's key.
        holders = [n.topic for n in notifications if ID_NUMBER.encode() in n.state]
        assert holders == []
        assert any(n.topic.endswith("Volunteer.Registered") for n in notifications)

    def test_the_identity_claim_is_keyed_by_a_secret_hash_not_by_the_number(self) -> None:
        one, other = make_app(identity_secret="one"), make_app(identity_secret="two")
        assert one.identity_key("resident_id", ID_NUMBER) != other.identity_key("resident_id", ID_NUMBER)
        reg = a_volunteer(one, id_number=ID_NUMBER)
        claim: IdentityClaim = one.repository.get(IdentityClaim.create_id(one.identity_key("resident_id", ID_NUMBER)))
        assert claim.volunteer_id == reg.volunteer_id


class TestAgeRules:
    def test_someone_under_14_cannot_register(self, app: TimeBank) -> None:
        with pytest.raises(RuleViolation) as raised, writes_nothing(app):
            a_volunteer(app, birth_date=date(2012, 11, 19), guardian_consent=True)  # 14 tomorrow
        assert raised.value.field == "birth_date"

    def test_a_minor_from_14_registers_only_with_a_guardians_consent(self, app: TimeBank) -> None:
        with pytest.raises(RuleViolation) as raised, writes_nothing(app):
            a_volunteer(app, birth_date=date(2012, 11, 18))
        assert raised.value.field == "guardian_consent"
        reg = a_volunteer(app, birth_date=date(2012, 11, 18), guardian_consent=True)
        assert app.get_volunteer(reg.volunteer_id).guardian_consent is True

    def test_a_birth_date_in_the_future_is_refused(self, app: TimeBank) -> None:
        with pytest.raises(InvalidInput) as raised, writes_nothing(app):
            a_volunteer(app, birth_date=date(2030, 1, 1))
        assert raised.value.field == "birth_date"


class TestTokens:
    def test_a_created_token_authenticates_as_its_role_until_revoked(self, app: TimeBank) -> None:
        secret = app.create_token(Role.AUDITOR, label="inspection", actor=an_admin())
        other = app.create_token(Role.AUDITOR, label="second auditor", actor=an_admin())
        who, second = app.authenticate(secret), app.authenticate(other)
        assert who is not None and second is not None and who.role is Role.AUDITOR
        assert who.id is not None and who.id != second.id  # each token is its own principal in the events
        app.revoke_token(secret, an_admin())
        assert app.authenticate(secret) is None

    def test_a_volunteer_token_names_the_volunteer(self, app: TimeBank) -> None:
        reg = a_volunteer(app)
        secret = app.create_token(Role.VOLUNTEER, subject_id=reg.volunteer_id)
        assert secret != reg.access_token
        assert app.authenticate(secret) == as_volunteer(reg)

    def test_revoking_one_token_leaves_the_others_working(self, app: TimeBank) -> None:
        reg = a_volunteer(app)
        extra = app.create_token(Role.VOLUNTEER, subject_id=reg.volunteer_id)
        app.revoke_token(reg.access_token, as_volunteer(reg))
        assert app.authenticate(reg.access_token) is None
        assert app.authenticate(extra) == as_volunteer(reg)

    def test_a_token_is_revoked_only_once(self, app: TimeBank) -> None:
        secret = app.create_token(Role.ADMIN)
        app.revoke_token(secret, an_admin())
        with pytest.raises(Conflict), writes_nothing(app):
            app.revoke_token(secret, an_admin())

    def test_unknown_secrets_do_not_authenticate_and_cannot_be_revoked(self, app: TimeBank) -> None:
        assert app.authenticate("tb_adm_not-a-real-token") is None
        with pytest.raises(NotFound):
            app.revoke_token("tb_adm_not-a-real-token", an_admin())

    def test_a_token_for_an_unknown_volunteer_or_a_system_role_is_refused(self, app: TimeBank) -> None:
        with pytest.raises(NotFound) as raised, writes_nothing(app):
            app.create_token(Role.VOLUNTEER, subject_id=uuid4())
        assert raised.value.field == "subject_id"
        with pytest.raises(InvalidInput), writes_nothing(app):
            app.create_token(Role.SYSTEM)

    def test_only_a_hash_of_the_secret_is_stored(self, app: TimeBank) -> None:
        secret = app.create_token(Role.ADMIN)
        reg = a_volunteer(app)
        stored = [n.state for n in app.recorder.select_notifications(1, 10000)]
        assert not any(secret.encode() in s or reg.access_token.encode() in s for s in stored)

    def test_a_registration_token_cannot_be_used_to_act_as_an_admin(self, app: TimeBank) -> None:
        reg = a_volunteer(app)
        org = app.register_organization(as_volunteer(reg), name="团体", district="东城区")
        with pytest.raises(Forbidden):
            app.verify_organization(app.authenticate(reg.access_token), org)  # type: ignore[arg-type]
