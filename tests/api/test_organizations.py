"""Organizations (registered by a volunteer, verified by an admin), their organizers, projects and shifts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api.services import Services
from tests.api.conftest import ApiClient, Walk, event_count, expect, register
from tests.conftest import Clock
from timebank.domain.actors import Role


def an_organization(api: ApiClient, token: str, name: str = "望京街道志愿服务队") -> str:
    org_id: str = expect(api.post("/api/organizations", {"name": name, "district": "朝阳区", "street": "望京街道"}, token), 201)["id"]
    return org_id


def test_the_registering_volunteer_becomes_the_first_organizer_of_an_unverified_organization(api: ApiClient) -> None:
    founder = register(api)
    org_id = an_organization(api, founder.token)

    org = expect(api.get(f"/api/organizations/{org_id}", founder.token), 200)
    assert org["name"] == "望京街道志愿服务队"
    assert org["organizers"] == [founder.id]
    assert org["verified"] is False
    assert org["verified_at"] is None


def test_an_admin_verifies_an_organization(api: ApiClient, services: Services) -> None:
    founder = register(api)
    org_id = an_organization(api, founder.token)
    admin = services.timebank.create_token(Role.ADMIN)

    assert expect(api.post(f"/api/organizations/{org_id}/verify", token=admin), 200) == {"id": org_id}

    org = expect(api.get(f"/api/organizations/{org_id}", founder.token), 200)
    assert org["verified"] is True
    assert org["verified_at"] == "2026-11-18T02:00:00+00:00"


@pytest.mark.parametrize("who", ["organizer", "auditor"])
def test_only_an_admin_verifies_others_get_403_and_nothing_is_written(api: ApiClient, services: Services, who: str) -> None:
    founder = register(api)
    org_id = an_organization(api, founder.token)
    token = founder.token if who == "organizer" else services.timebank.create_token(Role.AUDITOR)
    before = event_count(services)

    problem = expect(api.post(f"/api/organizations/{org_id}/verify", token=token), 403)

    assert problem["status"] == "Forbidden"
    assert event_count(services) == before
    assert expect(api.get(f"/api/organizations/{org_id}", founder.token), 200)["verified"] is False


def test_verifying_twice_conflicts(walk: Walk) -> None:
    problem = expect(walk.api.post(f"/api/organizations/{walk.organization_id}/verify", token=walk.admin), 409)
    assert "already verified" in problem["message"]


def test_an_admin_cannot_register_an_organization(walk: Walk) -> None:
    expect(walk.api.post("/api/organizations", {"name": "管理员队", "district": "朝阳区"}, walk.admin), 403)


def test_an_unknown_organization_is_404(walk: Walk) -> None:
    missing = "00000000-0000-4000-8000-000000000001"
    assert expect(walk.api.get(f"/api/organizations/{missing}", walk.organizer.token), 404)["field"] == "organization_id"
    expect(walk.api.post(f"/api/organizations/{missing}/verify", token=walk.admin), 404)


# Organizers -----------------------------------------------------------------------------
def test_an_organizer_adds_an_organizer_who_can_then_act_for_the_organization(walk: Walk) -> None:
    helper = walk.volunteer(name="孙助理")
    response = walk.api.post(f"/api/organizations/{walk.organization_id}/organizers", {"volunteer_id": helper.id}, walk.organizer.token)
    assert expect(response, 201) == {"id": helper.id}

    org = expect(walk.api.get(f"/api/organizations/{walk.organization_id}", helper.token), 200)
    assert sorted(org["organizers"]) == sorted([walk.organizer.id, helper.id])
    shift = walk.api.post(f"/api/projects/{walk.project_id}/shifts", walk.shift_body(title="下午班"), helper.token)
    expect(shift, 201)


def test_adding_an_organizer_twice_conflicts(walk: Walk) -> None:
    problem = expect(
        walk.api.post(f"/api/organizations/{walk.organization_id}/organizers", {"volunteer_id": walk.organizer.id}, walk.organizer.token), 409
    )
    assert problem["field"] == "volunteer_id"


def test_a_non_organizer_cannot_add_organizers(walk: Walk) -> None:
    outsider = walk.volunteer()
    before = walk.event_count()
    expect(walk.api.post(f"/api/organizations/{walk.organization_id}/organizers", {"volunteer_id": outsider.id}, outsider.token), 403)
    assert walk.event_count() == before


def test_an_unknown_volunteer_cannot_become_an_organizer(walk: Walk) -> None:
    body = {"volunteer_id": "00000000-0000-4000-8000-000000000002"}
    problem = expect(walk.api.post(f"/api/organizations/{walk.organization_id}/organizers", body, walk.organizer.token), 404)
    assert problem["field"] == "volunteer_id"


def test_an_organizer_is_removed_but_the_last_one_stays(walk: Walk) -> None:
    helper = walk.volunteer()
    expect(walk.api.post(f"/api/organizations/{walk.organization_id}/organizers", {"volunteer_id": helper.id}, walk.organizer.token), 201)

    removed = walk.api.delete(f"/api/organizations/{walk.organization_id}/organizers/{helper.id}", walk.organizer.token)
    assert removed.status_code == 204
    assert removed.get_data() == b""
    assert expect(walk.api.get(f"/api/organizations/{walk.organization_id}", walk.organizer.token), 200)["organizers"] == [walk.organizer.id]

    last = walk.api.delete(f"/api/organizations/{walk.organization_id}/organizers/{walk.organizer.id}", walk.organizer.token)
    assert expect(last, 422)["field"] == "volunteer_id"


# Projects ------------------------------------------------------------------------------
def test_a_project_of_a_verified_organization_is_published_with_the_organizations_district(walk: Walk) -> None:
    project = expect(walk.api.get(f"/api/projects/{walk.project_id}", walk.organizer.token), 200)
    assert project["organization_id"] == walk.organization_id
    assert project["name"] == "助老送餐"
    assert project["category"] == "elderly_care"
    assert project["district"] == "朝阳区"
    assert project["person_in_charge"] == "王老师"


def test_an_unverified_organization_cannot_publish_projects(api: ApiClient, services: Services) -> None:
    founder = register(api)
    org_id = an_organization(api, founder.token)
    before = event_count(services)

    body = {"organization_id": org_id, "name": "未审核项目", "person_in_charge": "李老师"}
    problem = expect(api.post("/api/projects", body, founder.token), 422)

    assert problem["field"] == "organization_id"
    assert "not verified" in problem["message"]
    assert event_count(services) == before


def test_only_organizers_publish_projects(walk: Walk) -> None:
    outsider = walk.volunteer()
    body = {"organization_id": walk.organization_id, "name": "冒名项目", "person_in_charge": "某人"}
    expect(walk.api.post("/api/projects", body, outsider.token), 403)


def test_a_project_needs_a_known_category(walk: Walk) -> None:
    body = {"organization_id": walk.organization_id, "name": "项目", "person_in_charge": "某人", "category": "knitting"}
    assert expect(walk.api.post("/api/projects", body, walk.organizer.token), 422)["field"] == "category"


def test_an_unknown_project_is_404(walk: Walk) -> None:
    expect(walk.api.get("/api/projects/00000000-0000-4000-8000-000000000003", walk.organizer.token), 404)


# Shifts --------------------------------------------------------------------------------
def test_a_shift_is_scheduled_with_its_capacity(walk: Walk, clock: Clock) -> None:
    shift = expect(walk.api.get(f"/api/shifts/{walk.shift_id}", walk.organizer.token), 200)
    assert shift["project_id"] == walk.project_id
    assert shift["organization_id"] == walk.organization_id
    assert shift["starts_at"] == (clock() + timedelta(hours=1)).isoformat()
    assert shift["capacity"] == 5
    assert shift["places_left"] == 5
    assert shift["roster"] == []


def test_a_shift_that_ends_before_it_starts_is_refused_naming_ends_at(walk: Walk, clock: Clock) -> None:
    before = walk.event_count()
    body = walk.shift_body(ends_at=(clock() + timedelta(minutes=30)).isoformat())  # starts in 1 h
    problem = expect(walk.api.post(f"/api/projects/{walk.project_id}/shifts", body, walk.organizer.token), 422)
    assert problem["field"] == "ends_at"
    assert walk.event_count() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours": 25}, "ends_at"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "3"}, "capacity"),
        ({"starts_at": "2026-11-18T11:00:00"}, "starts_at"),  # no UTC offset
        ({"title": ""}, "title"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_an_invalid_shift_is_refused_naming_the_field(walk: Walk, change: dict[str, Any], field: str) -> None:
    body = walk.shift_body(**change)
    problem = expect(walk.api.post(f"/api/projects/{walk.project_id}/shifts", body, walk.organizer.token), 422)
    assert problem["field"] == field


def test_only_organizers_add_shifts(walk: Walk) -> None:
    outsider = walk.volunteer()
    expect(walk.api.post(f"/api/projects/{walk.project_id}/shifts", walk.shift_body(), outsider.token), 403)
