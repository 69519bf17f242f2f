"""Volunteers: real-name registration (one person, one account), tokens, and who may read a profile."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

import pytest

from api.services import Services
from tests.api.conftest import (
    ApiClient,
    Walk,
    event_count,
    expect,
    register,
    registration,
    resident_id_number,
    with_wrong_check_digit,
)
from tests.conftest import Clock
from timebank.domain.actors import Role


def an_id_number_ending_in_x(birth_date: date) -> str:
    for sequence in range(1000):
        number = resident_id_number(birth_date, sequence)
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives the check digit X")


def test_registration_returns_a_volunteer_number_and_an_access_token_that_works(api: ApiClient) -> None:
    body = expect(api.post("/api/volunteers", registration(name="李静")), 201)

    assert re.fullmatch(r"BJ\d{10}", body["volunteer_number"])
    assert body["access_token"].startswith("tb_vol_")
    profile = expect(api.get(f"/api/volunteers/{body['id']}", body["access_token"]), 200)
    assert profile["id"] == body["id"]
    assert profile["volunteer_number"] == body["volunteer_number"]
    assert profile["name"] == "李静"
    assert profile["district"] == "朝阳区"
    assert profile["skills"] == ["first_aid"]
    assert profile["registered_at"] == "2026-11-18T02:00:00+00:00"  # the application's clock, not the wall clock


def test_two_registrations_get_different_numbers(api: ApiClient) -> None:
    first, second = register(api), register(api)
    assert first.id != second.id
    assert first.volunteer_number != second.volunteer_number
    assert first.token != second.token


def test_a_profile_shows_personal_data_only_masked(api: ApiClient) -> None:
    body = registration(phone="13987654321")
    created = expect(api.post("/api/volunteers", body), 201)

    response = api.get(f"/api/volunteers/{created['id']}", created["access_token"])
    profile = expect(response, 200)

    text = response.get_data(as_text=True)
    assert body["id_number"] not in text
    assert "13987654321" not in text
    assert profile["id_number_masked"] == body["id_number"][:3] + "*" * 13 + body["id_number"][-2:]
    assert profile["phone_masked"] == "139****4321"


def test_a_sixteen_year_old_registers_with_guardian_consent(api: ApiClient) -> None:
    body = expect(api.post("/api/volunteers", registration(birth_date="2010-03-01", guardian_consent=True)), 201)
    profile = expect(api.get(f"/api/volunteers/{body['id']}", body["access_token"]), 200)
    assert profile["guardian_consent"] is True


def test_a_fourteen_year_old_is_old_enough(api: ApiClient) -> None:
    expect(api.post("/api/volunteers", registration(birth_date="2012-11-18", guardian_consent=True)), 201)


REFUSED: list[Any] = [
    pytest.param(lambda b: b.update(id_number=with_wrong_check_digit(b["id_number"])), 422, "id_number", id="bad-check-digit"),
    pytest.param(lambda b: b.update(id_number=b["id_number"][:17]), 422, "id_number", id="17-digits"),
    pytest.param(lambda b: b.update(birth_date="1990-05-18"), 422, "birth_date", id="birth-date-not-the-id-numbers"),
    pytest.param(lambda b: b.update(nickname="小明"), 422, "nickname", id="unknown-field"),
    pytest.param(lambda b: b.update(name=12345), 422, "name", id="name-not-a-string"),
    pytest.param(lambda b: b.update(skills="first_aid"), 422, "skills", id="skills-not-a-list"),
    pytest.param(lambda b: b.update(birth_date="17/05/1990"), 422, "birth_date", id="birth-date-not-a-date"),
    pytest.param(lambda b: b.pop("name"), 422, "name", id="name-missing"),
    pytest.param(lambda b: b.update(phone="12345"), 422, "phone", id="phone-invalid"),
    pytest.param(lambda b: b.update(district="浦东新区"), 422, "district", id="district-outside-beijing"),
    pytest.param(lambda b: b.update(sex="x"), 422, "sex", id="sex-unknown"),
    pytest.param(lambda b: b.update(service_categories=["knitting"]), 422, "service_categories.0", id="category-unknown"),
]


@pytest.mark.parametrize(("spoil", "status", "field"), REFUSED)
def test_invalid_registrations_are_refused_naming_the_field_and_write_nothing(
    api: ApiClient, services: Services, spoil: Any, status: int, field: str
) -> None:
    register(api)
    before = event_count(services)
    body = registration()
    spoil(body)

    response = api.post("/api/volunteers", body)

    problem = expect(response, status)
    assert problem["code"] == status
    assert problem["field"] == field
    assert field.split(".")[0] in problem["message"]
    assert "X-Event-Position" not in response.headers
    assert event_count(services) == before


def test_under_fourteen_is_refused_and_nothing_is_written(api: ApiClient, services: Services) -> None:
    register(api)
    before = event_count(services)
    problem = expect(api.post("/api/volunteers", registration(birth_date="2015-03-01", guardian_consent=True)), 422)
    assert problem["field"] == "birth_date"
    assert "14" in problem["message"]
    assert event_count(services) == before


def test_sixteen_without_guardian_consent_is_refused_naming_guardian_consent(api: ApiClient, services: Services) -> None:
    register(api)
    before = event_count(services)
    problem = expect(api.post("/api/volunteers", registration(birth_date="2010-03-01")), 422)
    assert problem["field"] == "guardian_consent"
    assert problem["errors"] == {"json": {"guardian_consent": [problem["message"]]}}
    assert event_count(services) == before


def test_one_person_one_account_a_second_registration_conflicts_on_id_number(api: ApiClient, services: Services) -> None:
    body = registration()
    expect(api.post("/api/volunteers", body), 201)
    before = event_count(services)

    again = {**body, "name": "张晓明二号", "phone": "13812345678"}
    problem = expect(api.post("/api/volunteers", again), 409)

    assert problem["field"] == "id_number"
    assert problem["status"] == "Conflict"
    assert event_count(services) == before


def test_the_same_id_number_with_a_lowercase_x_is_the_same_person(api: ApiClient) -> None:
    number = an_id_number_ending_in_x(date(1990, 5, 17))
    expect(api.post("/api/volunteers", registration(id_number=number)), 201)
    problem = expect(api.post("/api/volunteers", registration(id_number=number.lower())), 409)
    assert problem["field"] == "id_number"


# Tokens and who reads a profile ----------------------------------------------------------
def test_reading_without_a_token_is_401_with_a_bearer_challenge(api: ApiClient) -> None:
    person = register(api)
    response = api.get(f"/api/volunteers/{person.id}")
    problem = expect(response, 401)
    assert problem["code"] == 401
    assert "Bearer" in problem["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_401(api: ApiClient) -> None:
    person = register(api)
    problem = expect(api.get(f"/api/volunteers/{person.id}", "tb_vol_not-a-real-token"), 401)
    assert "unknown or revoked" in problem["message"]


def test_a_malformed_authorization_header_is_401(api: ApiClient) -> None:
    person = register(api)
    response = api.client.get(f"/api/volunteers/{person.id}", headers={"Authorization": f"Basic {person.token}"})
    expect(response, 401)


def test_a_command_without_a_token_is_401_and_writes_nothing(api: ApiClient, services: Services) -> None:
    register(api)
    before = event_count(services)
    expect(api.post("/api/organizations", {"name": "无名队", "district": "朝阳区"}), 401)
    assert event_count(services) == before


def test_a_revoked_token_no_longer_authenticates(api: ApiClient, services: Services) -> None:
    person = register(api)
    admin = services.timebank.authenticate(services.timebank.create_token(Role.ADMIN))
    assert admin is not None
    services.timebank.revoke_token(person.token, admin)
    expect(api.get(f"/api/volunteers/{person.id}", person.token), 401)


def test_another_volunteers_profile_is_not_found_not_forbidden(api: ApiClient) -> None:
    owner, stranger = register(api), register(api)
    problem = expect(api.get(f"/api/volunteers/{owner.id}", stranger.token), 404)
    assert problem["field"] == "volunteer_id"


def test_auditors_and_admins_read_any_profile(walk: Walk) -> None:
    person = walk.volunteer(name="赵敏")
    for token in (walk.auditor(), walk.admin):
        assert expect(walk.api.get(f"/api/volunteers/{person.id}", token), 200)["name"] == "赵敏"


def test_an_unknown_volunteer_is_404_for_a_reader(walk: Walk) -> None:
    problem = expect(walk.api.get("/api/volunteers/00000000-0000-4000-8000-000000000000", walk.admin), 404)
    assert problem["field"] == "volunteer_id"


def test_a_profile_counts_confirmed_service_and_lists_organizations_organized(walk: Walk) -> None:
    person = walk.volunteer()
    expect(walk.confirm(walk.served(person, minutes=45)), 200)

    profile = expect(walk.api.get(f"/api/volunteers/{person.id}", person.token), 200)
    assert profile["confirmed_service_minutes"] == 45
    assert profile["confirmed_records"] == 1
    organizer = expect(walk.api.get(f"/api/volunteers/{walk.organizer.id}", walk.organizer.token), 200)
    assert organizer["organizations"] == [walk.organization_id]


def test_ages_are_counted_on_the_beijing_date(api: ApiClient, clock: Clock) -> None:
    clock.set(datetime(2026, 11, 17, 16, 30, tzinfo=timezone.utc))  # already 18 November in Beijing
    expect(api.post("/api/volunteers", registration(birth_date="2012-11-18", guardian_consent=True)), 201)
    clock.set(datetime(2026, 11, 17, 15, 30, tzinfo=timezone.utc))  # still 17 November in Beijing
    problem = expect(api.post("/api/volunteers", registration(birth_date="2012-11-18", guardian_consent=True)), 422)
    assert problem["field"] == "birth_date"


def test_a_passport_holder_registers_with_the_passport_number(api: ApiClient) -> None:
    body = registration(id_type="passport", id_number="E12345678")
    created = expect(api.post("/api/volunteers", body), 201)
    profile = expect(api.get(f"/api/volunteers/{created['id']}", created["access_token"]), 200)
    assert (profile["id_type"], profile["id_number_masked"]) == ("passport", "E12****78")
    assert expect(api.post("/api/volunteers", body), 409)["field"] == "id_number"
    expect(api.post("/api/volunteers", registration(id_type="passport", id_number="E87654321")), 201)
