"""One error shape everywhere: {"code", "status", "message"} and, when a field is at fault, "field"
and "errors" keyed by location, as flask-smorest reports schema errors."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from werkzeug.test import TestResponse

from tests.api.conftest import ApiClient, Walk, expect, register, registration
from timebank.domain.actors import Role


def assert_problem(response: TestResponse, code: int) -> dict[str, object]:
    problem: dict[str, object] = expect(response, code)
    assert response.mimetype == "application/json"
    assert problem["code"] == code
    assert problem["status"] == HTTPStatus(code).phrase
    assert isinstance(problem["message"], str) and problem["message"]
    return problem


def test_an_unknown_route_is_a_json_404(api: ApiClient) -> None:
    assert_problem(api.client.get("/api/no-such-thing"), 404)


def test_a_wrong_method_is_a_json_405_naming_the_allowed_ones(api: ApiClient) -> None:
    response = api.client.put("/api/volunteers", json={})
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_a_malformed_json_body_is_400(api: ApiClient) -> None:
    response = api.client.post("/api/volunteers", data="{not json", content_type="application/json")
    assert_problem(response, 400)


def test_a_body_that_is_not_an_object_is_422(api: ApiClient) -> None:
    problem = assert_problem(api.client.post("/api/volunteers", json=["张三"]), 422)
    assert problem["field"] == "_schema"


def test_a_body_over_one_megabyte_is_413(api: ApiClient) -> None:
    response = api.client.post("/api/volunteers", data=b"{" + b" " * (1024 * 1024) + b"}", content_type="application/json")
    assert_problem(response, 413)


def test_a_path_that_is_not_a_uuid_is_404(api: ApiClient) -> None:
    person = register(api)
    assert_problem(api.get("/api/volunteers/not-a-uuid", person.token), 404)


def test_schema_errors_name_every_bad_field(api: ApiClient) -> None:
    problem = assert_problem(api.post("/api/volunteers", {"name": "", "sex": "x"}), 422)
    errors = problem["errors"]["json"]  # type: ignore[index]
    assert {"name", "sex", "birth_date", "id_number", "phone", "district"} <= set(errors)
    for field in ("name", "sex", "district"):
        assert field in problem["message"]  # type: ignore[operator]


@pytest.mark.parametrize(("path", "code"), [("confirm", 403), ("revoke", 409)])
def test_domain_errors_share_the_shape(walk: Walk, path: str, code: int) -> None:
    record_id = walk.declared(walk.volunteer())
    token = walk.volunteer().token if code == 403 else walk.organizer.token
    problem = assert_problem(walk.api.post(f"/api/service-records/{record_id}/{path}", {"reason": "x"}, token), code)
    assert set(problem) <= {"code", "status", "message", "field", "errors"}


def test_without_a_token_an_operation_answers_401_before_reading_its_arguments(api: ApiClient) -> None:
    response = api.client.post("/api/organizations", json={"name": "", "unknown": 1})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(api.client.get("/api/accounts/system", query_string={"min_position": 10**9}), 401)


def test_public_operations_still_refuse_a_bad_token(api: ApiClient) -> None:
    expect(api.client.get("/api/health"), 200)
    assert_problem(api.client.get("/api/health", headers={"Authorization": "Bearer nonsense"}), 401)


def test_an_unknown_query_parameter_is_refused_like_an_unknown_body_field(api: ApiClient) -> None:
    person = register(api)
    response = api.get(f"/api/volunteers/{person.id}/service-records", person.token, stauts="confirmed")
    problem = assert_problem(response, 422)
    assert problem["field"] == "stauts"
    assert problem["errors"] == {"query": {"stauts": ["Unknown field."]}}


@pytest.mark.parametrize(("path", "query", "field"), [
    ("/api/audit/events", {"after": "9223372036854775808"}, "after"),
    ("/api/audit/events", {"after": "-99999999999999999999999"}, "after"),
    ("/api/audit/proofs/1", {"tree_size": "9223372036854775808"}, "tree_size"),
    ("/api/accounts", {"min_position": "9223372036854775808"}, "min_position"),
])
def test_numbers_beyond_the_stores_integers_are_422_naming_them(api: ApiClient, path: str, query: dict[str, str], field: str) -> None:
    """SQLite and PostgreSQL hold 64-bit integers; the fuzzer found these answering 500."""
    admin = api.client.application.extensions["timebank"].timebank.create_token(Role.ADMIN, label="errors test")
    problem = assert_problem(api.get(path, admin, **query), 422)
    assert field in problem["errors"]["query"]  # type: ignore[index,operator]


@pytest.mark.parametrize("path", ["/api/incentives", "/api/audit/checkpoints", "/api/accounts"])
def test_a_page_whose_offset_would_overflow_the_stores_is_empty(api: ApiClient, path: str) -> None:
    """page x page_size past 2^63 would overflow as an OFFSET: a page past the last is empty, however far."""
    admin = api.client.application.extensions["timebank"].timebank.create_token(Role.ADMIN, label="errors test")
    for page in ("922337203685477582", str(10**30)):
        response = api.get(path, admin, page=page)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json() == [] or response.get_json().get("items") == []


def test_a_long_run_of_digits_in_a_text_filter_is_text(api: ApiClient) -> None:
    """Only integer parameters have the stores' maximum: a text filter made of digits is just text."""
    admin = api.client.application.extensions["timebank"].timebank.create_token(Role.ADMIN, label="errors test")
    response = api.get("/api/audit/events", admin, type="0" * 40)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_path_number_beyond_the_stores_integers_is_404(api: ApiClient) -> None:
    admin = api.client.application.extensions["timebank"].timebank.create_token(Role.ADMIN, label="errors test")
    assert_problem(api.get("/api/audit/proofs/9223372036854775808", admin), 404)
    assert api.get("/api/audit/proofs/1", admin).status_code != 500


def test_a_query_filter_with_a_nul_is_422_naming_it(api: ApiClient) -> None:
    """PostgreSQL's text holds no NUL: the filter must be refused before it reaches the database."""
    person = register(api)
    response = api.get("/api/needs", person.token, district="东城区", station="\x00")
    problem = assert_problem(response, 422)
    assert problem["errors"] == {"query": {"station": ["must not contain NUL characters"]}}


@pytest.mark.parametrize("name", ["张\x00晓明", "张\ud800晓明"])
def test_text_the_stores_cannot_keep_is_refused(api: ApiClient, name: str) -> None:
    """A NUL cannot go into PostgreSQL's text (the projector would stall on it), a lone surrogate not into UTF-8."""
    body = json.dumps(registration(name=name))  # ASCII escapes: "\\ud800" is how a client sends one
    problem = assert_problem(api.client.post("/api/volunteers", data=body, content_type="application/json"), 422)
    assert problem["field"] == "name"


def test_an_unknown_field_named_with_a_lone_surrogate_is_422_not_500(api: ApiClient) -> None:
    response = api.client.post("/api/volunteers", data='{"\\ud800": 1}', content_type="application/json")
    problem = assert_problem(response, 422)
    assert "?" in problem["errors"]["json"]  # type: ignore[index,operator]
