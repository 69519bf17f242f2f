"""Builders for the page specifications: a browser-like client (cookie session, CSRF token read from
the page it came from) over the same app, store and walk as the API specifications."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.api.conftest import ApiClient
from tests.api.conftest import api as api  # noqa: F401  (fixtures of the API specifications, reused)
from tests.api.conftest import client as client
from tests.api.conftest import walk as walk

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A Flask test client of its own (its own cookie jar), reading pages as HTML."""

    def __init__(self, test_client: FlaskClient, positions: ApiClient) -> None:
        self.client = test_client
        self.api = positions

    def get(self, path: str, **query: Any) -> TestResponse:
        """GET as a browser, once the views include the last command seen (by the API or a page)."""
        if self.api.position:
            self.client.application.extensions["timebank"].projector.wait_for(self.api.position, 10)
        return self.client.get(path, query_string=query, headers={"Accept": "text/html"})

    def page(self, path: str, status: int = 200, **query: Any) -> str:
        response = self.get(path, **query)
        assert response.status_code == status, f"{response.status_code} != {status}: {response.get_data(as_text=True)[:2000]}"
        return response.get_data(as_text=True)

    def csrf(self, path: str = "/login") -> str:
        found = CSRF.search(self.page(path))
        assert found, "the page has no CSRF token"
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, *, form_page: str = "/login", csrf: str | None = None) -> TestResponse:
        """POST a form as a browser would: with the CSRF token of a page of this session."""
        body = {"csrf_token": self.csrf(form_page) if csrf is None else csrf, **(data or {})}
        response = self.client.post(path, data=body, headers={"Accept": "text/html"})
        position = response.headers.get("X-Event-Position")
        if position is not None:
            self.api.position = max(self.api.position, int(position))
        return response

    def log_in(self, token: str) -> TestResponse:
        response = self.post("/login", {"token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response


def text_of(html: str) -> str:
    """The visible text of a page, tags removed and spaces collapsed (what a reader sees)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def browser(client: FlaskClient, api: ApiClient) -> Browser:  # noqa: F811
    return Browser(client.application.test_client(), api)


@pytest.fixture
def second_browser(client: FlaskClient, api: ApiClient) -> Browser:  # noqa: F811
    return Browser(client.application.test_client(), api)
