"""The organizer console: open needs, ranked candidates and proposals, pending records to confirm or
reject in bulk, shifts with rosters and check-in/check-out. Readable by the organization's
organizers, auditors and admins; every command is checked again by the application."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from flask import flash, render_template, request
from werkzeug.wrappers import Response

from api.auth import may
from api.matchmaking import candidates
from api.names import with_name
from api.pages import blp, web
from api.services import services
from projections import matching_queries, queries
from timebank.domain.errors import DomainError, Forbidden, NotFound
from timebank.domain.permissions import POLICY

MAX_BULK = 200


def _organization(organization_id: UUID) -> dict[str, Any]:
    """The organization, if the caller may open its console (its organizers, auditors, admins)."""
    with web.read() as conn:
        found = queries.organization(conn, organization_id)
    if found is None:
        raise NotFound(f"organization {organization_id} not found", field="organization_id")
    if not may("organization.read_records", organization_id=organization_id):
        raise Forbidden(POLICY["organization.read_records"].refusal)
    found["may_act"] = may("organization.act", organization_id=organization_id)
    return found


def _named(conn: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the volunteer's number, name and masked phone (for those who may see the organization's records)."""
    people = queries.roster_people(conn, list({r["volunteer_id"] for r in rows}))
    return [with_name(r, people.get(r["volunteer_id"])) for r in rows]


@blp.route("/console")
@web.login_required
def console() -> str:
    actor = web.current()
    assert actor is not None
    with web.read() as conn:
        ids = queries.organizations_of(conn, actor.volunteer_id) if actor.volunteer_id else []
        organizations = [o for o in (queries.organization(conn, i) for i in ids) if o is not None]
    return render_template("console.html", organizations=organizations)


@blp.route("/console/<uuid:organization_id>")
@web.login_required
def organization(organization_id: UUID) -> str:
    org = _organization(organization_id)
    now = services().timebank.clock()
    with web.read() as conn:
        needs, _ = matching_queries.search_needs(conn, now=now, limit=100, offset=0, organization_id=organization_id)
        pending, pending_total = queries.service_records_page(conn, organization_id=organization_id, status="pending", limit=1, offset=0)
        shifts, _ = matching_queries.search_shifts(conn, now=now - timedelta(days=1), limit=100, offset=0,
                                                   organization_id=organization_id, include_full=True)
    return render_template("organization.html", org=org, needs=needs, pending_total=pending_total, shifts=shifts)


@blp.route("/console/<uuid:organization_id>/needs/<uuid:need_id>")
@web.login_required
def need(organization_id: UUID, need_id: UUID) -> str:
    org = _organization(organization_id)
    with web.read() as conn:
        found = matching_queries.need(conn, need_id)
        if found is None or found["organization_id"] != organization_id:
            raise NotFound(f"need {need_id} not found", field="need_id")
        ranked = [{**c, "volunteer_id": UUID(str(c["volunteer_id"]))}
                  for c in candidates(services(), conn, found, services().timebank.clock(), 20)["candidates"]]
        proposals, _ = matching_queries.proposals_page(conn, need_id=need_id, limit=100, offset=0)
        numbers = queries.roster_people(conn, [c["volunteer_id"] for c in [*ranked, *proposals]])
    number = {vid: p["volunteer_number"] for vid, p in numbers.items()}
    return render_template("need.html", org=org, need=found, candidates=ranked, proposals=proposals, number=number,
                           parts=("skill_fit", "distance", "reliability", "fairness"))


@blp.route("/console/<uuid:organization_id>/proposals/<uuid:proposal_id>/<any(accept, decline):decision>", methods=["POST"])
@web.login_required
def decide_proposal(organization_id: UUID, proposal_id: UUID, decision: str) -> Response:
    actor = web.current()
    assert actor is not None
    proposal = services().timebank.proposal_for(actor, proposal_id)
    if decision == "accept":
        services().timebank.accept_proposal(actor, proposal_id)
        flash(web.t("accepted"))
    else:
        services().timebank.decline_proposal(actor, proposal_id, request.form.get("reason", "")[:500])
        flash(web.t("declined"))
    return web.back("pages.need", organization_id=organization_id, need_id=proposal.need_id)


@blp.route("/console/<uuid:organization_id>/records", methods=["GET", "POST"])
@web.login_required
def records(organization_id: UUID) -> str | tuple[str, int]:
    org = _organization(organization_id)
    outcomes: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST":
        outcomes, status = _decide_in_bulk()
        web.remember_position()
    with web.read() as conn:
        pending, total = queries.service_records_page(conn, organization_id=organization_id, status="pending", limit=MAX_BULK, offset=0)
        pending = _named(conn, pending)
    return render_template("records.html", org=org, records=pending, total=total, outcomes=outcomes), status


def _decide_in_bulk() -> tuple[list[dict[str, Any]], int]:
    """Confirm or reject each selected record through the application, one by one, reporting each outcome."""
    actor = web.current()
    assert actor is not None
    action = request.form.get("action")
    reason = request.form.get("reason", "").strip()
    try:
        ids = list(dict.fromkeys(UUID(value) for value in request.form.getlist("record_id")))[:MAX_BULK]
    except ValueError:
        flash(web.t("bulk.none"), "error")
        return [], 422
    if action not in ("confirm", "reject") or not ids:
        flash(web.t("bulk.none"), "error")
        return [], 422
    if action == "reject" and not reason:
        flash(web.t("bulk.reason_needed"), "error")
        return [], 422
    outcomes: list[dict[str, Any]] = []
    for record_id in ids:
        try:
            if action == "confirm":
                services().timebank.confirm_record(actor, record_id)
            else:
                services().timebank.reject_record(actor, record_id, reason[:500])
            outcomes.append({"id": record_id, "done": True, "outcome": web.t(f"bulk.{action}ed"), "message": "", "forbidden": False})
        except DomainError as error:
            outcomes.append({"id": record_id, "done": False, "outcome": web.t("bulk.failed"), "message": error.message,
                             "forbidden": isinstance(error, Forbidden)})
    done = sum(1 for o in outcomes if o["done"])
    flash(web.t("bulk.summary", count=len(outcomes), done=done, failed=len(outcomes) - done), "ok" if done == len(outcomes) else "error")
    return outcomes, 200 if done else 403 if all(o["forbidden"] for o in outcomes) else 422


@blp.route("/console/<uuid:organization_id>/shifts/<uuid:shift_id>")
@web.login_required
def shift(organization_id: UUID, shift_id: UUID) -> str:
    org = _organization(organization_id)
    with web.read() as conn:
        found = queries.shift(conn, shift_id, with_roster=True)
        if found is None or found["organization_id"] != organization_id:
            raise NotFound(f"shift {shift_id} not found", field="shift_id")
        found["roster"] = _named(conn, found["roster"])
    return render_template("shift.html", org=org, shift=found)


@blp.route("/console/<uuid:organization_id>/shifts/<uuid:shift_id>/<any('check-in', 'check-out'):step>", methods=["POST"])
@web.login_required
def attendance(organization_id: UUID, shift_id: UUID, step: str) -> Response:
    actor = web.current()
    assert actor is not None
    try:
        volunteer_id = UUID(request.form.get("volunteer_id", ""))
    except ValueError:
        raise NotFound("volunteer not found", field="volunteer_id") from None
    if step == "check-in":
        services().timebank.check_in(actor, shift_id, volunteer_id)
        flash(web.t("checked_in"))
    else:
        services().timebank.check_out(actor, shift_id, volunteer_id)
        flash(web.t("checked_out"))
    return web.back("pages.shift", organization_id=organization_id, shift_id=shift_id)
