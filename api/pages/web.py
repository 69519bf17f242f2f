"""What every page shares: the language, the logged-in actor kept in a signed cookie session, CSRF
tokens on every form, read-your-writes positions, and Beijing-time and hours-and-minutes formats."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import wraps
from typing import Any, TypeVar

from flask import abort, flash, g, redirect, request, session, url_for
from sqlalchemy import Connection
from werkzeug.wrappers import Response

from api.pages.catalog import DEFAULT_LANGUAGE, LANGUAGES, label
from api.services import services
from timebank.application import TimeBank
from timebank.clock import BEIJING
from timebank.domain.actors import Actor, Role
from timebank.domain.errors import DomainError

View = TypeVar("View", bound=Callable[..., Any])
CSRF_FIELD = "csrf_token"


# Language -------------------------------------------------------------------------------------
def remember_language() -> None:
    """?lang=zh|en switches the language and the session remembers it."""
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session["lang"] = wanted


def lang() -> str:
    found = session.get("lang", DEFAULT_LANGUAGE)
    return found if found in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, **fields: object) -> str:
    return label(key, lang(), **fields)


# Formats --------------------------------------------------------------------------------------
def beijing(moment: datetime | None) -> str:
    """An instant as a person in Beijing reads it: 2026-12-02 09:30."""
    if moment is None:
        return ""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def day(value: date | None) -> str:
    return value.isoformat() if value else ""


def hours_minutes(minutes: int | None, language: str | None = None) -> str:
    """Minutes as hours and minutes: 2 小时 30 分 / 2 h 30 min (a sign for negative amounts)."""
    if minutes is None:
        return ""
    language = language or lang()
    sign = "-" if minutes < 0 else ""
    h, m = divmod(abs(int(minutes)), 60)
    if language == "zh":
        text = f"{h} 小时 {m} 分" if h and m else f"{h} 小时" if h else f"{m} 分"
    else:
        text = f"{h} h {m} min" if h and m else f"{h} h" if h else f"{m} min"
    return sign + text


# The logged-in actor ----------------------------------------------------------------------------
def log_in(token: str, refresh_token: str | None = None) -> None:
    language = session.get("lang")
    session.clear()  # a new login never inherits the previous one's CSRF token or positions
    if language:
        session["lang"] = language
    session["token"] = token
    if refresh_token:
        session["refresh"] = refresh_token
    session.permanent = False


def log_out() -> None:
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def load_page_actor() -> None:
    """Resolve the session's token into g.actor, as api.auth.load_actor does for a bearer token, so
    the API's access helpers (api.auth.may, require_readable) apply to pages unchanged. A login's
    short-lived access token is renewed with its refresh token when it has expired."""
    token = session.get("token")
    if not token:
        return
    found = services()
    actor = found.timebank.authenticate(token)
    if actor is None and session.get("refresh"):
        try:
            renewed = found.timebank.refresh(session["refresh"])
        except DomainError:
            renewed = None
        if renewed is not None:
            session["token"], session["refresh"] = renewed.access_token, renewed.refresh_token
            actor = found.timebank.authenticate(renewed.access_token)
    if actor is None:
        log_out()
        return
    g.actor = actor


def current() -> Actor | None:
    found: Actor | None = g.get("actor")
    return found


def login_required(view: View) -> View:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current() is None:
            flash(t("login.needed"))
            return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def who_label(actor: Actor | None) -> str:
    if actor is None:
        return ""
    return t(f"role.{actor.role.value}")


def is_reader(actor: Actor | None) -> bool:
    return actor is not None and actor.role in (Role.AUDITOR, Role.ADMIN)


# CSRF -------------------------------------------------------------------------------------------
def csrf_token() -> str:
    token = session.get("_csrf")
    if not token:
        token = session["_csrf"] = secrets.token_urlsafe(32)
    return str(token)


def check_csrf() -> None:
    """Every POST to a page carries the session's CSRF token (refused with 400 otherwise)."""
    if request.method != "POST":
        return
    expected = session.get("_csrf")
    sent = request.form.get(CSRF_FIELD, "")
    if not expected or not hmac.compare_digest(str(expected), sent):
        abort(400, description=t("csrf.refused"))


# Reading one's own writes ---------------------------------------------------------------------------
def remember_position() -> None:
    """After a command, keep its event position: the next page waits until the views include it."""
    position = TimeBank.last_position()
    if position is not None:
        session["_pos"] = max(int(position), int(session.get("_pos", 0)))


@contextmanager
def read() -> Iterator[Connection]:
    with services().read(session.get("_pos") or None) as conn:
        yield conn


def back(endpoint: str, **values: Any) -> Response:
    remember_position()
    return redirect(url_for(endpoint, **values))
