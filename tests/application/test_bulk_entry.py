"""An organizer's bulk entry: confirmed records and posted credits, all written or none."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from tests.builders import Scene, a_scene, a_volunteer, account_of, an_admin, make_app, writes_nothing
from timebank.application import BatchEntry
from timebank.domain.errors import DomainError, Forbidden, InvalidInput, NotFound, RuleViolation
from timebank.domain.service_record import CONFIRMED


@pytest.fixture
def scene() -> Scene:
    return a_scene(make_app())


def entry(scene: Scene, volunteer_id: UUID | None = None, minutes: int = 60, **kw: Any) -> BatchEntry:
    fields: dict[str, Any] = {"service_date": scene.today(), "content": "社区清洁", **kw}
    return BatchEntry(volunteer_id=volunteer_id or scene.volunteer_id, service_minutes=minutes, **fields)


def test_bulk_entry_creates_confirmed_records_with_posted_credits(scene: Scene) -> None:
    app = scene.app
    other = a_volunteer(app)
    ids = app.record_service_batch(scene.organizer_actor, scene.project_id, [
        entry(scene, minutes=60), entry(scene, other.volunteer_id, minutes=90), entry(scene, minutes=30),
    ])
    records = [app.get_record(i) for i in ids]
    assert [(r.status, r.source, r.service_minutes) for r in records] == [
        (CONFIRMED, "bulk_entry", 60), (CONFIRMED, "bulk_entry", 90), (CONFIRMED, "bulk_entry", 30)]
    assert [r.volunteer_id for r in records] == [scene.volunteer_id, other.volunteer_id, scene.volunteer_id]
    assert all(r.confirmation_deadline is None for r in records)
    mine, theirs = account_of(app, scene.volunteer), account_of(app, other)
    assert (mine.available, mine.pending_credits, theirs.available) == (90, 0, 90)


def test_bulk_entry_is_all_or_nothing_when_a_volunteer_is_unknown(scene: Scene) -> None:
    with pytest.raises(NotFound) as raised, writes_nothing(scene.app):
        scene.app.record_service_batch(scene.organizer_actor, scene.project_id, [entry(scene), entry(scene, uuid4())])
    assert raised.value.field == "entries.1.volunteer_id"
    assert account_of(scene.app, scene.volunteer).available == 0


def test_bulk_entry_is_all_or_nothing_when_a_date_is_in_the_future(scene: Scene) -> None:
    tomorrow = scene.today() + timedelta(days=1)
    with pytest.raises(InvalidInput) as raised, writes_nothing(scene.app):
        scene.app.record_service_batch(
            scene.organizer_actor, scene.project_id, [entry(scene), entry(scene, service_date=tomorrow)])
    assert raised.value.field == "entries.1.service_date"


def test_bulk_entry_obeys_the_recording_deadline(scene: Scene) -> None:
    served_on = scene.today()
    scene.clock.advance(days=15)
    with pytest.raises(RuleViolation, match="10 working days") as raised, writes_nothing(scene.app):
        scene.app.record_service_batch(scene.organizer_actor, scene.project_id, [entry(scene, service_date=served_on)])
    assert raised.value.field == "entries.0.service_date"


def test_a_bulk_entry_on_a_shift_may_not_exceed_its_scheduled_length(scene: Scene) -> None:
    with pytest.raises(RuleViolation, match="scheduled length") as raised, writes_nothing(scene.app):
        scene.app.record_service_batch(scene.organizer_actor, scene.project_id, [
            entry(scene, minutes=180, shift_id=scene.shift_id), entry(scene, minutes=181, shift_id=scene.shift_id)])
    assert raised.value.field == "entries.1.service_minutes"


@pytest.mark.parametrize(("minutes", "error"), [(0, InvalidInput), (961, RuleViolation)])
def test_bulk_entry_minutes_are_checked_per_entry(scene: Scene, minutes: int, error: type[DomainError]) -> None:
    with pytest.raises(error) as raised, writes_nothing(scene.app):
        scene.app.record_service_batch(scene.organizer_actor, scene.project_id, [entry(scene), entry(scene, minutes=minutes)])
    assert raised.value.field == "entries.1.service_minutes"


def test_an_organizer_may_not_bulk_enter_their_own_service(scene: Scene) -> None:
    with pytest.raises(Forbidden) as raised, writes_nothing(scene.app):
        scene.app.record_service_batch(scene.organizer_actor, scene.project_id, [entry(scene), entry(scene, scene.organizer_id)])
    assert raised.value.field == "entries.1.volunteer_id"


def test_only_organizers_bulk_enter_and_a_batch_is_not_empty(scene: Scene) -> None:
    app = scene.app
    for outsider in (scene.volunteer_actor, an_admin()):
        with pytest.raises(Forbidden), writes_nothing(app):
            app.record_service_batch(outsider, scene.project_id, [entry(scene)])
    with pytest.raises(InvalidInput) as raised, writes_nothing(app):
        app.record_service_batch(scene.organizer_actor, scene.project_id, [])
    assert raised.value.field == "entries"


def test_a_batch_holds_at_most_500_entries(scene: Scene) -> None:
    with pytest.raises(InvalidInput, match="500"), writes_nothing(scene.app):
        scene.app.record_service_batch(scene.organizer_actor, scene.project_id, [entry(scene)] * 501)


def test_an_entry_older_than_every_rule_set_is_refused_with_its_field_named(scene: Scene) -> None:
    with pytest.raises(RuleViolation) as raised, writes_nothing(scene.app):
        scene.app.record_service_batch(
            scene.organizer_actor, scene.project_id, [entry(scene), entry(scene, service_date=date(2019, 6, 1))])
    assert raised.value.field == "entries.1.service_date"
