"""Logging in and out: a volunteer number (or phone) and password, or an access token."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from api.pages import blp, web
from api.services import services
from timebank.domain.errors import DomainError
from timebank.domain.permissions import permits


def _next_page() -> str:
    """Where to go after logging in: a path on this site only (never another host)."""
    wanted = request.values.get("next", "")
    parts = urlsplit(wanted)
    if wanted.startswith("/") and not wanted.startswith("//") and not parts.netloc and not parts.scheme:
        return wanted
    return url_for("pages.home")


@blp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    token = request.form.get("token", "").strip()
    if token:
        if services().timebank.authenticate(token) is None:
            flash(web.t("login.failed", reason=web.t("login.bad_token")), "error")
            return render_template("login.html", next=request.form.get("next", "")), 401
        web.log_in(token)
    else:
        try:
            result = services().timebank.login(request.form.get("login", ""), password=request.form.get("password", ""))
        except DomainError as error:
            flash(web.t("login.failed", reason=error.message), "error")
            return render_template("login.html", next=request.form.get("next", "")), 401
        web.log_in(result.access_token, result.refresh_token)
    flash(web.t("login.done"))
    return redirect(_next_page())


@blp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Forget the login; a password login's session is revoked too (its tokens stop working)."""
    token, actor = session.get("token"), web.current()
    session_id = services().timebank.session_of(token) if token else None
    if session_id is not None and actor is not None:
        services().timebank.revoke_session(actor, session_id)
    web.log_out()
    flash(web.t("logout.done"))
    return redirect(url_for("pages.login"))


@blp.route("/home")
@web.login_required
def home() -> Response:
    """Each role's start page: auditors and admins the statistics, organizers the console, volunteers theirs."""
    actor = web.current()
    if permits(actor, "audit.read"):
        return redirect(url_for("pages.stats"))
    return redirect(url_for("pages.me"))
