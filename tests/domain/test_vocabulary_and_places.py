"""The controlled vocabulary and the practice hierarchy, as pure rules."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from timebank.domain.errors import InvalidInput
from timebank.domain.places import (
    BEIJING_DISTRICTS,
    CENTERS,
    SYNTHETIC_MARK,
    DistrictPlaces,
    hierarchy_distance,
    synthetic_streets,
)
from timebank.domain.project import CATEGORIES
from timebank.domain.vocabulary import CURRENT, vocabulary_on

T0 = datetime(2026, 11, 18, 2, tzinfo=timezone.utc)


def test_chinese_labels_are_aliases_of_their_codes() -> None:
    assert CURRENT.skills_of(["急救", "first_aid", "手语"]) == ["first_aid", "sign_language"]
    assert CURRENT.category("扶老助老") == "elderly_care"


def test_an_unknown_skill_is_refused_naming_its_place_in_the_list() -> None:
    with pytest.raises(InvalidInput) as refused:
        CURRENT.skills_of(["first_aid", "juggling"], "required_skills")
    assert refused.value.field == "required_skills.1"
    assert "juggling" in str(refused.value)


def test_the_project_categories_are_the_vocabularys_and_every_version_keeps_older_codes() -> None:
    assert CURRENT.category_codes() == CATEGORIES
    assert vocabulary_on(date(2020, 1, 1)).version <= CURRENT.version
    assert set(vocabulary_on(date(2020, 1, 1)).skill_codes()) <= set(CURRENT.skill_codes())


def test_there_are_17_centers_one_per_district_and_the_development_area() -> None:
    assert len(CENTERS) == 17 == len(BEIJING_DISTRICTS)
    assert CENTERS["北京经济技术开发区"].endswith("新时代文明实践中心")


def test_synthetic_places_say_they_are_synthetic() -> None:
    streets = synthetic_streets("朝阳区", 3, 4)
    assert len(streets) == 3 and all(len(c) == 4 for c in streets.values())
    assert all(SYNTHETIC_MARK in s and all(SYNTHETIC_MARK in c for c in cs) for s, cs in streets.items())


def a_register() -> DistrictPlaces:
    places = DistrictPlaces(district="朝阳区", actor="admin:x", at=T0)
    places.register({"三里屯街道": ["三里屯北社区", "幸福村社区"], "望京街道": []}, "admin:x", T0)
    return places


def test_registered_streets_and_communities_pass_and_unknown_ones_are_named() -> None:
    places = a_register()
    places.check("三里屯街道", "幸福村社区", required=True)
    places.check("望京街道", None)
    for street, community, field in [("国贸街道", None, "street"), ("三里屯街道", "望京西园社区", "community"), (None, "幸福村社区", "street")]:
        with pytest.raises(InvalidInput) as refused:
            places.check(street, community)
        assert refused.value.field == field
    with pytest.raises(InvalidInput) as refused:
        places.check("三里屯街道", None, required=True)
    assert refused.value.field == "community"


def test_registering_known_places_again_adds_nothing() -> None:
    places = a_register()
    version = places.version
    assert places.register({"三里屯街道": ["幸福村社区"]}, "admin:x", T0) == 0
    assert places.version == version
    assert places.register({"三里屯街道": ["新社区"], "麦子店街道": ["枣营社区"]}, "admin:x", T0) == 3


def test_distance_in_the_hierarchy() -> None:
    home = {"district": "朝阳区", "street": "三里屯街道", "community": "幸福村社区"}
    assert hierarchy_distance(home, dict(home)) == 0
    assert hierarchy_distance(home, {**home, "community": "三里屯北社区"}) == 1
    assert hierarchy_distance(home, {**home, "street": "望京街道"}) == 2
    assert hierarchy_distance(home, {**home, "district": "海淀区"}) == 3
