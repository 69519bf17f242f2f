"""Chinese by default, English on request (remembered); Beijing time and hours-and-minutes everywhere."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from api.pages.catalog import LABELS
from api.pages.web import beijing, hours_minutes
from tests.api.conftest import Walk, expect
from tests.web.conftest import Browser, text_of


def test_the_language_switch_is_remembered_in_the_session(walk: Walk, browser: Browser) -> None:
    assert "用访问令牌登录" in browser.page("/login")
    assert "Log in with an access token" in browser.page("/login", lang="en")
    browser.log_in(walk.organizer.token)
    page = text_of(browser.page(f"/console/{walk.organization_id}"))  # no ?lang=: the session remembers
    assert "Open needs" in page and "Shifts and attendance" in page and "待对接需求" not in page
    assert "待对接需求" in text_of(browser.page(f"/console/{walk.organization_id}", lang="zh"))
    assert "用访问令牌登录" in browser.page("/login", lang="fr")  # an unknown language changes nothing


def test_every_label_has_both_languages() -> None:
    assert all(zh and en and zh != en or key == "site" for key, (zh, en) in LABELS.items())


def test_times_read_in_beijing_and_amounts_in_hours_and_minutes() -> None:
    assert beijing(datetime(2026, 12, 2, 1, 30, tzinfo=timezone.utc)) == "2026-12-02 09:30"
    assert beijing(datetime(2026, 12, 31, 16, 5, tzinfo=timezone.utc)) == "2027-01-01 00:05"
    assert [hours_minutes(m, "zh") for m in (150, 120, 45, 0, -90)] == ["2 小时 30 分", "2 小时", "45 分", "0 分", "-1 小时 30 分"]
    assert [hours_minutes(m, "en") for m in (150, 120, 45)] == ["2 h 30 min", "2 h", "45 min"]


@pytest.mark.parametrize(("lang", "expected"), [("zh", "1 小时 30 分"), ("en", "1 h 30 min")])
def test_a_shift_in_the_roster_reads_in_beijing_time(walk: Walk, browser: Browser, lang: str, expected: str) -> None:
    person = walk.volunteer()
    record_id = walk.declared(person)
    expect(walk.confirm(record_id), 200)
    browser.log_in(person.token)
    hours = text_of(browser.page("/me/hours", lang=lang))
    assert expected in hours
    statement = text_of(browser.page("/me/statement"))
    assert "2026-11-18 10:00" in statement and "01:00+00:00" not in statement and "02:00" not in statement
