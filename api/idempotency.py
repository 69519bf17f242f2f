"""`Idempotency-Key` on every POST that creates or moves something.

The first request with a key runs and its response is kept; a retry with the same key and the
same request gets that response again (with `Idempotent-Replayed: true`) and runs nothing; the same
key with another request is refused with 422. Keys are scoped by the caller (the token's subject,
or anonymous), so one client cannot replay another's responses. Concurrent duplicates: the first
to insert its row runs, the others wait for its response.

Kept responses may hold secrets (a registration returns a token) or personal data, so each is
encrypted with a key derived from the client's Idempotency-Key, which is itself only stored as a
hash: the table alone reveals nothing. A response of 5xx, or a crash, releases the key for a retry.
Keys are forgotten after `KEEP_FOR` (the clock job `forget_idempotency_keys`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, Response, g, request
from sqlalchemy import JSON, Column, DateTime, Engine, Integer, LargeBinary, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from api.errors import problem
from timebank.clock import utcnow

HEADER = "Idempotency-Key"
# Visible ASCII, spaces only inside: what survives HTTP header handling unchanged.
KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]{0,198}[\x21-\x7e])?$"
REPLAYED_HEADER = "Idempotent-Replayed"
KEEP_FOR = timedelta(hours=24)
WAIT_FOR_RUNNING_SECONDS = 10.0
EXEMPT_PREFIXES = ("/api/auth/",)  # logins issue fresh secrets each time: never replayed
KEPT_HEADERS = ("Location", "X-Event-Position", "Content-Type")

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


def create_table(engine: Engine) -> None:
    idempotency_metadata.create_all(engine)


def forget_old_keys(engine: Engine, now: Any = None) -> int:
    cutoff = (now or utcnow()) - KEEP_FOR
    with engine.begin() as conn:
        return int(conn.execute(delete(idempotency_keys).where(idempotency_keys.c.created_at < cutoff)).rowcount or 0)


def _caller() -> str:
    actor = g.get("actor")
    return actor.ref if actor is not None else "anonymous"


def _body_key(secret: bytes, client_key: str) -> bytes:
    return hmac.new(secret, b"idempotency-body:" + client_key.encode(), hashlib.sha256).digest()


def _seal(key: bytes, data: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, data, None)


def _open(key: bytes, sealed: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:12], sealed[12:], None)


def _replay(row: Any, body_key: bytes) -> Response:
    response = Response(_open(body_key, bytes(row.body)) if row.body else b"", status=row.status)
    for name, value in (row.headers or {}).items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


def install(app: Flask, engine: Engine, secret: bytes) -> None:
    """Register the before/after hooks on the app; `secret` keys the body encryption."""

    @app.before_request
    def _claim_key() -> Response | None:
        g.idempotency = None
        client_key = request.headers.get(HEADER)
        if request.method != "POST" or client_key is None or request.path.startswith(EXEMPT_PREFIXES):
            return None
        if not re.fullmatch(KEY_PATTERN, client_key):
            return problem(422, "Idempotency-Key must be 1 to 200 visible ASCII characters", HEADER, location="headers")
        scoped = hashlib.sha256(f"{_caller()}\n{client_key}".encode()).hexdigest()
        digest = hashlib.sha256(b"%s %s?%s\n" % (request.method.encode(), request.path.encode(), request.query_string) + request.get_data()).hexdigest()
        body_key = _body_key(secret, client_key)
        try:
            with engine.begin() as conn:
                conn.execute(insert(idempotency_keys).values(scoped_key=scoped, request_digest=digest, created_at=utcnow()))
        except IntegrityError:
            return _existing(scoped, digest, body_key)
        g.idempotency = (scoped, body_key)
        return None

    def _existing(scoped: str, digest: str, body_key: bytes) -> Response:
        deadline = time.monotonic() + WAIT_FOR_RUNNING_SECONDS
        while True:
            with engine.connect() as conn:
                row = conn.execute(select(idempotency_keys).where(idempotency_keys.c.scoped_key == scoped)).first()
            if row is None:  # the first attempt failed and released the key: run this one
                return problem(409, "the first request with this Idempotency-Key failed; send it again", HEADER, location="headers")
            if row.request_digest != digest:
                return problem(422, "this Idempotency-Key was already used with a different request", HEADER, location="headers")
            if row.status is not None:
                return _replay(row, body_key)
            if time.monotonic() > deadline:
                response = problem(409, "a request with this Idempotency-Key is still running; retry shortly", HEADER, location="headers")
                response.headers["Retry-After"] = "1"
                return response
            time.sleep(0.02)

    @app.after_request
    def _keep_response(response: Response) -> Response:
        claimed = g.pop("idempotency", None)
        if claimed is None:
            return response
        scoped, body_key = claimed
        with engine.begin() as conn:
            if response.status_code >= 500:
                conn.execute(delete(idempotency_keys).where(idempotency_keys.c.scoped_key == scoped))
                return response
            headers = {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}
            conn.execute(update(idempotency_keys).where(idempotency_keys.c.scoped_key == scoped).values(
                status=response.status_code, headers=headers, body=_seal(body_key, response.get_data()),
            ))
        return response

    @app.teardown_request
    def _release_on_crash(error: BaseException | None) -> None:
        claimed = g.pop("idempotency", None)
        if claimed is not None:  # after_request did not run: the handler raised
            with engine.begin() as conn:
                conn.execute(delete(idempotency_keys).where(idempotency_keys.c.scoped_key == claimed[0]))

