"""Optional encryption of every event body at rest (the eventsourcing library's AES cipher)."""

from __future__ import annotations

import base64
import os
from dataclasses import replace

import psycopg

from api.app import build_services, create_app
from tests.api.conftest import ApiClient, expect, register
from tests.conftest import DATABASE_URL_VAR, Clock
from timebank.settings import Settings


def _event_bodies(settings: Settings) -> bytes:
    if not settings.uses_postgres:
        return b"".join(p.read_bytes() for p in settings.data_dir.iterdir() if p.name.startswith("events.sqlite"))
    with psycopg.connect(os.environ[DATABASE_URL_VAR]) as conn:
        rows = conn.execute(f'SELECT state FROM "{settings.database_schema}".timebank_events').fetchall()
    return b"".join(bytes(r[0]) for r in rows)


def _registered(settings: Settings, clock: Clock) -> tuple[bytes, str]:
    services = build_services(settings, clock=clock)
    services.projector.start(0.01)
    try:
        api = ApiClient(create_app(settings, services=services).test_client())
        person = register(api, district="海淀区")
        # The service works as before: the views are built from the decrypted events.
        assert expect(api.get(f"/api/volunteers/{person.id}", person.token), 200)["district"] == "海淀区"
        return _event_bodies(settings), person.volunteer_number
    finally:
        services.close()


def test_with_a_cipher_key_no_event_body_is_readable_at_rest(settings: Settings, clock: Clock) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    bodies, number = _registered(replace(settings, event_cipher_key=key), clock)
    assert bodies and number.encode() not in bodies and "海淀区".encode() not in bodies


def test_without_it_the_bodies_are_plain_json(settings: Settings, clock: Clock) -> None:
    """The control: the same search does find the volunteer number when bodies are not encrypted."""
    bodies, number = _registered(settings, clock)
    assert number.encode() in bodies
