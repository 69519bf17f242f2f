"""One table from domain errors to HTTP statuses, and one error shape everywhere.

Shape: {"code": 422, "status": "Unprocessable Entity", "message": "...", "field": "minutes",
"errors": {"json": {"minutes": ["..."]}}} - the same keys flask-smorest uses for schema errors.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import psycopg
import sqlalchemy.exc
from apispec import BasePlugin
from eventsourcing.persistence import ConnectionUnavailableError, PersistenceError
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError

from projections.runner import ProjectionLagging
from timebank.domain.errors import (
    ConcurrencyConflict,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolation,
    ServiceUnavailable,
    TooManyAttempts,
    Unauthenticated,
)

log = logging.getLogger(__name__)

STATUS_OF: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    ConcurrencyConflict: 409,
    RuleViolation: 422,
    InvalidInput: 422,
    Forbidden: 403,
    ServiceUnavailable: 503,
    Unauthenticated: 401,
    TooManyAttempts: 429,
}


# The errors operations may answer with, documented once for all of them (ErrorResponses below).
READ_ERRORS = (401, 403, 404, 422, 429, 503)  # 429: rate limits (api/app.py) and login lockout
COMMAND_ERRORS = (*READ_ERRORS, 409)
BODY_ERRORS = (400, 413)  # a body that is not JSON; one over MAX_CONTENT_LENGTH


class ErrorResponses(BasePlugin):
    """apispec plugin: documents the common error statuses of every operation, in the Error shape.

    401 comes from a missing or bad token (even a public operation refuses a bad one); 403, 404, 409,
    422 and 503 from STATUS_OF and ProjectionLagging (422 also from arguments, 503 also from a read's
    wait and from a store that is unreachable, read-only or full); 400 and 413 from the request body. Responses an operation documents itself are kept.
    """

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any) -> None:
        for method, operation in (operations or {}).items():
            codes = READ_ERRORS if method == "get" else COMMAND_ERRORS
            if "requestBody" in operation:
                codes = (*codes, *BODY_ERRORS)
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                # flask-smorest registers a component per status (e.g. UNAUTHORIZED) with the Error schema.
                responses.setdefault(str(code), HTTPStatus(code).name)


def problem(code: int, message: str, field: str | None = None, location: str = "json", **extra: Any) -> Response:
    body: dict[str, Any] = {"code": code, "status": HTTPStatus(code).phrase, "message": message}
    if field:
        body["field"] = field
        body["errors"] = {location: {field: [message]}}
    body.update(extra)
    response = jsonify(body)
    response.status_code = code
    return response


@dataclass(frozen=True)
class Outage:
    """An infrastructure failure: the store cannot serve now, through no fault of the request."""

    reason: str
    message: str
    retry_after: int  # seconds, for the Retry-After header


UNREACHABLE = Outage("store_unavailable", "the database is unavailable (restarting or unreachable); retry shortly", 5)
READ_ONLY = Outage("store_read_only", "the database is read-only for now and cannot take changes; retry later", 30)
FULL = Outage("store_full", "the database's disk is full and cannot take changes; retry later", 30)

# SQLite primary result codes (the low byte of `sqlite_errorcode`) that are the store's trouble, not the request's.
_SQLITE_OUTAGES = {13: FULL, 8: READ_ONLY, 5: UNREACHABLE, 6: UNREACHABLE, 7: UNREACHABLE, 10: UNREACHABLE, 14: UNREACHABLE, 15: UNREACHABLE}
# PostgreSQL SQLSTATEs, by class: 08 connection, 53 insufficient resources, 57 operator intervention
# (admin shutdown, cannot connect now), 58 system error (I/O); 25006 is a read-only transaction.
_PG_OUTAGES = {"25006": READ_ONLY, "53100": FULL}
_PG_OUTAGE_CLASSES = ("08", "53", "57", "58")


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error, what it wraps (SQLAlchemy's `orig`) and its causes, each once."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        pending += [orig if isinstance(orig, BaseException) else None, current.__cause__, current.__context__]


def _classify(error: BaseException) -> Outage | None:
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None:
            return _SQLITE_OUTAGES.get(code & 0xFF)
        text = str(error)
        return FULL if "is full" in text else READ_ONLY if "readonly database" in text else None
    if isinstance(error, psycopg.Error):
        state = error.sqlstate
        if state is None:  # no answer from a server: refused, lost, or no pooled connection in time
            return UNREACHABLE if isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError)) else None
        return _PG_OUTAGES.get(state) or (UNREACHABLE if state.startswith(_PG_OUTAGE_CLASSES) else None)
    if isinstance(error, OSError) and not isinstance(error, ConnectionError):
        return {errno.ENOSPC: FULL, errno.EDQUOT: FULL, errno.EROFS: READ_ONLY, errno.EIO: UNREACHABLE}.get(error.errno or 0)
    if isinstance(error, (ConnectionUnavailableError, sqlalchemy.exc.TimeoutError)):
        return UNREACHABLE  # no connection free in time (eventsourcing's pool, SQLAlchemy's)
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
        return UNREACHABLE
    return None


def infrastructure_failure(error: BaseException) -> Outage | None:
    """The outage behind an error, or None when it is not the store's trouble (a bug, a conflict).

    Drivers say what happened (SQLite's result code, PostgreSQL's SQLSTATE); eventsourcing and
    SQLAlchemy wrap them, so the whole chain of causes is read, the driver's own error first.
    """
    chain = list(_causes(error))
    drivers = [e for e in chain if isinstance(e, (sqlite3.Error, psycopg.Error, OSError))]
    # When a driver's error is there, it decides: e.g. a unique violation is never an outage.
    return next((o for o in map(_classify, drivers or chain) if o is not None), None)


def outage_response(outage: Outage) -> Response:
    response = problem(503, outage.message, reason=outage.reason, retry_after=outage.retry_after)
    response.headers["Retry-After"] = str(outage.retry_after)
    return response


def _flatten(errors: Any, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error dicts as (dotted field, message) pairs."""
    if isinstance(errors, dict):
        pairs: list[tuple[str, str]] = []
        for key, value in errors.items():
            pairs += _flatten(value, f"{prefix}{key}." if key != "_schema" else prefix)
        return pairs
    if isinstance(errors, list) and all(isinstance(m, str) for m in errors):
        return [(prefix.rstrip(".") or "_schema", "; ".join(errors))]
    return [(prefix.rstrip("."), str(errors))]


def _sendable(value: Any) -> Any:
    """Errors name the client's own fields; a lone surrogate in a name ("\\ud800" in JSON) cannot go out as UTF-8."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        # Keys as text: a list's item errors are keyed by index, and a mix of int and str keys
        # (item errors beside the list's own, "_schema") cannot be sorted by the JSON encoder.
        return {_sendable(k) if isinstance(k, str) else str(k): _sendable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sendable(v) for v in value]
    return value


def _location_of(field: str | None) -> str:
    """Where the named field came from: the URL path, the query string, or the JSON body."""
    if field and request:
        if field in (request.view_args or {}):
            return "path"
        if field in request.args:
            return "query"
    return "json"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        code = next((STATUS_OF[c] for c in type(error).__mro__ if c in STATUS_OF), 422)
        extra = {k: v for k, v in error.details.items() if isinstance(v, (int, str, float, bool))}
        response = problem(code, error.message, error.field, location=_location_of(error.field), **extra)
        if "retry_after" in error.details:
            response.headers["Retry-After"] = str(error.details["retry_after"])
        if code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="timebank"'
        return response

    @app.errorhandler(ProjectionLagging)
    def _lagging(error: ProjectionLagging) -> Response:
        response = problem(503, f"{error}; retry shortly", "min_position", location="query", reached_position=error.reached)
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(PersistenceError)  # eventsourcing's wrapping of the drivers' errors
    @app.errorhandler(sqlalchemy.exc.SQLAlchemyError)
    @app.errorhandler(sqlite3.Error)
    @app.errorhandler(psycopg.Error)
    @app.errorhandler(OSError)
    def _store_error(error: Exception) -> Response:
        outage = infrastructure_failure(error)
        if outage is None:
            raise error  # a bug or an integrity error, not an outage: Flask logs it and answers 500
        log.warning("%s %s: %s (%s: %s)", request.method, request.path, outage.reason, type(error).__name__, error)
        return outage_response(outage)

    @app.errorhandler(InternalServerError)
    def _internal_error(error: InternalServerError) -> Response:
        # Errors outside the view (an after-request hook, e.g. keeping an idempotent response) land here.
        original = error.original_exception
        outage = infrastructure_failure(original) if original is not None else None
        return outage_response(outage) if outage else _http_error(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        code = error.code or 500
        data = getattr(error, "data", None) or {}
        messages = _sendable(data.get("messages")) if isinstance(data, dict) else None
        if messages:
            # Schema errors from flask-smorest/webargs: name every field in the message.
            pairs = [(f, m) for location, errs in messages.items() for f, m in _flatten(errs)]
            text = "; ".join(f"{f}: {m}" for f, m in pairs)
            response = jsonify({
                "code": code, "status": HTTPStatus(code).phrase, "message": f"invalid input - {text}",
                "field": pairs[0][0] if pairs else None, "errors": messages,
            })
            response.status_code = code
            return response
        response = problem(code, error.description or HTTPStatus(code).phrase)
        for key, value in (error.get_headers() or []):
            if key.lower() not in ("content-type", "content-length"):
                response.headers[key] = value
        return response
