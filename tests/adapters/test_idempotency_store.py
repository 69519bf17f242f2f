"""The idempotency store: one row per scoped key, the kept body sealed under the client's key."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import create_engine, select

from adapters.idempotency_store import IdempotencyStore, body_key, idempotency_keys


@pytest.fixture
def store() -> IdempotencyStore:
    made = IdempotencyStore(create_engine("sqlite://"))
    made.create_table()
    return made


def test_a_key_is_claimed_once_and_released_for_a_retry(store: IdempotencyStore) -> None:
    assert store.claim("scoped", "digest")
    assert not store.claim("scoped", "digest")
    kept = store.find("scoped")
    assert kept is not None and (kept.request_digest, kept.status) == ("digest", None)  # still running
    store.release("scoped")
    assert store.find("scoped") is None
    assert store.claim("scoped", "digest")


def test_a_kept_body_opens_only_with_the_clients_key(store: IdempotencyStore) -> None:
    key = body_key(b"secret", "client-key-1")
    store.claim("scoped", "digest")
    store.keep("scoped", 201, {"Location": "/x"}, '{"token": "令牌"}'.encode(), key)
    with store.engine.connect() as conn:
        stored = conn.execute(select(idempotency_keys.c.body)).scalar_one()
    assert "令牌".encode() not in stored
    kept = store.find("scoped")
    assert kept is not None and (kept.status, kept.headers) == (201, {"Location": "/x"})
    assert kept.body(key) == '{"token": "令牌"}'.encode()
    with pytest.raises(InvalidTag):
        kept.body(body_key(b"secret", "client-key-2"))


def test_a_claim_left_running_by_a_dead_process_is_taken_over_once(store: IdempotencyStore) -> None:
    from datetime import timedelta

    from timebank.clock import utcnow

    assert store.claim("scoped", "digest")
    kept = store.find("scoped")
    assert kept is not None and kept.claimed_at is not None
    assert not store.take_over("scoped", "digest", utcnow() - timedelta(minutes=1))  # still within its lease
    assert not store.take_over("scoped", "other digest", utcnow() + timedelta(seconds=1))  # another request
    assert store.take_over("scoped", "digest", utcnow() + timedelta(seconds=1))
    assert not store.take_over("scoped", "digest", utcnow() - timedelta(seconds=1))  # the second retry finds it fresh
    store.keep("scoped", 201, {}, b"{}", body_key(b"secret", "k"))
    assert not store.take_over("scoped", "digest", utcnow() + timedelta(seconds=1))  # answered: never taken over
