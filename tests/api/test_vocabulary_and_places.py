"""Skills and categories are codes of a vocabulary (Chinese labels are aliases); streets and
communities are validated against the registered places of the practice hierarchy."""

from __future__ import annotations

from api.services import Services
from tests.api.conftest import ApiClient, Walk, event_count, expect, register


def test_a_volunteer_registered_with_a_chinese_skill_has_its_code(walk: Walk) -> None:
    person = register(walk.api, skills=["急救", "手语"], service_categories=["扶老助老"])
    profile = expect(walk.api.get(f"/api/volunteers/{person.id}", person.token), 200)
    assert profile["skills"] == ["first_aid", "sign_language"]
    assert profile["service_categories"] == ["elderly_care"]
    # ... and so they match a shift that requires the code.
    shift_id = walk.add_shift(required_skills=["first_aid"])
    expect(walk.sign_up(person, shift_id), 201)


def test_unknown_skills_are_refused_naming_the_field_and_write_nothing(walk: Walk, services: Services) -> None:
    before = event_count(services)
    problem = expect(walk.api.post(f"/api/projects/{walk.project_id}/shifts", walk.shift_body(required_skills=["juggling"]), walk.organizer.token), 422)
    assert problem["field"] == "required_skills.0" and "juggling" in problem["message"]
    assert event_count(services) == before


def test_the_vocabulary_is_published_with_labels(walk: Walk) -> None:
    vocabulary = expect(walk.api.get("/api/vocabulary", walk.organizer.token), 200)
    assert vocabulary["version"]
    assert {"code": "first_aid", "zh": "急救", "en": "First aid"} in vocabulary["skills"]


def test_after_an_import_streets_and_communities_are_checked_against_it(api: ApiClient, walk: Walk, services: Services) -> None:
    rows = [{"district": "海淀区", "street": "中关村街道", "community": "科育社区"},
            {"district": "海淀区", "street": "中关村街道", "community": "科源社区"}]
    assert expect(api.post("/api/places", {"rows": rows}, walk.admin), 201) == {"created": 3}
    assert expect(api.post("/api/places", {"rows": rows}, walk.admin), 201) == {"created": 0}
    listed = expect(api.get("/api/places", walk.organizer.token, district="海淀区"), 200)
    assert listed[0]["center"] == "海淀区新时代文明实践中心"
    assert listed[0]["streets"] == [{"street": "中关村街道", "communities": ["科源社区", "科育社区"]}]  # sorted

    register(api, district="海淀区", street="中关村街道", community="科源社区")
    before = event_count(services)
    for street, community, field in [("学院路街道", None, "street"), ("中关村街道", "无名社区", "community")]:
        problem = expect(api.post("/api/volunteers", _registration(district="海淀区", street=street, community=community)), 422)
        assert problem["field"] == field
    assert event_count(services) == before


def test_only_admins_register_places(walk: Walk, services: Services) -> None:
    before = event_count(services)
    expect(walk.api.post("/api/places", {"rows": [{"district": "海淀区", "street": "x街道"}]}, walk.organizer.token), 403)
    assert event_count(services) == before


def _registration(**overrides: object) -> dict[str, object]:
    from tests.api.conftest import registration

    body = registration(**overrides)
    return {k: v for k, v in body.items() if v is not None}
