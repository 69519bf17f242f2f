"""The API tests' fixtures (a client with the projector running, a walk of organization, project and shift)."""

from tests.api.conftest import api, client, walk  # noqa: F401
