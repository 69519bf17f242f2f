"""The OpenAPI document is generated from the code and complete: every route, a summary for every
operation, a description for every schema property; and the interactive docs are served."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_smorest import pagination

import api.audit_schemas
import api.certificate_schemas
import api.idempotency
import api.incentive_schemas
import api.jobs
import api.ledger_schemas
import api.matching_schemas
import api.office_schemas
import api.record_schemas
import api.schemas
import api.sessions
import api.star_schemas
from tests.api.conftest import expect

METHODS = {"get", "post", "put", "patch", "delete"}
SCHEMA_MODULES = (
    api.schemas, api.ledger_schemas, api.office_schemas, api.sessions, api.star_schemas, api.jobs, api.incentive_schemas,
    api.matching_schemas, api.audit_schemas, api.certificate_schemas, api.record_schemas,
)
OWN_SCHEMA_CLASSES = {
    name: value
    for module in SCHEMA_MODULES
    for name, value in vars(module).items()
    if isinstance(value, type) and issubclass(value, api.schemas.Schema) and value.__module__ == module.__name__
}
OWN_SCHEMAS = {name.removesuffix("Schema") for name in OWN_SCHEMA_CLASSES}


@pytest.fixture
def spec(client: FlaskClient) -> dict[str, Any]:
    document: dict[str, Any] = expect(client.get("/openapi.json"), 200)
    return document


def app_of(client: FlaskClient) -> Flask:
    return client.application


def routes(client: FlaskClient, *, blueprints_only: bool) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every API route the app serves."""
    found = set()
    for rule in app_of(client).url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        if blueprints_only and "." not in rule.endpoint:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        found |= {(path, m.lower()) for m in rule.methods or () if m.lower() in METHODS}
    return found


def documented(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, ops in spec["paths"].items() for method in ops if method in METHODS}


def properties(spec: dict[str, Any], names: set[str] | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (schema_name, prop, definition)
        for schema_name, schema in spec["components"]["schemas"].items()
        if names is None or schema_name in names
        for prop, definition in schema.get("properties", {}).items()
    ]


def test_the_document_describes_the_service(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.0.3"
    assert spec["info"]["title"] == "Volunteer time bank"
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_every_route_of_every_blueprint_is_documented(client: FlaskClient, spec: dict[str, Any]) -> None:
    served = routes(client, blueprints_only=True)
    assert len(served) >= 28
    assert served - documented(spec) == set()
    assert documented(spec) - served == set()  # nothing hand-written that the app does not serve


def test_every_api_route_is_documented_including_health(client: FlaskClient, spec: dict[str, Any]) -> None:
    assert routes(client, blueprints_only=False) - documented(spec) == set()


def test_every_operation_has_a_summary(spec: dict[str, Any]) -> None:
    missing = [(path, method) for path, ops in spec["paths"].items() for method, op in ops.items() if method in METHODS and not op.get("summary", "").strip()]
    assert missing == []


def test_every_property_of_the_services_own_schemas_has_a_description(spec: dict[str, Any]) -> None:
    own = OWN_SCHEMAS & set(spec["components"]["schemas"])
    assert {"RegisterVolunteerArgs", "ServiceRecord", "Account", "Transfer", "Reconciliation", "Event", "BatchEntryArgs"} <= own
    missing = [(schema, prop) for schema, prop, definition in properties(spec, own) if not definition.get("description", "").strip()]
    assert missing == []


def test_every_property_of_every_schema_in_the_document_has_a_description(spec: dict[str, Any]) -> None:
    missing = [(schema, prop) for schema, prop, definition in properties(spec) if not definition.get("description", "").strip()]
    assert missing == []


def test_input_schemas_reject_unknown_fields_as_documented(spec: dict[str, Any]) -> None:
    """Every `...Args` body schema in the document is one of ours; unknown fields are refused at runtime."""
    args = [name for name in spec["components"]["schemas"] if name.endswith("Args")]
    assert len(args) >= 10
    for name in args:
        schema_class = OWN_SCHEMA_CLASSES[name]
        assert schema_class().unknown == "raise", name


def test_commands_document_their_error_responses(spec: dict[str, Any]) -> None:
    register = spec["paths"]["/api/volunteers"]["post"]
    assert "201" in register["responses"]
    assert "422" in register["responses"]


def test_every_operation_documents_its_errors_in_the_one_error_shape(spec: dict[str, Any]) -> None:
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "status", "message", "field", "errors"}
    assert set(error["required"]) == {"code", "status", "message"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in METHODS:
                continue
            responses = op["responses"]
            expected = {"401", "403", "404", "422", "503"} | ({"409"} if method != "get" else set())
            expected |= {"400", "413"} if "requestBody" in op else set()
            assert expected <= set(responses), (path, method)
            assert "default" not in responses, (path, method)  # each status is named
            for status in expected:
                name = responses[status]["$ref"].rsplit("/", 1)[-1]
                content = spec["components"]["responses"][name]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}


def test_a_request_body_is_required_exactly_when_it_has_a_required_field(spec: dict[str, Any]) -> None:
    bodies = [(path, method, op["requestBody"]) for path, ops in spec["paths"].items() for method, op in ops.items()
              if method in METHODS and "requestBody" in op]
    assert len(bodies) >= 20
    for path, method, body in bodies:
        if "application/json" not in body["content"]:  # a file upload (CSV import): the file is required
            assert set(body["content"]) == {"text/csv", "multipart/form-data"} and body["required"], (path, method)
            continue
        name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert body["required"] == bool(spec["components"]["schemas"][name].get("required")), (path, method)


def test_only_health_registration_logging_in_certificate_checks_the_audit_anchors_and_the_bulletin_are_public(spec: dict[str, Any]) -> None:
    public = {(path, method) for path, ops in spec["paths"].items() for method, op in ops.items() if method in METHODS and op.get("security") == []}
    logging_in = {("/api/auth/login", "post"), ("/api/auth/code", "post"), ("/api/auth/refresh", "post")}
    # What an outside auditor checks the log against: signed checkpoints, their key, consistency between them.
    audit_anchors = {("/api/audit/public-key", "get"), ("/api/audit/checkpoints", "get"), ("/api/audit/consistency", "get")}
    verification = ("/api/certificates/{number}/verification", "get")  # anyone holding a certificate's number checks it
    bulletin = ("/api/problems/bulletin", "get")  # 通报: counts by area and unit, no personal data
    assert public == {("/api/health", "get"), ("/api/volunteers", "post"), *logging_in, *audit_anchors, verification, bulletin}
    assert spec["security"] == [{"bearer": []}]


def test_every_read_takes_min_position(spec: dict[str, Any]) -> None:
    """A client can pass its last X-Event-Position to any read; unknown query parameters are refused."""
    for path, ops in spec["paths"].items():
        if "get" in ops:
            assert "min_position" in {p["name"] for p in ops["get"].get("parameters", []) if p.get("in") == "query"}, path


def test_every_post_but_the_logins_references_the_idempotency_key_once(spec: dict[str, Any]) -> None:
    """A client sees on each command that it may send an Idempotency-Key; logins issue fresh secrets
    each time and are never replayed, so they do not take one."""
    key = spec["components"]["parameters"]["IdempotencyKey"]
    assert (key["in"], key["name"], key["required"]) == ("header", "Idempotency-Key", False)
    assert key["schema"]["pattern"] == api.idempotency.KEY_PATTERN and key["description"].strip()
    reference = {"$ref": "#/components/parameters/IdempotencyKey"}
    posts = {path: ops["post"].get("parameters", []) for path, ops in spec["paths"].items() if "post" in ops}
    exempt = {path for path in posts if path.startswith(api.idempotency.EXEMPT_PREFIXES)}
    assert {"/api/auth/login", "/api/auth/refresh"} <= exempt and len(posts) - len(exempt) >= 20
    for path, parameters in posts.items():
        # The component, or the operation's own description of the header (POST /api/transfers has one).
        documented = [p for p in parameters if p == reference or p.get("name") == "Idempotency-Key"]
        assert len(documented) == (0 if path in exempt else 1), path
    assert sum(parameters.count(reference) for parameters in posts.values()) >= 20
    assert all(reference not in op.get("parameters", []) for ops in spec["paths"].values()
               for method, op in ops.items() if method in METHODS - {"post"})


def test_the_pagination_header_is_documented_as_json_with_every_field_described(spec: dict[str, Any]) -> None:
    listed = [op["responses"]["200"] for ops in spec["paths"].values() for method, op in ops.items()
              if method == "get" and "X-Pagination" in op["responses"].get("200", {}).get("headers", {})]
    assert len(listed) >= 7  # accounts, statements, events, exchanges, shifts, records of an organization, of a volunteer
    assert all(r["headers"]["X-Pagination"] == {"$ref": "#/components/headers/PAGINATION"} for r in listed)
    header = spec["components"]["headers"]["PAGINATION"]
    assert header["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PaginationMetadata"}
    fields = spec["components"]["schemas"]["PaginationMetadata"]["properties"]
    assert set(fields) == set(pagination.PaginationMetadataSchema().fields)  # the fields flask-smorest sends
    assert all(definition.get("description", "").strip() for definition in fields.values()), fields
    # Described by a schema of our own: flask-smorest's is left as it ships.
    assert all("description" not in f.metadata for f in pagination.PaginationMetadataSchema().fields.values())


def test_the_interactive_docs_are_served(client: FlaskClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "swagger-ui" in response.get_data(as_text=True)
    assert "/openapi.json" in response.get_data(as_text=True)


def test_an_app_built_after_the_first_serves_the_same_document_and_refuses_the_same_parameters(
    client: FlaskClient, tmp_path: Any
) -> None:
    """The document is built once per process and shared; a later app must serve and enforce it as the first did."""
    from dataclasses import replace

    from api.app import TimeBankApi, build_services, create_app

    first = client.get("/openapi.json").get_json()
    assert TimeBankApi.built is not None
    settings = replace(client.application.extensions["timebank"].settings, data_dir=tmp_path / "other")
    services = build_services(settings)
    try:
        later = create_app(settings, services=services).test_client()
        assert later.get("/openapi.json").get_json() == first and len(first["paths"]) > 50
        from timebank.domain.actors import Role

        token = services.timebank.create_token(Role.ADMIN, label="openapi test")
        refused = later.get("/api/vocabulary", query_string={"stauts": "x"}, headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 422 and refused.get_json()["errors"] == {"query": {"stauts": ["Unknown field."]}}
    finally:
        services.close()
