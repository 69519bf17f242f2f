"""A volunteer's pages: find shifts and needs and sign up, my hours, balance and statement, certificates."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, flash, render_template, request
from sqlalchemy import Connection
from werkzeug.wrappers import Response as Redirect

from api.certificate_pdf import render as render_pdf
from api.certificates import present
from api.pages import blp, web
from api.services import services
from projections import ledger_queries, matching_queries, queries
from timebank.domain.actors import Actor
from timebank.domain.errors import Forbidden
from timebank.domain.permissions import POLICY, permits, require
from timebank.domain.places import BEIJING_DISTRICTS
from timebank.domain.vocabulary import CURRENT

PAGE = 50


def _volunteer() -> tuple[Actor, UUID]:
    """The logged-in volunteer (organizers are volunteers); auditors and admins have no such pages."""
    actor = web.current()
    if actor is None or actor.volunteer_id is None:
        raise Forbidden(POLICY["login.password"].refusal)
    return actor, actor.volunteer_id


def _account(conn: Connection, volunteer_id: UUID) -> dict[str, Any] | None:
    account_id = ledger_queries.account_id_of(conn, volunteer_id)
    return ledger_queries.account(conn, account_id) if account_id else None


@blp.route("/me")
@web.login_required
def me() -> str:
    actor, volunteer_id = _volunteer()
    require(actor, "volunteer.read", about=volunteer_id)
    with web.read() as conn:
        profile = queries.volunteer(conn, volunteer_id)
        pending, _ = queries.service_records_page(conn, volunteer_id=volunteer_id, status="pending", limit=1000, offset=0)
        account = _account(conn, volunteer_id)
        organizes = queries.organizations_of(conn, volunteer_id)
    return render_template("me.html", profile=profile, account=account, organizes=organizes,
                           pending_minutes=sum(r["service_minutes"] for r in pending))


def _search_filters() -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if request.args.get("district") in BEIJING_DISTRICTS:
        filters["district"] = request.args["district"]
    if request.args.get("skill") in {s.code for s in CURRENT.skills}:
        filters["skill"] = [request.args["skill"]]
    if request.args.get("q", "").strip():
        filters["q"] = request.args["q"].strip()[:100]
    return filters


@blp.route("/me/shifts")
@web.login_required
def find_shifts() -> str:
    actor, _ = _volunteer()
    require(actor, "project.read")
    filters = _search_filters()
    with web.read() as conn:
        found, total = matching_queries.search_shifts(conn, now=services().timebank.clock(), limit=PAGE, offset=0, **filters)
    return render_template("find_shifts.html", shifts=found, total=total, filters=filters, districts=BEIJING_DISTRICTS,
                           skills=CURRENT.skills)


@blp.route("/me/shifts/<uuid:shift_id>/sign-up", methods=["POST"])
@web.login_required
def sign_up(shift_id: UUID) -> Redirect:
    actor, volunteer_id = _volunteer()
    services().timebank.sign_up(actor, shift_id, volunteer_id)
    flash(web.t("signed_up"))
    return web.back("pages.find_shifts")


@blp.route("/me/needs")
@web.login_required
def find_needs() -> str:
    actor, _ = _volunteer()
    require(actor, "project.read")
    filters = _search_filters()
    with web.read() as conn:
        found, total = matching_queries.search_needs(conn, now=services().timebank.clock(), limit=PAGE, offset=0, **filters)
    return render_template("find_needs.html", needs=found, total=total, filters=filters, districts=BEIJING_DISTRICTS,
                           skills=CURRENT.skills)


@blp.route("/me/hours")
@web.login_required
def my_hours() -> str:
    actor, volunteer_id = _volunteer()
    require(actor, "volunteer.read", about=volunteer_id)
    with web.read() as conn:
        records, total = queries.service_records_page(conn, volunteer_id=volunteer_id, limit=200, offset=0)
    totals = {status: sum(r["service_minutes"] for r in records if r["status"] == status) for status in ("pending", "confirmed")}
    return render_template("my_hours.html", records=records, total=total, totals=totals)


@blp.route("/me/statement")
@web.login_required
def my_statement() -> str:
    actor, volunteer_id = _volunteer()
    with web.read() as conn:
        account_id = ledger_queries.account_id_of(conn, volunteer_id)
        if account_id is None or not permits(actor, "account.read", about=volunteer_id):
            return render_template("statement.html", account=None, lines=[], total=0)
        account = ledger_queries.account(conn, account_id)
        lines, total = ledger_queries.statement(conn, account_id, limit=100, offset=0)
    return render_template("statement.html", account=account, lines=lines, total=total)


@blp.route("/me/certificates")
@web.login_required
def my_certificates() -> str:
    """Verify or print a certificate by its number (a certificate is read by its volunteer, its organization, readers)."""
    number = request.args.get("number", "").strip().upper()
    shown = None
    if number:
        certificate = services().timebank.certificate(number)
        if permits(web.current(), "certificate.read", about=certificate.volunteer_id,
                   organizes=lambda: services().timebank.is_organizer(web.current(), certificate.organization_id)):  # type: ignore[arg-type]
            shown = present(certificate)
        else:
            raise Forbidden(POLICY["certificate.read"].refusal)
    return render_template("certificates.html", number=number, certificate=shown)


@blp.route("/me/certificates/<string:number>.pdf")
@web.login_required
def certificate_pdf(number: str) -> Response:
    certificate = services().timebank.certificate(number)
    actor = web.current()
    if not permits(actor, "certificate.read", about=certificate.volunteer_id,
                   organizes=lambda: services().timebank.is_organizer(actor, certificate.organization_id)):  # type: ignore[arg-type]
        raise Forbidden(POLICY["certificate.read"].refusal)
    return Response(render_pdf(present(certificate)), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{certificate.number}.pdf"'})
