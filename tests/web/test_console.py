"""The organizer console: pending records confirmed or rejected in bulk (each outcome reported),
proposals accepted with their score parts shown, rosters with names, check-in and check-out."""

from __future__ import annotations

from datetime import timedelta

from api.services import Services
from tests.api.conftest import Walk, event_count, expect
from tests.api.test_matching import places, post_need, supplier  # noqa: F401  (the places fixture)
from tests.web.conftest import Browser, text_of


def records_page(walk: Walk) -> str:
    return f"/console/{walk.organization_id}/records"


def test_an_organizer_confirms_pending_records_in_bulk_and_each_outcome_is_reported(walk: Walk, browser: Browser) -> None:
    first, second, third = walk.volunteer(name="李一"), walk.volunteer(name="王二"), walk.volunteer(name="赵三")
    ids = [walk.declared(first), walk.declared(second), walk.declared(third)]
    browser.log_in(walk.organizer.token)
    listing = text_of(browser.page(records_page(walk)))
    assert "待确认记录 (3)" in listing and {"李一", "王二", "赵三"} <= set(listing.split())
    assert "1 小时 30 分" in listing  # 90 minutes, as a person reads them

    response = browser.post(records_page(walk), {"action": "confirm", "record_id": ids[:2]}, form_page=records_page(walk))

    assert response.status_code == 200
    page = text_of(response.get_data(as_text=True))
    assert "处理 2 条：2 条成功，0 条未完成。" in page and f"{ids[0]} 已确认" in page and f"{ids[1]} 已确认" in page
    assert [walk.record(i)["status"] for i in ids] == ["confirmed", "confirmed", "pending"]
    assert walk.account(first)["balance"] == 90
    assert "待确认记录 (1)" in text_of(browser.page(records_page(walk)))


def test_a_bulk_rejection_needs_a_reason_and_reports_records_it_could_not_decide(walk: Walk, browser: Browser, services: Services) -> None:
    person = walk.volunteer()
    pending, confirmed = walk.declared(person), walk.declared(person, service_date="2026-11-16")
    expect(walk.confirm(confirmed), 200)
    browser.log_in(walk.organizer.token)
    before = event_count(services)

    refused = browser.post(records_page(walk), {"action": "reject", "record_id": [pending]}, form_page=records_page(walk))
    assert refused.status_code == 422 and "驳回需要填写理由" in refused.get_data(as_text=True)
    assert event_count(services) == before

    mixed = browser.post(records_page(walk), {"action": "reject", "reason": "时长有误", "record_id": [pending, confirmed]},
                         form_page=records_page(walk))
    page = text_of(mixed.get_data(as_text=True))
    assert mixed.status_code == 200 and "处理 2 条：1 条成功，1 条未完成。" in page
    assert f"{pending} 已驳回" in page and f"{confirmed} 未完成" in page
    assert walk.record(pending)["status"] == "rejected" and walk.record(pending)["reason"] == "时长有误"
    assert walk.record(confirmed)["status"] == "confirmed"


def test_an_organizer_sees_ranked_candidates_with_score_parts_and_accepts_a_proposal(
    walk: Walk, browser: Browser, places: None  # noqa: F811
) -> None:
    near = supplier(walk)
    need_id = post_need(walk, volunteers_needed=1)
    expect(walk.api.post("/api/matching/runs", {"district": "朝阳区"}, walk.admin), 201)
    proposal = expect(walk.api.get(f"/api/needs/{need_id}/proposals", walk.organizer.token), 200)[0]
    browser.log_in(walk.organizer.token)

    overview = text_of(browser.page(f"/console/{walk.organization_id}"))
    assert "陪老人就医" in overview and "2026-11-19 10:00" in overview  # a day after the clock, Beijing time
    page = browser.page(f"/console/{walk.organization_id}/needs/{need_id}")
    text = text_of(page)
    for part in ("技能匹配", "距离", "可靠度", "公平性"):
        assert part in text
    assert near.volunteer_number in text and f"{proposal['score']:.3f}" in text and "待处理" in text

    accepted = browser.post(f"/console/{walk.organization_id}/proposals/{proposal['id']}/accept", form_page=f"/console/{walk.organization_id}/needs/{need_id}")
    assert accepted.status_code == 302
    assert "已接受" in text_of(browser.page(accepted.headers["Location"]))
    need = expect(walk.api.get(f"/api/needs/{need_id}", walk.organizer.token), 200)
    shift = expect(walk.api.get(f"/api/shifts/{need['shift_id']}", walk.organizer.token), 200)
    assert [r["volunteer_id"] for r in shift["roster"]] == [near.id] and need["status"] == "filled"


def test_an_organizer_checks_a_volunteer_in_and_out_from_the_roster(walk: Walk, browser: Browser) -> None:
    person = walk.volunteer(name="孙签到")
    expect(walk.sign_up(person), 201)
    browser.log_in(walk.organizer.token)
    shift_page = f"/console/{walk.organization_id}/shifts/{walk.shift_id}"
    roster = text_of(browser.page(shift_page))
    assert "孙签到" in roster and "139****5678" in roster and "已报名" in roster
    assert "2026-11-18 11:00 – 14:00" in roster  # the shift starts 1 h after 10:00 Beijing

    walk.clock.advance(hours=1)
    assert browser.post(f"{shift_page}/check-in", {"volunteer_id": person.id}, form_page=shift_page).status_code == 302
    assert "已签到" in text_of(browser.page(shift_page))
    walk.clock.advance(hours=2)
    assert browser.post(f"{shift_page}/check-out", {"volunteer_id": person.id}, form_page=shift_page).status_code == 302
    roster = text_of(browser.page(shift_page))
    assert "已签退" in roster and "2026-11-18 11:00" in roster and "2026-11-18 13:00" in roster
    records = expect(walk.api.get(f"/api/volunteers/{person.id}/service-records", person.token), 200)
    assert [(r["status"], r["service_minutes"]) for r in records] == [("pending", 120)]
    assert "2 小时" in text_of(browser.page(records_page(walk)))


def test_the_console_lists_only_the_organizations_one_organizes(walk: Walk, browser: Browser) -> None:
    browser.log_in(walk.organizer.token)
    page = text_of(browser.page("/console"))
    assert "三里屯社区志愿服务队" in page
    stranger = Browser(browser.client.application.test_client(), browser.api)
    stranger.log_in(walk.volunteer().token)
    assert "您不是任何组织的组织者" in text_of(stranger.page("/console"))


def test_needs_of_the_past_do_not_show_as_open(walk: Walk, browser: Browser, places: None) -> None:  # noqa: F811
    post_need(walk, starts_in=timedelta(hours=2), hours=1, title="傍晚巡逻")
    browser.log_in(walk.organizer.token)
    assert "待对接需求 时间 需求" in text_of(browser.page(f"/console/{walk.organization_id}"))
    walk.clock.advance(hours=4)
    assert "待对接需求 暂无。" in text_of(browser.page(f"/console/{walk.organization_id}"))  # its shift is still listed, for check-outs
