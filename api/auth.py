"""Bearer-token authentication and the read-side access rules (commands check their own)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from flask import current_app, g, request
from flask_smorest import Blueprint
from werkzeug.exceptions import Unauthorized

from api.services import services
from timebank.domain.actors import Actor
from timebank.domain.errors import NotFound
from timebank.domain.permissions import permits

View = TypeVar("View", bound=Callable[..., Any])


class MissingToken(Unauthorized):
    description = "this needs an access token: send 'Authorization: Bearer <token>'"

    def get_headers(self, environ: Any = None, scope: Any = None) -> list[tuple[str, str]]:
        return [*super().get_headers(environ, scope), ("WWW-Authenticate", 'Bearer realm="timebank"')]


def public(view: View) -> View:
    """Mark an API operation as needing no token (a bad token is still refused); documented so."""
    documented: View = Blueprint.doc(security=[])(view)
    documented.public = True  # type: ignore[attr-defined]
    return documented


def _needs_token() -> bool:
    """Whether this request is for an API operation that is not `public`."""
    if request.routing_exception is not None or request.endpoint is None or request.method == "OPTIONS":
        return False  # 404 and 405 answer as such; Flask answers OPTIONS itself
    if not request.path.startswith("/api/"):
        return False  # the index, the docs and the OpenAPI document
    view: Any = current_app.view_functions[request.endpoint]
    view_class = getattr(view, "view_class", None)  # a MethodView: its method for this request decides
    if view_class is not None:
        method = request.method.lower()
        view = getattr(view_class, method, None) or getattr(view_class, "get" if method == "head" else method, view)
    return not getattr(view, "public", False)


def load_actor() -> None:
    """before_request: resolve the bearer token, if any, into g.actor.

    Operations that need a token refuse a request without one here, before its arguments are
    parsed: a caller without a token learns nothing from validation errors (and waits for nothing).
    """
    g.actor = None
    header = request.headers.get("Authorization", "")
    if not header:
        if _needs_token():
            raise MissingToken()
        return
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingToken("the Authorization header must be 'Bearer <token>'")
    found = services()
    token = token.strip()
    if found.oidc is not None and found.oidc.is_ours(token):
        claims = found.oidc.claims(token, found.timebank.clock().timestamp())
        actor = found.oidc.actor(claims, found.timebank.volunteer_id_by_number) if claims else None
    else:
        actor = found.timebank.authenticate(token)
    if actor is None:
        raise MissingToken("this access token is unknown or revoked")
    g.actor = actor


def actor() -> Actor:
    """The authenticated actor, or 401."""
    current = g.get("actor")
    if current is None:
        raise MissingToken()
    return current


def hidden(what: str, object_id: UUID, field: str) -> NotFound:
    """Objects a reader may not see are reported as not found, so ids cannot be probed."""
    return NotFound(f"{what} {object_id} not found", field=field)


def may(action: str, *, about: UUID | None = None, organization_id: UUID | None = None, party: bool = False) -> bool:
    """Whether the caller may do `action` to an object (the table: timebank/domain/permissions.py).
    `about`: the volunteer the object is about; `organization_id`: the organization it belongs to."""
    who = actor()

    def organizes() -> bool:
        return organization_id is not None and services().timebank.is_organizer(who, organization_id)

    return permits(who, action, about=about, organizes=organizes, party=party)


def require_readable(action: str, what: str, object_id: UUID, field: str, **facts: Any) -> Actor:
    """The caller, if they may read the object; else the object is hidden (404)."""
    if not may(action, **facts):
        raise hidden(what, object_id, field)
    return actor()
