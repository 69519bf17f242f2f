"""Auditors' charts: each chart's CSV holds the same numbers as the views behind it."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from api.services import Services
from tests.api.conftest import Walk, expect
from tests.api.test_ledger_api import transfer
from tests.api.test_star_levels import bulk, clock_run, entries, star_level
from tests.web.conftest import Browser
from timebank.settings import Settings


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """From 2026-11-01, star thresholds of 1-5 hours, so a few records reach several levels."""
    rules = [{"version": "small", "effective_from": "2026-11-01", "star_level_thresholds_hours": [1, 2, 3, 4, 5], "milestone_hours": []}]
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules), encoding="utf-8")
    return replace(settings, rules_file=path)


def rows_of(browser: Browser, chart: str) -> list[dict[str, str]]:
    response = browser.get(f"/stats/{chart}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")  # Excel reads UTF-8 with a BOM
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


def test_the_chart_numbers_are_the_numbers_of_the_views(walk: Walk, browser: Browser, services: Services) -> None:
    from api.clock import run_star_levels

    two_stars, one_star, newcomer = walk.volunteer(), walk.volunteer(), walk.volunteer()
    bulk(walk, entries(two_stars, 150, 1))
    bulk(walk, entries(one_star, 60, 1))
    expect(walk.confirm(walk.declared(one_star, minutes=45, service_date="2026-11-16")), 200)
    walk.declared(newcomer, minutes=30)  # pending: not in the hours chart
    pool = next(p for p in expect(walk.api.get("/api/accounts/pools", two_stars.token), 200) if p["district"] == "朝阳区")["id"]
    expect(walk.api.post("/api/transfers", transfer(walk.api, two_stars, pool, 20, "donation", note="捐给社区"), two_stars.token), 201)
    clock_run(services, run_star_levels)
    browser.log_in(walk.auditor())

    hours = rows_of(browser, "hours")
    records = expect(walk.api.get(f"/api/organizations/{walk.organization_id}/service-records", walk.organizer.token, status="confirmed"), 200)
    assert hours == [{"month": "2026-11", "district": "朝阳区", "minutes": str(sum(r["service_minutes"] for r in records))}]
    assert hours[0]["minutes"] == str(150 + 60 + 45)

    stars = {int(r["level"]): int(r["volunteers"]) for r in rows_of(browser, "stars")}
    people = [two_stars, one_star, newcomer, walk.organizer]
    levels = [star_level(walk, p)["level"] for p in people]
    assert levels == [2, 1, 0, 0]
    assert stars == {level: levels.count(level) for level in range(6)}

    flows = {r["flow"]: int(r["minutes"]) for r in rows_of(browser, "flows")}
    earned = sum(
        line["amount"] for p in people
        for line in expect(walk.api.get(f"/api/accounts/{p.id}/statement", p.token, kind="service_credit", phase="posted"), 200)
    )
    assert flows == {"earned": earned, "donated": 20} and earned == 255


def test_the_statistics_page_shows_three_charts_with_their_csv(walk: Walk, browser: Browser) -> None:
    expect(walk.confirm(walk.declared(walk.volunteer())), 200)
    browser.log_in(walk.auditor())
    page = browser.page("/stats")
    for chart in ("hours", "stars", "flows"):
        assert f'src="/stats/{chart}.svg"' in page and f'href="/stats/{chart}.csv"' in page
        svg = browser.get(f"/stats/{chart}.svg")
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert "各区每月服务时长" in page and "Confirmed service hours by district and month" in browser.page("/stats", lang="en")
