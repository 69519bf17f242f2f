"""A business limit: one volunteer cannot self-declare more than the rules' minutes for one date."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import a_declared_record, a_scene, make_app, writes_nothing
from timebank.domain.actors import SYSTEM
from timebank.domain.errors import RuleViolation

DAY_LIMIT = 16 * 60


def test_declarations_for_one_day_stop_at_the_limit_and_name_what_is_declared() -> None:
    scene = a_scene(make_app())
    a_declared_record(scene, 600)
    a_declared_record(scene, 360)  # exactly 16 h now
    with writes_nothing(scene.app), pytest.raises(RuleViolation) as refused:
        a_declared_record(scene, 1)
    assert refused.value.field == "service_minutes" and "960 minutes are already declared" in refused.value.message
    # Another day, or another volunteer, is not affected.
    a_declared_record(scene, 600, service_date=scene.today() - timedelta(days=1))


@pytest.mark.parametrize("how", ["reject", "revoke", "expire"])
def test_a_record_that_no_longer_counts_gives_its_minutes_back(how: str) -> None:
    scene = a_scene(make_app())
    app = scene.app
    first = a_declared_record(scene, 600, confirm=how == "revoke")
    a_declared_record(scene, 360)
    with pytest.raises(RuleViolation):
        a_declared_record(scene, 60)
    if how == "reject":
        app.reject_record(scene.organizer_actor, first, "not volunteer work")
    elif how == "revoke":
        app.revoke_record(scene.organizer_actor, first, "duplicate")
    else:
        scene.clock.advance(days=30)
        assert app.expire_record(first, SYSTEM)
        scene.clock.advance(days=-30)
    a_declared_record(scene, 600)  # room again


def test_the_limit_is_a_rule_of_the_versioned_rule_set() -> None:
    from timebank.domain.rules import RuleBook, RuleSet

    base = RuleBook().in_force(a_scene(make_app()).today())
    strict = RuleSet(**{**base.__dict__, "version": "strict", "max_self_declared_minutes_per_day": 120})
    scene = a_scene(make_app(rules=RuleBook([strict])))
    a_declared_record(scene, 120)
    with pytest.raises(RuleViolation):
        a_declared_record(scene, 1)
    assert base.max_self_declared_minutes_per_day == DAY_LIMIT
