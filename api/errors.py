"""One table from domain errors to HTTP statuses, and one error shape everywhere.

Shape: {"code": 422, "status": "Unprocessable Entity", "message": "...", "field": "minutes",
"errors": {"json": {"minutes": ["..."]}}} - the same keys flask-smorest uses for schema errors.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from apispec import BasePlugin
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

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
    wait); 400 and 413 from the request body. Responses an operation documents itself are kept.
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
