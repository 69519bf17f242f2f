"""Organizations act through their organizers once verified; volunteers sign up for shifts."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from tests.builders import (
    Scene,
    a_project,
    a_scene,
    a_shift,
    a_verified_organization,
    a_volunteer,
    an_admin,
    as_volunteer,
    make_app,
    writes_nothing,
)
from timebank.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation


@pytest.fixture
def scene() -> Scene:
    return a_scene(make_app())


class TestOrganizations:
    def test_an_unverified_organization_cannot_publish_projects(self) -> None:
        app = make_app()
        organizer = as_volunteer(a_volunteer(app))
        org = app.register_organization(organizer, name="新团体", district="西城区")
        with pytest.raises(RuleViolation, match="not verified") as raised, writes_nothing(app):
            a_project(app, organizer, org)
        assert raised.value.field == "organization_id"
        app.verify_organization(an_admin(), org)
        project = a_project(app, organizer, org)
        assert app.get_project(project).organization_id == org

    def test_only_an_admin_verifies_an_organization_and_only_once(self) -> None:
        app = make_app()
        organizer = as_volunteer(a_volunteer(app))
        org = app.register_organization(organizer, name="新团体", district="西城区")
        with pytest.raises(Forbidden), writes_nothing(app):
            app.verify_organization(organizer, org)
        app.verify_organization(an_admin(), org)
        with pytest.raises(Conflict), writes_nothing(app):
            app.verify_organization(an_admin(), org)
        assert app.get_organization(org).verified

    def test_an_organization_is_registered_by_a_volunteer_who_becomes_its_organizer(self) -> None:
        app = make_app()
        with pytest.raises(Forbidden), writes_nothing(app):
            app.register_organization(an_admin(), name="团体", district="东城区")
        reg = a_volunteer(app)
        org = a_verified_organization(app, reg)
        assert app.is_organizer(as_volunteer(reg), org)
        assert not app.is_organizer(as_volunteer(uuid4()), org)
        assert not app.is_organizer(as_volunteer(reg), uuid4())

    def test_only_organizers_publish_projects_and_add_shifts(self, scene: Scene) -> None:
        app = scene.app
        with pytest.raises(Forbidden), writes_nothing(app):
            a_project(app, scene.volunteer_actor, scene.organization_id)
        with pytest.raises(Forbidden), writes_nothing(app):
            a_shift(app, scene.volunteer_actor, scene.project_id)
        with pytest.raises(Forbidden), writes_nothing(app):
            a_shift(app, an_admin(), scene.project_id)

    def test_an_added_organizer_may_act_and_a_removed_one_may_not(self, scene: Scene) -> None:
        app = scene.app
        app.add_organizer(scene.organizer_actor, scene.organization_id, scene.volunteer_id)
        project = a_project(app, scene.volunteer_actor, scene.organization_id)
        app.remove_organizer(scene.organizer_actor, scene.organization_id, scene.volunteer_id)
        with pytest.raises(Forbidden):
            a_shift(app, scene.volunteer_actor, project)

    def test_an_organization_keeps_at_least_one_organizer(self, scene: Scene) -> None:
        with pytest.raises(RuleViolation), writes_nothing(scene.app):
            scene.app.remove_organizer(scene.organizer_actor, scene.organization_id, scene.organizer_id)

    def test_adding_an_unknown_volunteer_or_an_existing_organizer_is_refused(self, scene: Scene) -> None:
        with pytest.raises(NotFound), writes_nothing(scene.app):
            scene.app.add_organizer(scene.organizer_actor, scene.organization_id, uuid4())
        with pytest.raises(Conflict), writes_nothing(scene.app):
            scene.app.add_organizer(scene.organizer_actor, scene.organization_id, scene.organizer_id)

    def test_a_project_needs_a_known_category(self, scene: Scene) -> None:
        with pytest.raises(InvalidInput) as raised, writes_nothing(scene.app):
            a_project(scene.app, scene.organizer_actor, scene.organization_id, category="donation_of_goods")
        assert raised.value.field == "category"

    def test_a_malformed_shift_is_refused_with_the_field_named(self, scene: Scene) -> None:
        with pytest.raises(InvalidInput) as raised, writes_nothing(scene.app):
            a_shift(scene.app, scene.organizer_actor, scene.project_id, capacity=0)
        assert raised.value.field == "capacity"
        with pytest.raises(InvalidInput) as raised, writes_nothing(scene.app):
            a_shift(scene.app, scene.organizer_actor, scene.project_id, hours=25)
        assert raised.value.field == "ends_at"

    def test_unknown_ids_are_not_found_with_the_field_named(self, scene: Scene) -> None:
        with pytest.raises(NotFound) as raised:
            scene.app.get_shift(scene.project_id)  # a project is not a shift
        assert raised.value.field == "shift_id"
        with pytest.raises(NotFound) as raised:
            a_shift(scene.app, scene.organizer_actor, uuid4())
        assert raised.value.field == "project_id"


class TestSignUps:
    def test_a_volunteer_signs_up_and_holds_the_shift(self, scene: Scene) -> None:
        scene.app.sign_up(scene.volunteer_actor, scene.shift_id, scene.volunteer_id)
        assert scene.app.get_shift(scene.shift_id).signed_up == [scene.volunteer_id]
        assert str(scene.shift_id) in scene.app.get_volunteer(scene.volunteer_id).commitments

    def test_a_volunteer_cannot_sign_up_someone_else_but_an_organizer_can(self, scene: Scene) -> None:
        other = a_volunteer(scene.app)
        with pytest.raises(Forbidden), writes_nothing(scene.app):
            scene.app.sign_up(scene.volunteer_actor, scene.shift_id, other.volunteer_id)
        scene.app.sign_up(scene.organizer_actor, scene.shift_id, other.volunteer_id)
        assert scene.app.get_shift(scene.shift_id).signed_up == [other.volunteer_id]

    def test_a_full_shift_refuses_the_next_volunteer(self, scene: Scene) -> None:
        app = scene.app
        shift = a_shift(app, scene.organizer_actor, scene.project_id, capacity=1)
        app.sign_up(scene.volunteer_actor, shift, scene.volunteer_id)
        late = a_volunteer(app)
        with pytest.raises(Conflict, match="full"), writes_nothing(app):
            app.sign_up(as_volunteer(late), shift, late.volunteer_id)
        assert str(shift) not in app.get_volunteer(late.volunteer_id).commitments

    def test_a_double_sign_up_is_a_conflict(self, scene: Scene) -> None:
        scene.app.sign_up(scene.volunteer_actor, scene.shift_id, scene.volunteer_id)
        with pytest.raises(Conflict, match="already"), writes_nothing(scene.app):
            scene.app.sign_up(scene.volunteer_actor, scene.shift_id, scene.volunteer_id)

    def test_overlapping_shifts_cannot_both_be_held_and_the_refused_shift_keeps_its_place(self, scene: Scene) -> None:
        app = scene.app
        overlapping = a_shift(app, scene.organizer_actor, scene.project_id, starts_in=timedelta(hours=2), capacity=1)
        app.sign_up(scene.volunteer_actor, scene.shift_id, scene.volunteer_id)
        with pytest.raises(Conflict, match="overlaps") as raised, writes_nothing(app):
            app.sign_up(scene.volunteer_actor, overlapping, scene.volunteer_id)
        assert raised.value.details["overlapping_shift_id"] == str(scene.shift_id)
        assert app.get_shift(overlapping).signed_up == []

    def test_a_cancelled_sign_up_frees_the_place_and_the_volunteers_time(self, scene: Scene) -> None:
        app = scene.app
        overlapping = a_shift(app, scene.organizer_actor, scene.project_id, starts_in=timedelta(hours=2))
        app.sign_up(scene.volunteer_actor, scene.shift_id, scene.volunteer_id)
        app.cancel_sign_up(scene.volunteer_actor, scene.shift_id, scene.volunteer_id)
        app.sign_up(scene.volunteer_actor, overlapping, scene.volunteer_id)
        assert app.get_shift(scene.shift_id).signed_up == []
        assert list(app.get_volunteer(scene.volunteer_id).commitments) == [str(overlapping)]

    def test_cancelling_after_the_start_is_refused(self, scene: Scene) -> None:
        scene.app.sign_up(scene.volunteer_actor, scene.shift_id, scene.volunteer_id)
        scene.clock.advance(hours=1)
        with pytest.raises(RuleViolation, match="started"), writes_nothing(scene.app):
            scene.app.cancel_sign_up(scene.volunteer_actor, scene.shift_id, scene.volunteer_id)

    def test_a_volunteer_lacking_a_required_skill_cannot_sign_up(self, scene: Scene) -> None:
        shift = a_shift(scene.app, scene.organizer_actor, scene.project_id, required_skills=["sign_language"])
        with pytest.raises(RuleViolation, match="sign_language"), writes_nothing(scene.app):
            scene.app.sign_up(scene.volunteer_actor, shift, scene.volunteer_id)
        signer = a_volunteer(scene.app, skills=["sign_language", "first_aid"])
        scene.app.sign_up(as_volunteer(signer), shift, signer.volunteer_id)
        assert scene.app.get_shift(shift).signed_up == [signer.volunteer_id]
