"""Logging in to the pages, CSRF, and the access policy applied to pages as to the API."""

from __future__ import annotations

import pytest

from api.services import Services
from tests.api.conftest import Walk, event_count, expect, register
from tests.web.conftest import Browser, text_of


def test_a_volunteer_logs_in_with_number_and_password_and_out_again(walk: Walk, browser: Browser) -> None:
    person = walk.volunteer()
    expect(walk.api.post("/api/auth/password", {"password": "beijing2026"}, person.token), 204)

    wrong = browser.post("/login", {"login": person.volunteer_number, "password": "wrong-password"})
    assert wrong.status_code == 401 and "登录失败" in wrong.get_data(as_text=True)
    assert browser.get("/me").status_code == 302  # still not logged in

    response = browser.post("/login", {"login": person.volunteer_number, "password": "beijing2026", "next": "/me/hours"})
    assert response.status_code == 302 and response.headers["Location"] == "/me/hours"
    assert person.volunteer_number in text_of(browser.page("/me"))

    cookie = browser.client.get_cookie("timebank_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert browser.post("/logout", form_page="/me").status_code == 302
    assert browser.get("/me").status_code == 302


def test_a_login_never_redirects_to_another_site(walk: Walk, browser: Browser) -> None:
    response = browser.post("/login", {"token": walk.organizer.token, "next": "//evil.example/steal"})
    assert response.headers["Location"] == "/home"


def test_an_unknown_token_is_refused(browser: Browser) -> None:
    response = browser.post("/login", {"token": "tb_not-a-token"})
    assert response.status_code == 401 and "此访问令牌无效或已撤销" in response.get_data(as_text=True)


def test_a_form_without_the_sessions_csrf_token_is_refused_and_nothing_is_written(
    walk: Walk, browser: Browser, services: Services
) -> None:
    record_id = walk.declared(walk.volunteer())
    browser.log_in(walk.organizer.token)
    before = event_count(services)
    page = f"/console/{walk.organization_id}/records"
    for csrf in ("", "forged-token"):
        refused = browser.post(page, {"action": "confirm", "record_id": [record_id]}, csrf=csrf)
        assert refused.status_code == 400 and "表单已过期或来源不明" in refused.get_data(as_text=True)
    other_session = Browser(browser.client.application.test_client(), browser.api)
    stolen = other_session.post(page, {"action": "confirm", "record_id": [record_id]}, csrf=browser.csrf(page))
    assert stolen.status_code == 400  # a token belongs to its own session
    assert event_count(services) == before and walk.record(record_id)["status"] == "pending"
    assert browser.post("/login", {"token": walk.organizer.token}, csrf="").status_code == 400


def test_pages_that_need_a_login_send_anonymous_visitors_to_the_login_form(walk: Walk, browser: Browser) -> None:
    for path in ("/me", "/console", f"/console/{walk.organization_id}/records", "/stats", "/stats/hours.csv"):
        response = browser.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")


def test_a_volunteer_cannot_open_the_console_of_an_organization_they_do_not_organize(walk: Walk, browser: Browser) -> None:
    rival = register(walk.api, name="周对手")
    expect(walk.api.post("/api/organizations", {"name": "别家服务队", "district": "朝阳区"}, rival.token), 201)
    record_id = walk.declared(walk.volunteer())
    browser.log_in(rival.token)
    for path in (f"/console/{walk.organization_id}", f"/console/{walk.organization_id}/records",
                 f"/console/{walk.organization_id}/shifts/{walk.shift_id}"):
        refused = browser.get(path)
        assert refused.status_code == 403 and "only the organization&#39;s organizers" in refused.get_data(as_text=True)
    refused = browser.post(f"/console/{walk.organization_id}/records", {"action": "confirm", "record_id": [record_id]}, form_page="/console")
    assert refused.status_code == 403
    assert walk.record(record_id)["status"] == "pending"


def test_an_auditor_reads_the_console_but_cannot_confirm(walk: Walk, browser: Browser, services: Services) -> None:
    record_id = walk.declared(walk.volunteer(name="钱审计"))
    browser.log_in(walk.auditor())
    page = f"/console/{walk.organization_id}/records"
    listing = browser.page(page)
    assert "钱审计" in text_of(listing) and 'id="confirm-selected"' not in listing  # no buttons for readers
    before = event_count(services)

    refused = browser.post(page, {"action": "confirm", "record_id": [record_id]}, form_page=page)

    assert refused.status_code == 403 and "处理 1 条：0 条成功，1 条未完成。" in text_of(refused.get_data(as_text=True))
    assert event_count(services) == before and walk.record(record_id)["status"] == "pending"


@pytest.mark.parametrize("path", ["/stats", "/stats/hours.svg", "/stats/flows.csv"])
def test_only_auditors_and_admins_see_the_statistics(walk: Walk, browser: Browser, path: str) -> None:
    browser.log_in(walk.organizer.token)
    assert browser.get(path).status_code == 403
    admin = Browser(browser.client.application.test_client(), browser.api)
    admin.log_in(walk.admin)
    assert admin.get(path).status_code == 200


def test_the_index_answers_browsers_with_a_page_and_api_clients_with_json(browser: Browser) -> None:
    page = browser.get("/")
    assert page.mimetype == "text/html" and "志愿服务时间银行" in page.get_data(as_text=True)
    for accept in ({}, {"Accept": "application/json"}, {"Accept": "*/*"}):
        answer = browser.client.get("/", headers=accept)
        assert answer.mimetype == "application/json" and answer.get_json()["docs"] == "/docs"
