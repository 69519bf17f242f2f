"""Errors say where the named field came from: the path, the query string or the body."""

from __future__ import annotations

from uuid import uuid4

from flask.testing import FlaskClient

from api.services import Services
from timebank.domain.actors import Role


def test_an_unknown_id_in_the_path_is_reported_under_path(client: FlaskClient, services: Services) -> None:
    token = services.timebank.create_token(Role.AUDITOR)
    response = client.get(f"/api/service-records/{uuid4()}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert response.json["field"] == "record_id"
    assert list(response.json["errors"]) == ["path"]


def test_an_unknown_id_in_the_body_is_reported_under_json(client: FlaskClient, services: Services) -> None:
    token = services.timebank.create_token(Role.ADMIN)
    response = client.post("/api/projects", json={"organization_id": str(uuid4()), "name": "x", "person_in_charge": "y"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert response.json["errors"] == {"json": {"organization_id": [response.json["message"]]}}
