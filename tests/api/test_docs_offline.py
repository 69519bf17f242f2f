"""The interactive docs work without internet: Swagger UI's assets come from the service itself."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_the_docs_page_loads_its_scripts_from_the_service(client: FlaskClient) -> None:
    page = client.get("/docs").get_data(as_text=True)
    assert "/docs-assets/swagger-ui-bundle.js" in page
    assert "cdn." not in page
    script = client.get("/docs-assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.data) > 100_000
    assert client.get("/docs-assets/swagger-ui.css").status_code == 200


def test_the_assets_route_serves_nothing_outside_the_bundle(client: FlaskClient) -> None:
    assert client.get("/docs-assets/../../setup.cfg").status_code == 404
