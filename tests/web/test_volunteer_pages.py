"""A volunteer's pages: find a shift and sign up, hours pending and confirmed, balance and statement, certificates."""

from __future__ import annotations

from tests.api.conftest import Walk, expect
from tests.web.conftest import Browser, text_of


def test_a_volunteer_finds_a_shift_signs_up_and_sees_hours_balance_and_statement(walk: Walk, browser: Browser) -> None:
    person = walk.volunteer()
    browser.log_in(person.token)
    found = browser.page("/me/shifts", district="朝阳区", q="助老")
    assert "上午班" in text_of(found) and "2026-11-18 11:00" in text_of(found)
    assert "上午班" not in text_of(browser.page("/me/shifts", district="海淀区"))

    signed = browser.post(f"/me/shifts/{walk.shift_id}/sign-up", form_page="/me/shifts")
    assert signed.status_code == 302
    roster = expect(walk.api.get(f"/api/shifts/{walk.shift_id}", walk.organizer.token), 200)["roster"]
    assert [r["volunteer_id"] for r in roster] == [person.id]
    again = browser.post(f"/me/shifts/{walk.shift_id}/sign-up", form_page="/me/shifts")
    assert again.status_code == 409  # signed up once only, said on an error page

    confirmed, pending = walk.declared(person, minutes=90), walk.declared(person, minutes=45, service_date="2026-11-16")
    expect(walk.confirm(confirmed), 200)
    hours = text_of(browser.page("/me/hours"))
    assert "已确认时长 1 小时 30 分" in hours and "待确认时长 45 分" in hours
    overview = text_of(browser.page("/me"))
    assert "可用余额 1 小时 30 分" in overview and person.volunteer_number in overview
    statement = text_of(browser.page("/me/statement", lang="en"))
    assert "service credit" in statement and "posted" in statement and "1 h 30 min" in statement
    assert pending


def test_a_volunteer_verifies_and_prints_their_certificate_and_nobody_elses(walk: Walk, browser: Browser) -> None:
    person, other = walk.volunteer(name="陈证明"), walk.volunteer()
    record_id = walk.declared(person, minutes=120)
    expect(walk.confirm(record_id), 200)
    body = {"volunteer_id": person.id, "organization_id": walk.organization_id, "record_ids": [record_id]}
    number = expect(walk.api.post("/api/certificates", body, walk.organizer.token), 201)["number"]
    browser.log_in(person.token)

    page = browser.page("/me/certificates", number=number)
    assert "陈证明" in text_of(page) and "2 小时" in text_of(page)
    assert f'href="/me/certificates/{number}.pdf"' in page and f'href="/api/certificates/{number}/verification"' in page
    pdf = browser.get(f"/me/certificates/{number}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    stranger = Browser(browser.client.application.test_client(), browser.api)
    stranger.log_in(other.token)
    assert stranger.get("/me/certificates", number=number).status_code == 403
    assert stranger.get(f"/me/certificates/{number}.pdf").status_code == 403


def test_auditors_have_no_volunteer_pages(walk: Walk, browser: Browser) -> None:
    browser.log_in(walk.auditor())
    assert browser.get("/me").status_code == 403
    assert browser.get("/home").headers["Location"] == "/stats"
