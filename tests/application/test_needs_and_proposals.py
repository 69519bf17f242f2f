"""Needs, supply and proposals as use cases: posting checks the place, the window and the slots;
accepting signs the volunteer up to the need's shift; a declined pair is never proposed again."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from tests.builders import Scene, a_scene, a_volunteer, an_admin, as_volunteer, make_app, writes_nothing
from timebank.application import Pairing, TimeBank
from timebank.domain.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from timebank.domain.matching import week_of
from timebank.domain.need import CLOSED, FILLED
from timebank.domain.proposal import Proposal

PLACE = {"district": "朝阳区", "street": "三里屯街道", "community": "幸福村社区"}


@pytest.fixture
def app() -> TimeBank:
    app = make_app()
    app.register_places(an_admin(), [("朝阳区", "三里屯街道", "幸福村社区"), ("朝阳区", "三里屯街道", "三里屯北社区")])
    return app


def a_need(app: TimeBank, scene: Scene, **kw: object) -> UUID:
    now = app.clock()
    fields: dict[str, Any] = dict(
        organization_id=scene.organization_id, project_id=scene.project_id, title="陪老人就医", content="陪同去医院",
        **PLACE, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=3), volunteers_needed=2,
        required_skills=["急救"],
    )
    fields.update(kw)
    return app.post_need(scene.organizer_actor, **fields)


@pytest.mark.parametrize(("change", "field"), [
    ({"volunteers_needed": 0}, "volunteers_needed"),
    ({"required_skills": ["juggling"]}, "required_skills.0"),
    ({"community": "无名社区"}, "community"),
    ({"street": "国贸街道"}, "street"),
    ({"district": "浦东新区"}, "district"),
    ({"min_age": 60, "max_age": 18}, "min_age"),
])
def test_a_bad_need_is_refused_naming_the_field_and_writes_nothing(app: TimeBank, change: dict[str, object], field: str) -> None:
    scene = a_scene(app)
    with writes_nothing(app), pytest.raises(InvalidInput) as refused:
        a_need(app, scene, **change)
    assert refused.value.field == field


def test_a_need_whose_window_has_ended_is_refused(app: TimeBank) -> None:
    scene = a_scene(app)
    now = app.clock()
    with writes_nothing(app), pytest.raises(InvalidInput) as refused:
        a_need(app, scene, starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1))
    assert refused.value.field == "ends_at"


def free_volunteer(app: TimeBank) -> Any:
    """A first-aider whose weekly windows hold any time of day (proposals come from runs, which
    propose only volunteers whose windows hold the need)."""
    volunteer = a_volunteer(app, skills=["first_aid"])
    whole_days = [{"weekday": day, "start": "00:00", "end": "24:00"} for day in range(7)]
    app.offer_supply(as_volunteer(volunteer.volunteer_id), volunteer.volunteer_id, availability=whole_days)
    return volunteer


def test_accepting_a_proposal_signs_the_volunteer_up_and_the_last_slot_fills_the_need(app: TimeBank) -> None:
    scene = a_scene(app)
    need_id = a_need(app, scene, volunteers_needed=1, min_age=18)
    need = app.get_need(need_id)
    volunteer = free_volunteer(app)
    app.record_run(an_admin(), [Pairing(need_id, volunteer.volunteer_id, 0.8, {})], needs=1, slots=1, solver="test", districts=["朝阳区"])
    proposal_id = Proposal.create_id(need_id, volunteer.volunteer_id)
    app.accept_proposal(scene.organizer_actor, proposal_id)

    assert volunteer.volunteer_id in app.get_shift(need.shift_id).signed_up
    assert app.get_need(need_id).status == FILLED
    with pytest.raises(Conflict):  # accepted once
        app.accept_proposal(scene.organizer_actor, proposal_id)


def test_a_declined_pair_is_never_proposed_again_and_cannot_be_accepted(app: TimeBank) -> None:
    scene = a_scene(app)
    need_id = a_need(app, scene)
    volunteer = a_volunteer(app, skills=["first_aid"])
    pairing = Pairing(need_id, volunteer.volunteer_id, 0.8, {})
    app.record_run(an_admin(), [pairing], needs=1, slots=2, solver="test", districts=["朝阳区"])
    proposal_id = Proposal.create_id(need_id, volunteer.volunteer_id)
    app.decline_proposal(as_volunteer(volunteer), proposal_id, "没空")
    with writes_nothing(app), pytest.raises(Conflict) as refused:
        app.accept_proposal(scene.organizer_actor, proposal_id)
    assert "declined" in str(refused.value)
    app.record_run(an_admin(), [pairing], needs=1, slots=2, solver="test", districts=["朝阳区"])
    assert app.get_proposal(proposal_id).version == 2  # made, declined: nothing new


def test_age_limits_are_checked_on_acceptance(app: TimeBank) -> None:
    scene = a_scene(app)
    need_id = a_need(app, scene, min_age=60)
    volunteer = a_volunteer(app, skills=["first_aid"], birth_date=date(1990, 1, 1))
    app.record_run(an_admin(), [Pairing(need_id, volunteer.volunteer_id, 0.5, {})], needs=1, slots=2, solver="test", districts=[])
    with writes_nothing(app), pytest.raises(RuleViolation) as refused:
        app.accept_proposal(scene.organizer_actor, Proposal.create_id(need_id, volunteer.volunteer_id))
    assert "60" in str(refused.value)


def test_closing_and_the_organizers_only(app: TimeBank) -> None:
    scene = a_scene(app)
    need_id = a_need(app, scene)
    with pytest.raises(Forbidden):
        app.close_need(scene.volunteer_actor, need_id, "不需要了")
    app.close_need(scene.organizer_actor, need_id, "不需要了")
    assert app.get_need(need_id).status == CLOSED
    with pytest.raises(Conflict):
        app.update_need(scene.organizer_actor, need_id, content="改")


def test_volunteers_offer_windows_a_cap_and_places_for_themselves_only(app: TimeBank) -> None:
    scene = a_scene(app)
    windows = [{"weekday": 5, "start": "09:00", "end": "12:00"}]
    app.offer_supply(scene.volunteer_actor, scene.volunteer_id, availability=windows, weekly_hours_cap=6,
                     preferred_places=[PLACE], skills=["急救"])
    supply = app.supply_of(scene.volunteer_actor, scene.volunteer_id)
    assert supply["availability"] == windows and supply["weekly_hours_cap"] == 6 and supply["skills"] == ["first_aid"]
    with pytest.raises(Forbidden):
        app.offer_supply(scene.organizer_actor, scene.volunteer_id, availability=[])
    with pytest.raises(InvalidInput) as refused:
        app.offer_supply(scene.volunteer_actor, scene.volunteer_id, availability=[{"weekday": 7, "start": "09:00", "end": "10:00"}])
    assert refused.value.field == "windows.0.weekday"


def accepted(app: TimeBank, scene: Scene, need_id: UUID) -> UUID:
    volunteer = free_volunteer(app)
    app.record_run(an_admin(), [Pairing(need_id, volunteer.volunteer_id, 0.8, {})], needs=1, slots=1, solver="test", districts=["朝阳区"])
    app.accept_proposal(scene.organizer_actor, Proposal.create_id(need_id, volunteer.volunteer_id))
    return volunteer.volunteer_id


def test_a_proposal_is_accepted_only_while_the_volunteers_windows_hold_the_needs_time(app: TimeBank) -> None:
    scene = a_scene(app)
    need_id = a_need(app, scene, volunteers_needed=1)
    volunteer = free_volunteer(app)
    app.record_run(an_admin(), [Pairing(need_id, volunteer.volunteer_id, 0.8, {})], needs=1, slots=1, solver="test", districts=["朝阳区"])
    proposal_id = Proposal.create_id(need_id, volunteer.volunteer_id)
    app.offer_supply(as_volunteer(volunteer.volunteer_id), volunteer.volunteer_id, availability=[])  # no windows any more
    with writes_nothing(app), pytest.raises(RuleViolation) as refused:
        app.accept_proposal(scene.organizer_actor, proposal_id)
    assert refused.value.field == "proposal_id"
    assert volunteer.volunteer_id not in app.get_shift(app.get_need(need_id).shift_id).signed_up


def test_a_proposal_is_accepted_only_within_the_volunteers_weekly_cap(app: TimeBank) -> None:
    """Runs respect the cap, but proposals from several runs could together exceed it: acceptance
    counts the week's bookings as they are then."""
    scene = a_scene(app)
    monday, _ = week_of(app.clock() + timedelta(days=7))
    first = a_need(app, scene, volunteers_needed=1, starts_at=monday + timedelta(hours=9), ends_at=monday + timedelta(hours=12))
    second = a_need(app, scene, volunteers_needed=1, starts_at=monday + timedelta(days=1, hours=9), ends_at=monday + timedelta(days=1, hours=11))
    following_week = a_need(app, scene, volunteers_needed=1, starts_at=monday + timedelta(days=7, hours=9),
                            ends_at=monday + timedelta(days=7, hours=11))
    volunteer = free_volunteer(app)
    whole_days = [{"weekday": day, "start": "00:00", "end": "24:00"} for day in range(7)]
    app.offer_supply(as_volunteer(volunteer.volunteer_id), volunteer.volunteer_id, availability=whole_days, weekly_hours_cap=4)
    for need_id in (first, second, following_week):  # one run each, as several nightly runs would
        app.record_run(an_admin(), [Pairing(need_id, volunteer.volunteer_id, 0.8, {})], needs=1, slots=1, solver="test", districts=["朝阳区"])
    app.accept_proposal(scene.organizer_actor, Proposal.create_id(first, volunteer.volunteer_id))  # 3 h of 4

    with writes_nothing(app), pytest.raises(RuleViolation) as refused:
        app.accept_proposal(scene.organizer_actor, Proposal.create_id(second, volunteer.volunteer_id))  # 2 h more
    assert refused.value.field == "proposal_id" and "weekly cap is 4 h" in str(refused.value)
    assert volunteer.volunteer_id not in app.get_shift(app.get_need(second).shift_id).signed_up
    app.accept_proposal(scene.organizer_actor, Proposal.create_id(following_week, volunteer.volunteer_id))  # another week
    assert volunteer.volunteer_id in app.get_shift(app.get_need(following_week).shift_id).signed_up


def test_a_needs_slots_change_with_its_shifts_places_never_below_the_sign_ups(app: TimeBank) -> None:
    scene = a_scene(app)
    need_id = a_need(app, scene, volunteers_needed=3)
    shift_id = app.get_need(need_id).shift_id
    accepted(app, scene, need_id)
    accepted(app, scene, need_id)

    app.update_need(scene.organizer_actor, need_id, volunteers_needed=5)
    assert (app.get_need(need_id).volunteers_needed, app.get_shift(shift_id).capacity) == (5, 5)
    assert app.get_need(need_id).content == "陪同去医院"  # only the slots changed

    with writes_nothing(app), pytest.raises(Conflict) as refused:
        app.update_need(scene.organizer_actor, need_id, volunteers_needed=1, content="改")
    assert refused.value.field == "volunteers_needed"
    with writes_nothing(app), pytest.raises(InvalidInput):
        app.update_need(scene.organizer_actor, need_id, volunteers_needed=0)
    with writes_nothing(app), pytest.raises(Forbidden):
        app.update_need(scene.volunteer_actor, need_id, volunteers_needed=4)

    app.update_need(scene.organizer_actor, need_id, volunteers_needed=2)  # as many as are signed up: filled
    assert app.get_need(need_id).status == FILLED and app.get_shift(shift_id).capacity == 2
    with writes_nothing(app), pytest.raises(Conflict):
        app.update_need(scene.organizer_actor, need_id, volunteers_needed=4)
