"""Where responses to requests with an `Idempotency-Key` are kept (the HTTP side is api/idempotency.py).

A row per (caller, key), named by a hash of both, never by the key itself. Kept responses may hold
secrets (a registration returns a token) or personal data, so each body is sealed with AES-GCM
under a key derived from the client's Idempotency-Key: the table alone reveals nothing. Rows are
forgotten after `KEEP_FOR` (the clock job `forget_idempotency_keys`).

A claim still running long after it was made belongs to a request whose process died (killed,
crashed, restarted) before it could keep or release the key: `take_over` lets one retry claim it
again, so the key does not answer "still running" until it is forgotten.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import JSON, Column, DateTime, Engine, Integer, LargeBinary, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from timebank.clock import utcnow

KEEP_FOR = timedelta(hours=24)
NONCE_BYTES = 12

idempotency_metadata = MetaData()
idempotency_keys = Table(
    "idempotency_keys",
    idempotency_metadata,
    Column("scoped_key", String(64), primary_key=True),  # sha256(caller, key): never the key itself
    Column("request_digest", String(64), nullable=False),
    Column("status", Integer, nullable=True),  # null while the first request runs
    Column("headers", JSON, nullable=True),
    Column("body", LargeBinary, nullable=True),  # AES-GCM under a key derived from the client's key
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)


def body_key(secret: bytes, client_key: str) -> bytes:
    """The key that seals a kept body: only a client holding the Idempotency-Key can have it opened."""
    return hmac.new(secret, b"idempotency-body:" + client_key.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class KeptResponse:
    request_digest: str
    status: int | None  # None while the first request runs
    headers: dict[str, str]
    sealed_body: bytes | None
    claimed_at: datetime | None = None

    def body(self, key: bytes) -> bytes:
        if not self.sealed_body:
            return b""
        return AESGCM(key).decrypt(self.sealed_body[:NONCE_BYTES], self.sealed_body[NONCE_BYTES:], None)


class IdempotencyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_table(self) -> None:
        idempotency_metadata.create_all(self.engine)

    def forget_old_keys(self, now: datetime | None = None) -> int:
        cutoff = (now or utcnow()) - KEEP_FOR
        with self.engine.begin() as conn:
            return int(conn.execute(delete(idempotency_keys).where(idempotency_keys.c.created_at < cutoff)).rowcount or 0)

    def claim(self, scoped_key: str, request_digest: str) -> bool:
        """Take the key for a first request; False if a request with it came before."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(idempotency_keys).values(scoped_key=scoped_key, request_digest=request_digest, created_at=utcnow()))
        except IntegrityError:
            return False
        return True

    def find(self, scoped_key: str) -> KeptResponse | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(idempotency_keys).where(idempotency_keys.c.scoped_key == scoped_key)).first()
        if row is None:
            return None
        return KeptResponse(
            row.request_digest, row.status, dict(row.headers or {}), bytes(row.body) if row.body else None, row.created_at,
        )

    def take_over(self, scoped_key: str, request_digest: str, claimed_before: datetime) -> bool:
        """Claim again a key whose first request is still running but was claimed before `claimed_before`
        (its process died); True for the one caller that gets it."""
        with self.engine.begin() as conn:
            taken = conn.execute(update(idempotency_keys).where(
                idempotency_keys.c.scoped_key == scoped_key,
                idempotency_keys.c.request_digest == request_digest,
                idempotency_keys.c.status.is_(None),
                idempotency_keys.c.created_at < claimed_before,
            ).values(created_at=utcnow())).rowcount
        return taken == 1

    def keep(self, scoped_key: str, status: int, headers: dict[str, str], body: bytes, key: bytes) -> None:
        """Keep the first request's response, its body sealed under `key`."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + AESGCM(key).encrypt(nonce, body, None)
        with self.engine.begin() as conn:
            conn.execute(update(idempotency_keys).where(idempotency_keys.c.scoped_key == scoped_key).values(
                status=status, headers=headers, body=sealed,
            ))

    def release(self, scoped_key: str) -> None:
        """Forget a key whose first request failed, so that a retry runs."""
        with self.engine.begin() as conn:
            conn.execute(delete(idempotency_keys).where(idempotency_keys.c.scoped_key == scoped_key))
