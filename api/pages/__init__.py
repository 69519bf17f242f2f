"""Server-rendered pages for people: volunteers, the organizer console, auditors' statistics.

They call the application and the read models directly, under the same access policy as the API
(timebank/domain/permissions.py, through api.auth's helpers). The login is kept in Flask's signed
cookie session (HttpOnly, SameSite=Lax); every form carries a CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Blueprint, Flask, render_template, request
from werkzeug.exceptions import HTTPException

from api.pages import web
from api.pages.catalog import LANGUAGES
from api.services import Services
from timebank.domain.errors import DomainError

blp = Blueprint("pages", __name__, template_folder="templates", static_folder="static", static_url_path="/pages/static")
STATUS_OF_ERROR = {"NotFound": 404, "Forbidden": 403, "Unauthenticated": 401, "Conflict": 409, "ConcurrencyConflict": 409,
                   "TooManyAttempts": 429, "ServiceUnavailable": 503}


@blp.before_request
def _before() -> None:
    web.remember_language()
    web.load_page_actor()
    web.check_csrf()


@blp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {
        "t": web.t, "lang": web.lang(), "languages": LANGUAGES, "bj": web.beijing, "hm": web.hours_minutes, "day": web.day,
        "me": web.current(), "who": web.who_label(web.current()), "csrf_token": web.csrf_token, "is_reader": web.is_reader,
    }


def _error_page(code: int, message: str) -> tuple[str, int]:
    return render_template("error.html", code=code, message=message), code


@blp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> tuple[str, int]:
    code = next((STATUS_OF_ERROR[c.__name__] for c in type(error).__mro__ if c.__name__ in STATUS_OF_ERROR), 422)
    return _error_page(code, error.message)


@blp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    default = web.t(f"error.{code}") if code in (403, 404) else error.name
    return _error_page(code, str(error.description) if code == 400 else default)


def wants_html() -> bool:
    """Browsers ask for text/html; API clients (and clients that send no Accept) get JSON."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]


def landing() -> str:
    """The landing page at `/` for browsers."""
    web.remember_language()
    web.load_page_actor()
    return render_template("landing.html")


def install(app: Flask, services: Services) -> None:
    """Register the pages on the app; the session cookie is signed with a key derived from the secret."""
    secret = services.settings.resolved_secret_key().encode()
    app.secret_key = hmac.new(secret, b"timebank-pages-session/1", hashlib.sha256).hexdigest()
    app.config.update(SESSION_COOKIE_NAME="timebank_session", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.register_blueprint(blp)


from api.pages import console, stats, visitors, volunteers  # noqa: E402,F401  (the views register on blp)
