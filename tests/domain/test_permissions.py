"""The access-policy table: who may do what, decided from roles and facts about the object."""

from __future__ import annotations

from uuid import uuid4

import pytest

from timebank.domain.actors import Actor, Role
from timebank.domain.errors import Forbidden
from timebank.domain.permissions import POLICY, Relation, permits, require

volunteer = Actor(Role.VOLUNTEER, uuid4())
auditor = Actor(Role.AUDITOR, uuid4())
admin = Actor(Role.ADMIN, uuid4())


def test_a_volunteer_reads_their_own_record_but_not_another_volunteers() -> None:
    assert permits(volunteer, "record.read", about=volunteer.id)
    assert not permits(volunteer, "record.read", about=uuid4())


def test_an_organizer_reads_the_records_of_their_organization_only() -> None:
    assert permits(volunteer, "record.read", about=uuid4(), organizes=True)
    assert not permits(volunteer, "record.read", about=uuid4(), organizes=False)


def test_auditors_read_everything_and_change_nothing() -> None:
    reads = [action for action, rule in POLICY.items() if Relation.AUDITOR in rule.allowed]
    assert "record.read" in reads and "account.read" in reads and "ledger.reconcile" in reads
    for action in ("record.decide", "account.spend", "ledger.correct", "organization.act", "transfer.post", "volunteer.erase"):
        assert not permits(auditor, action, about=auditor.id, organizes=True, party=True, creator=True), action


def test_anonymous_callers_reach_only_public_actions() -> None:
    assert permits(None, "public")
    assert [action for action in POLICY if permits(None, action, organizes=True, party=True)] == ["public"]


def test_claims_and_tokens_are_nobodys_history() -> None:
    assert not any(permits(who, "secret.read", about=who.id, organizes=True, party=True) for who in (volunteer, auditor, admin))


def test_facts_are_asked_only_when_the_rule_needs_them() -> None:
    def never() -> bool:
        raise AssertionError("a fact the rule does not need was evaluated")

    assert permits(admin, "record.read", organizes=never)  # readers need no fact
    assert permits(volunteer, "record.read", about=volunteer.id, organizes=never)  # SELF is decided first
    assert not permits(volunteer, "ledger.correct", organizes=never, party=never)


def test_an_organizer_acting_for_a_stranger_is_refused_with_the_rule_named() -> None:
    with pytest.raises(Forbidden, match="a volunteer acts for themself"):
        require(volunteer, "shift.sign_up", about=uuid4(), organizes=False)
    require(volunteer, "shift.sign_up", about=uuid4(), organizes=True)  # an organizer signs others up


def test_admins_and_auditors_have_no_self() -> None:
    """An admin's token is not a volunteer: SELF and the object facts apply to volunteers only."""
    assert not permits(admin, "account.spend", about=admin.id)
    assert not permits(admin, "record.request_correction", about=admin.id)


def test_every_rule_names_its_refusal() -> None:
    assert all(rule.refusal for action, rule in POLICY.items() if action != "public")
