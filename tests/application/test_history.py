"""An aggregate's history: every event names its actor; outsiders are told it does not exist."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from tests.builders import (
    Scene,
    a_declared_record,
    a_scene,
    a_verified_organization,
    a_volunteer,
    an_admin,
    an_auditor,
    as_volunteer,
    make_app,
)
from timebank.domain.actors import SYSTEM
from timebank.domain.errors import NotFound
from timebank.domain.ledger import TimeAccount
from timebank.domain.volunteer import IdentityClaim


@pytest.fixture
def scene() -> Scene:
    return a_scene(make_app())


def a_busy_record(scene: Scene) -> UUID:
    """A record that was declared, confirmed, questioned, corrected and revoked."""
    app = scene.app
    record_id = a_declared_record(scene, minutes=120, confirm=True)
    app.correct_record(scene.volunteer_actor, record_id, 150, "I stayed longer")
    app.correct_record(scene.organizer_actor, record_id, 150, "agreed")
    app.revoke_record(scene.organizer_actor, record_id, "found to be false")
    return record_id


def test_the_owner_the_organizer_an_auditor_and_an_admin_can_read_a_records_history(scene: Scene) -> None:
    record_id = a_busy_record(scene)
    for reader in (scene.volunteer_actor, scene.organizer_actor, an_auditor(), an_admin()):
        names = [type(e).__name__ for e in scene.app.history(reader, record_id)]
        assert names == ["Recorded", "Confirmed", "CorrectionRequested", "Corrected", "Revoked"]


def test_every_event_in_a_records_history_names_its_actor(scene: Scene) -> None:
    record_id = a_busy_record(scene)
    events = scene.app.history(an_admin(), record_id)
    assert [e.actor for e in events] == [
        scene.volunteer_actor.ref, scene.organizer_actor.ref, scene.volunteer_actor.ref,
        scene.organizer_actor.ref, scene.organizer_actor.ref,
    ]
    assert [e.originator_version for e in events] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("who", ["another volunteer", "an organizer of another organization", "the system"])
def test_anyone_else_is_told_the_record_does_not_exist(scene: Scene, who: str) -> None:
    record_id = a_declared_record(scene)
    other = a_volunteer(scene.app)
    if who == "an organizer of another organization":
        a_verified_organization(scene.app, other)
    reader = SYSTEM if who == "the system" else as_volunteer(other)
    with pytest.raises(NotFound) as raised:
        scene.app.history(reader, record_id)
    assert raised.value.field == "aggregate_id"


def test_a_volunteer_reads_their_own_account_and_the_transfers_into_it(scene: Scene) -> None:
    app = scene.app
    record_id = a_declared_record(scene, confirm=True)
    account_id = TimeAccount.create_id(scene.volunteer_id)
    assert [type(e).__name__ for e in app.history(scene.volunteer_actor, account_id)] == [
        "Opened", "TransferApplied", "PendingResolved"]
    transfer_id = app.get_record(record_id).transfer_ids[0]
    assert [type(e).__name__ for e in app.history(scene.volunteer_actor, transfer_id)] == ["Created", "Posted"]
    with pytest.raises(NotFound):
        app.history(scene.organizer_actor, account_id)


def test_shifts_and_organizations_are_read_by_their_organizers(scene: Scene) -> None:
    app = scene.app
    assert [type(e).__name__ for e in app.history(scene.organizer_actor, scene.organization_id)] == ["Registered", "Verified"]
    assert len(app.history(scene.organizer_actor, scene.shift_id)) == 1
    with pytest.raises(NotFound):
        app.history(scene.volunteer_actor, scene.shift_id)


def test_claims_and_tokens_have_no_visible_history_even_for_an_admin(scene: Scene) -> None:
    person = scene.app.personal_data_of(scene.app.get_volunteer(scene.volunteer_id))
    assert person is not None
    claim_id = IdentityClaim.create_id(scene.app.identity_key(person["id_type"], person["id_number"]))
    assert claim_id in scene.app.repository
    with pytest.raises(NotFound):
        scene.app.history(an_admin(), claim_id)


def test_an_unknown_aggregate_is_not_found(scene: Scene) -> None:
    with pytest.raises(NotFound):
        scene.app.history(an_admin(), uuid4())
