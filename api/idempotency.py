"""`Idempotency-Key` on every POST that creates or moves something: the request hooks.

The first request with a key runs and its response is kept; a retry with the same key and the
same request gets that response again (with `Idempotent-Replayed: true`) and runs nothing; the same
key with another request is refused with 422. Keys are scoped by the caller (the token's subject,
or anonymous), so one client cannot replay another's responses. Concurrent duplicates: the first
to insert its row runs, the others wait for its response. A response of 5xx, or an exception,
releases the key for a retry; a claim still running after `lease_seconds` (its process was killed
before it could answer) is taken over by the next retry, which runs the request again: the
commands are idempotent themselves (a transfer's id comes from the key, a registration's identity
claim, a sign-up's roster), so a command that did commit before the crash is not done twice. Where and how responses are kept (sealed, forgotten after a day):
adapters/idempotency_store.py.
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import timedelta, timezone

from flask import Flask, Response, g, request
from sqlalchemy import Engine

from adapters.idempotency_store import IdempotencyStore, KeptResponse, body_key
from api.errors import problem
from timebank.clock import utcnow

HEADER = "Idempotency-Key"
# Visible ASCII, spaces only inside: what survives HTTP header handling unchanged.
KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]{0,198}[\x21-\x7e])?$"
REPLAYED_HEADER = "Idempotent-Replayed"
WAIT_FOR_RUNNING_SECONDS = 10.0
LEASE_SECONDS = 30.0  # a claim running longer is abandoned: no request of ours lives that long
EXEMPT_PREFIXES = ("/api/auth/",)  # logins issue fresh secrets each time: never replayed
KEPT_HEADERS = ("Location", "X-Event-Position", "Content-Type")


def _caller() -> str:
    actor = g.get("actor")
    return actor.ref if actor is not None else "anonymous"


def _replay(kept: KeptResponse, key: bytes) -> Response:
    response = Response(kept.body(key), status=kept.status)
    for name, value in kept.headers.items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _abandoned(kept: KeptResponse, lease: timedelta) -> bool:
    claimed = kept.claimed_at
    if claimed is None:
        return False
    if claimed.tzinfo is None:  # SQLite keeps the UTC time without its offset
        claimed = claimed.replace(tzinfo=timezone.utc)
    return utcnow() - claimed > lease


def install(app: Flask, engine: Engine, secret: bytes, lease_seconds: float = LEASE_SECONDS) -> None:
    """Register the before/after hooks on the app; `secret` keys the body encryption; a claim running
    longer than `lease_seconds` is taken to be abandoned by a dead process."""
    lease = timedelta(seconds=lease_seconds)
    store = IdempotencyStore(engine)

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
        key = body_key(secret, client_key)
        if not store.claim(scoped, digest):
            existing = _existing(scoped, digest, key)
            if existing is not None:
                return existing
        g.idempotency = (scoped, key)
        return None

    def _existing(scoped: str, digest: str, key: bytes) -> Response | None:
        """The answer for a key claimed before: the kept response, a refusal, or None when this request took the key over."""
        deadline = time.monotonic() + WAIT_FOR_RUNNING_SECONDS
        while True:
            kept = store.find(scoped)
            if kept is None:  # the first attempt failed and released the key: run this one
                return problem(409, "the first request with this Idempotency-Key failed; send it again", HEADER, location="headers")
            if kept.request_digest != digest:
                return problem(422, "this Idempotency-Key was already used with a different request", HEADER, location="headers")
            if kept.status is not None:
                return _replay(kept, key)
            if _abandoned(kept, lease) and store.take_over(scoped, digest, utcnow() - lease):
                return None
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
        scoped, key = claimed
        if response.status_code >= 500:
            store.release(scoped)
        else:
            headers = {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}
            store.keep(scoped, response.status_code, headers, response.get_data(), key)
        return response

    @app.teardown_request
    def _release_on_crash(error: BaseException | None) -> None:
        claimed = g.pop("idempotency", None)
        if claimed is not None:  # after_request did not run: the handler raised
            store.release(claimed[0])
