"""The authorization matrix (OWASP API1 / API5): every route of the app x every role x own/other object.

The access policy lives in one table, `timebank/domain/permissions.py`, which the commands and the
views consult. ACTIONS below says which of its actions each route performs on which kind of object,
and who of the cast holds which relation to that object; from these the roles allowed through
each row are derived from the domain's table, and the matrix checks the running code against them.
POLICY states the same in plain words, for every route and method of the URL map (and, where the
answer depends on the kind of object, for each kind): a test holds the two together, so a change
of the table that nobody meant to make fails here. Everything not allowed must be refused:

- anonymous callers with 401;
- everyone else with 403, or 404 where the object is deliberately hidden from them;
- and a refused request writes no event.

An allowed caller must get through authorization: a 2xx, never 401/403/404; a business refusal
(409/422) only where the scenario says why. A route in the URL map that POLICY does not classify
fails the test, and so does a row naming a route that is gone.

Roles, and what "own" and "other" mean:

- anonymous: no token.
- volunteer_own: the volunteer whose record, account, sign-up, transfer or exchange it is. For
  objects of an organization (the organization, its projects and shifts) it is a plain volunteer
  who organizes nothing, acting for themself (e.g. signing themself up).
- volunteer_other: a second plain volunteer, a stranger to the object.
- organizer_own: an organizer of the object's organization (the organization where the record was
  made, the shift runs, ...). Organizers are volunteers: on members' objects (accounts, transfers,
  exchanges) they are strangers like volunteer_other.
- organizer_other: an organizer of another verified organization.
- auditor: reads everything, changes nothing.
- admin: verifies organizations, corrects the ledger, grants from pools, resolves pending transfers; as the
  civilization office (文明办) designates member units, appoints inspectors, checks and closes out key projects.

On the key-project ledgers and problem lists, organizer_own organizes the member unit (a fresh one per
case) the project or problem belongs to, and volunteer_own is an inspector (督查) the office appointed.

Each test case builds the objects it acts on afresh (a shift, a record, an exchange, a transfer) in
one world shared by the module: a verified organization with its organizer, project and shifts
(`Walk`), a second verified organization with its organizer, an auditor and an admin. Sharing the
world keeps the ~430 cases to about 10 s (the per-test `walk` fixture alone would take minutes);
fresh objects keep the cases independent of each other and of their order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from api.app import build_services, create_app
from api.clock import run_audit_checkpoint
from api.services import Services
from tests.api.conftest import ApiClient, Person, Walk, event_count, expect, register, registration
from tests.builders import FixedClock as Clock
from tests.conftest import DATABASE_URL_VAR, fresh_schema
from timebank.application import Pairing
from timebank.clock import local_date
from timebank.domain.access import token_id
from timebank.domain.actors import Actor, Role
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.ledger import TimeAccount, pool_account_id
from timebank.domain.permissions import POLICY as PERMISSIONS
from timebank.domain.permissions import Relation, permits
from timebank.domain.proposal import Proposal
from timebank.settings import Settings

# Roles -----------------------------------------------------------------------------------------
ANONYMOUS = "anonymous"
OWN = "volunteer_own"
OTHER = "volunteer_other"
ORGANIZER = "organizer_own"
RIVAL = "organizer_other"
AUDITOR = "auditor"
ADMIN = "admin"
ROLES = (ANONYMOUS, OWN, OTHER, ORGANIZER, RIVAL, AUDITOR, ADMIN)

ANYONE = frozenset(ROLES)
MEMBERS = ANYONE - {ANONYMOUS}  # any valid token
VOLUNTEERS = frozenset({OWN, OTHER, ORGANIZER, RIVAL})  # any volunteer's token (organizers are volunteers)
READERS = frozenset({AUDITOR, ADMIN})
NOBODY: frozenset[str] = frozenset()

# The policy ------------------------------------------------------------------------------------
# (route as in the URL map, method, the object acted on) -> roles allowed through.
Row = tuple[str, str, str]
POLICY: dict[Row, frozenset[str]] = {
    # Public: no token needed.
    ("/", "GET", "service index"): ANYONE,
    ("/api/health", "GET", "liveness"): ANYONE,
    ("/healthz", "GET", "liveness probe"): ANYONE,
    ("/readyz", "GET", "readiness probe"): ANYONE,
    ("/metrics", "GET", "Prometheus metrics"): ANYONE,
    ("/api/rules", "GET", "the rule sets"): MEMBERS,  # members read them; a token like everything but registration and logins
    ("/openapi.json", "GET", "OpenAPI document"): ANYONE,
    ("/docs", "GET", "Swagger UI"): ANYONE,
    ("/docs-assets/<path:filename>", "GET", "Swagger UI asset"): ANYONE,
    ("/static/<path:filename>", "GET", "Flask's static route (no static folder)"): ANYONE,  # 404 to all: nothing to serve
    ("/api/volunteers", "POST", "registration"): ANYONE,  # the only public command
    # The vocabulary and the practice hierarchy: read by members; admins register institutes and stations.
    ("/api/vocabulary", "GET", "skills and categories"): MEMBERS,
    ("/api/places", "GET", "the practice hierarchy"): MEMBERS,
    ("/api/places", "POST", "institutes and stations"): frozenset({ADMIN}),
    # Volunteers: themself, auditors, admins.
    ("/api/volunteers/<uuid:volunteer_id>", "GET", "a volunteer's profile"): READERS | {OWN},
    ("/api/volunteers/<uuid:volunteer_id>/service-records", "GET", "a volunteer's records"): READERS | {OWN},
    ("/api/volunteers/<uuid:volunteer_id>/personal-data", "DELETE", "a volunteer's personal data (erasure)"): frozenset({OWN, ADMIN}),
    # Logging in: the credential is in the body (password, code, refresh token), not the bearer token.
    ("/api/auth/login", "POST", "the volunteer's number and password"): ANYONE,
    ("/api/auth/code", "POST", "a code for the volunteer's phone"): ANYONE,
    ("/api/auth/refresh", "POST", "the volunteer's refresh token"): ANYONE,
    ("/api/auth/password", "POST", "the caller's own password"): VOLUNTEERS,
    ("/api/auth/logout", "POST", "the caller's own session"): MEMBERS,  # only a login's JWT names a session: see TOLERATED
    ("/api/auth/sessions/<uuid:session_id>/revoke", "POST", "the volunteer's login session"): frozenset({OWN, ADMIN}),
    ("/api/auth/tokens/revoke", "POST", "an opaque token the caller holds"): MEMBERS,
    # Organizations: any volunteer registers one; read by members; admins verify; organizers manage organizers.
    ("/api/organizations", "POST", "a new organization"): VOLUNTEERS,
    ("/api/organizations/<uuid:organization_id>", "GET", "an organization (public to members)"): MEMBERS,
    ("/api/organizations/<uuid:organization_id>/verify", "POST", "an unverified organization"): frozenset({ADMIN}),
    ("/api/organizations/<uuid:organization_id>/station", "POST", "a verified organization and a free station"): frozenset({ADMIN}),
    ("/api/organizations/<uuid:organization_id>/organizers", "POST", "add the volunteer as organizer"): frozenset({ORGANIZER}),
    ("/api/organizations/<uuid:organization_id>/organizers/<uuid:volunteer_id>", "DELETE", "a second organizer"): frozenset({ORGANIZER}),
    ("/api/organizations/<uuid:organization_id>/service-records", "GET", "an organization's records"): READERS | {ORGANIZER},
    # Projects and shifts: published by organizers, public to members.
    ("/api/projects", "POST", "a project of the organization"): frozenset({ORGANIZER}),
    ("/api/projects/<uuid:project_id>", "GET", "a project (public to members)"): MEMBERS,
    ("/api/projects", "GET", "the projects (public to members)"): MEMBERS,
    ("/api/shifts", "GET", "open shifts (public to members)"): MEMBERS,
    # Matching: needs are posted and decided by the organization's organizers, found by members; volunteers
    # state their own availability; admins run assignments; proposals are accepted by organizers, declined by either.
    ("/api/needs", "POST", "a need of the organization"): frozenset({ORGANIZER}),
    ("/api/needs", "GET", "open needs (public to members)"): MEMBERS,
    ("/api/needs/<uuid:need_id>", "GET", "a need (public to members)"): MEMBERS,
    ("/api/needs/<uuid:need_id>", "PATCH", "an open need"): frozenset({ORGANIZER}),
    ("/api/needs/<uuid:need_id>/close", "POST", "an open need"): frozenset({ORGANIZER}),
    ("/api/needs/<uuid:need_id>/fill", "POST", "an open need"): frozenset({ORGANIZER}),
    ("/api/needs/<uuid:need_id>/candidates", "GET", "a need's ranked candidates"): READERS | {ORGANIZER},
    ("/api/needs/<uuid:need_id>/proposals", "GET", "a need's proposals"): READERS | {ORGANIZER},
    ("/api/volunteers/<uuid:volunteer_id>/availability", "GET", "what the volunteer offers"): READERS | {OWN},
    ("/api/volunteers/<uuid:volunteer_id>/availability", "PUT", "what the volunteer offers"): frozenset({OWN}),
    ("/api/matching/runs", "POST", "an assignment run"): frozenset({ADMIN}),
    ("/api/proposals/<uuid:proposal_id>", "GET", "a proposal of the volunteer"): READERS | {OWN, ORGANIZER},
    ("/api/proposals/<uuid:proposal_id>/accept", "POST", "a proposal of the volunteer"): frozenset({ORGANIZER}),
    ("/api/proposals/<uuid:proposal_id>/decline", "POST", "a proposal of the volunteer"): frozenset({OWN, ORGANIZER}),
    ("/api/projects/<uuid:project_id>/shifts", "GET", "a project's shifts (public to members)"): MEMBERS,
    ("/api/projects/<uuid:project_id>/shifts", "POST", "a new shift"): frozenset({ORGANIZER}),
    ("/api/shifts/<uuid:shift_id>", "GET", "a shift (public; roster for organizer and readers)"): MEMBERS,
    ("/api/shifts/<uuid:shift_id>/signups", "POST", "sign the volunteer up"): frozenset({OWN, ORGANIZER}),  # themself, or an organizer
    ("/api/shifts/<uuid:shift_id>/signups/<uuid:volunteer_id>", "DELETE", "the volunteer's sign-up"): frozenset({OWN, ORGANIZER}),
    ("/api/shifts/<uuid:shift_id>/check-ins", "POST", "check the volunteer in"): frozenset({ORGANIZER}),
    ("/api/shifts/<uuid:shift_id>/check-outs", "POST", "check the volunteer out"): frozenset({ORGANIZER}),
    # Service records: volunteers declare their own; the organization's organizers decide.
    ("/api/service-records", "POST", "the caller's own declaration"): VOLUNTEERS,
    ("/api/service-records/batch", "POST", "bulk entry for the organization's project"): frozenset({ORGANIZER}),
    ("/api/service-records/confirmations", "POST", "pending records of the organization"): frozenset({ORGANIZER}),
    ("/api/service-records/rejections", "POST", "pending records of the organization"): frozenset({ORGANIZER}),
    ("/api/service-records/imports", "POST", "records for the organization's project, from CSV"): frozenset({ORGANIZER}),
    ("/api/service-records/<uuid:record_id>", "GET", "the volunteer's record"): READERS | {OWN, ORGANIZER},
    ("/api/service-records/<uuid:record_id>/confirm", "POST", "a pending record"): frozenset({ORGANIZER}),
    ("/api/service-records/<uuid:record_id>/reject", "POST", "a pending record"): frozenset({ORGANIZER}),
    ("/api/service-records/<uuid:record_id>/corrections", "POST", "a confirmed record"): frozenset({OWN, ORGANIZER}),  # asked / applied
    ("/api/service-records/<uuid:record_id>/revoke", "POST", "a confirmed record"): frozenset({ORGANIZER}),
    # Accounts: owners (organizers for their organization's), auditors, admins. Pools and system accounts are
    # public to members (README, docstrings); they need a token like everything but registration and the service's
    # own pages.
    ("/api/accounts", "GET", "all accounts"): READERS,
    ("/api/accounts/pools", "GET", "district pools (public to members)"): MEMBERS,
    ("/api/accounts/system", "GET", "issuance and redemption (public to members)"): MEMBERS,
    ("/api/accounts/<uuid:account_id>", "GET", "a volunteer's account"): READERS | {OWN},
    ("/api/accounts/<uuid:account_id>", "GET", "an organization's account"): READERS | {ORGANIZER},
    ("/api/accounts/<uuid:account_id>", "GET", "a district pool"): MEMBERS,
    ("/api/accounts/<uuid:account_id>/statement", "GET", "a volunteer's account"): READERS | {OWN},
    ("/api/accounts/<uuid:account_id>/statement.csv", "GET", "a volunteer's account"): READERS | {OWN},
    ("/api/accounts/<uuid:account_id>/totals", "GET", "a volunteer's account"): READERS | {OWN},
    # Transfers: members spend their own credits; organizers grant from their organization, admins from pools and correct.
    ("/api/transfers", "POST", "exchange from the volunteer's account"): frozenset({OWN}),
    ("/api/transfers", "POST", "grant from the organization's account"): frozenset({ORGANIZER}),
    # UNDECIDED (the code allows it, no rule says either way): an organizer may grant the organization's
    # credits to themself, although organizers may not record or confirm their own service.
    ("/api/transfers", "POST", "grant from the organization's account to its organizer"): frozenset({ORGANIZER}),
    ("/api/transfers", "POST", "grant from a district pool"): frozenset({ADMIN}),
    ("/api/transfers", "POST", "correction from issuance"): frozenset({ADMIN}),
    ("/api/transfers/batch", "POST", "exchanges from the volunteer's account"): frozenset({OWN}),
    ("/api/transfers/<uuid:transfer_id>", "GET", "the volunteer's transfer to a third member"): READERS | {OWN},
    ("/api/transfers/<uuid:transfer_id>/post", "POST", "the volunteer's pending transfer"): frozenset({OWN, ADMIN}),
    ("/api/transfers/<uuid:transfer_id>/void", "POST", "the volunteer's pending transfer"): frozenset({OWN, ADMIN}),
    # Exchanges: the board is public to members; members ask and offer; the requester accepts, confirms, cancels.
    ("/api/exchanges", "POST", "the caller's own request"): VOLUNTEERS,
    ("/api/exchanges", "GET", "the board"): MEMBERS,
    ("/api/exchanges/<uuid:exchange_id>", "GET", "the volunteer's request (offers for parties and readers)"): MEMBERS,
    ("/api/exchanges/<uuid:exchange_id>/offers", "POST", "the volunteer's open request"): VOLUNTEERS,
    ("/api/exchanges/<uuid:exchange_id>/accept", "POST", "the volunteer's request with an offer"): frozenset({OWN}),
    ("/api/exchanges/<uuid:exchange_id>/confirm", "POST", "the volunteer's accepted request"): frozenset({OWN}),
    ("/api/exchanges/<uuid:exchange_id>/cancel", "POST", "the volunteer's open request"): frozenset({OWN}),
    # Key-project ledgers: the office (admins) designates member units, checks and closes projects out; a unit's
    # organizers register and report; the office and auditors read every unit's ledger, a unit its own.
    ("/api/member-units", "POST", "a verified organization"): frozenset({ADMIN}),
    ("/api/member-units", "GET", "the member units"): MEMBERS,
    ("/api/key-projects", "POST", "a project of the member unit"): frozenset({ORGANIZER}),
    ("/api/key-projects", "GET", "the unit's ledger of the year"): READERS | {ORGANIZER},
    ("/api/key-projects/completion", "GET", "the year's completion (counts)"): MEMBERS,
    ("/api/key-projects/ledger.csv", "GET", "the unit's ledger of the year"): READERS | {ORGANIZER},
    ("/api/key-projects/<uuid:project_id>", "GET", "the unit's project"): READERS | {ORGANIZER},
    ("/api/key-projects/<uuid:project_id>/progress", "POST", "the unit's project"): frozenset({ORGANIZER}),
    ("/api/key-projects/<uuid:project_id>/half-year-check", "POST", "the unit's project"): frozenset({ADMIN}),
    ("/api/key-projects/<uuid:project_id>/close-out", "POST", "the unit's project"): frozenset({ADMIN}),
    ("/api/key-projects/<uuid:project_id>/carry-over", "POST", "the unit's project"): frozenset({ADMIN}),
    ("/api/key-projects/<uuid:project_id>/close-unfinished", "POST", "the unit's project"): frozenset({ADMIN}),
    # Problem lists: the office appoints inspectors; inspectors record, re-check and close; the unit rectifies.
    ("/api/inspectors", "POST", "a volunteer to appoint"): frozenset({ADMIN}),
    ("/api/inspectors/<uuid:volunteer_id>", "DELETE", "an inspector"): frozenset({ADMIN}),
    ("/api/problems", "POST", "a problem of a member unit"): frozenset({OWN}),
    ("/api/problems", "GET", "every unit's problems"): READERS | {OWN},
    ("/api/problems", "GET", "the unit's problems"): READERS | {OWN, ORGANIZER},
    ("/api/problems/bulletin", "GET", "the public bulletin (通报)"): ANYONE,
    ("/api/problems/<uuid:problem_id>", "GET", "the unit's problem"): READERS | {OWN, ORGANIZER},
    ("/api/problems/<uuid:problem_id>/history", "GET", "the unit's problem"): READERS | {OWN, ORGANIZER},
    ("/api/problems/<uuid:problem_id>/rectification", "POST", "the unit's open problem"): frozenset({ORGANIZER}),
    ("/api/problems/<uuid:problem_id>/recheck", "POST", "the unit's rectified problem"): frozenset({OWN}),
    ("/api/problems/<uuid:problem_id>/close", "POST", "the unit's problem that passed its re-check"): frozenset({OWN}),
    # Audit.
    ("/api/reconciliation", "GET", "the whole ledger"): READERS,
    ("/api/admin/jobs", "GET", "the clock's jobs"): READERS,
    # Incentives: admins and the organization's organizers publish and use codes; members read; volunteers redeem.
    ("/api/incentives", "POST", "an incentive of the organization"): frozenset({ORGANIZER}),
    ("/api/incentives", "POST", "an admin's incentive"): frozenset({ADMIN}),
    ("/api/incentives", "GET", "the catalog"): MEMBERS,
    ("/api/incentives/<uuid:incentive_id>", "GET", "an incentive"): MEMBERS,
    ("/api/incentives/<uuid:incentive_id>/redemptions", "POST", "redeem an incentive"): VOLUNTEERS,
    ("/api/incentives/<uuid:incentive_id>/redemptions/use", "POST", "a code of the organization's incentive"): frozenset({ORGANIZER}),
    ("/api/incentives/<uuid:incentive_id>/redemptions/use", "POST", "a code of an admin's incentive"): frozenset({ADMIN}),
    # Star levels: the volunteer and readers see it; organizers nominate, volunteers object, admins decide.
    ("/api/volunteers/<uuid:volunteer_id>/star-level", "GET", "the volunteer's star level"): READERS | {OWN},
    ("/api/volunteers/<uuid:volunteer_id>/star-level/nominations", "POST", "nominate the volunteer for five stars"): frozenset({ORGANIZER}),
    ("/api/volunteers/<uuid:volunteer_id>/star-level/objections", "POST", "object to the volunteer's nomination"): VOLUNTEERS,
    ("/api/volunteers/<uuid:volunteer_id>/star-level/objections/<uuid:objection_id>/decision", "POST", "decide an objection"):
        frozenset({ADMIN}),
    # Certificates: the recording organization's organizers issue and revoke; anyone verifies by number.
    ("/api/certificates", "POST", "the volunteer's confirmed records"): frozenset({ORGANIZER}),
    ("/api/certificates/<string:number>/verification", "GET", "a certificate"): ANYONE,
    ("/api/certificates/<string:number>/revoke", "POST", "a current certificate"): frozenset({ORGANIZER}),
    ("/api/certificates/<string:number>.pdf", "GET", "the volunteer's certificate"): READERS | {OWN, ORGANIZER},
    # The audit log: checkpoints, the key and consistency proofs are public (hashes only); entries and their proofs are readers'.
    ("/api/audit/public-key", "GET", "the checkpoints' public key"): ANYONE,
    ("/api/audit/checkpoints", "GET", "the signed checkpoints"): ANYONE,
    ("/api/audit/consistency", "GET", "two signed checkpoints"): ANYONE,
    ("/api/audit/proofs/<int:seq>", "GET", "a sealed entry"): READERS,
    ("/api/audit/events", "GET", "the whole event log"): READERS,
    ("/api/audit/flags", "GET", "integrity flags"): READERS,
    ("/api/audit/export/<any(events, records, statements):what>.jsonl", "GET", "every event"): READERS,
    ("/api/audit/export/<any(events, records, statements):what>.csv", "GET", "every event"): READERS,
    ("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the volunteer's service record"): READERS | {OWN, ORGANIZER},
    ("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the volunteer"): READERS | {OWN},
    ("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the organization"): READERS | {ORGANIZER},
    ("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the unit's key project"): READERS | {ORGANIZER},
    # Tokens and identity claims are nobody's history, not even an auditor's (timebank/application/history.py).
    ("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the volunteer's access token"): NOBODY,
}

# Which action of timebank/domain/permissions.py each row performs, and, where it differs from
# HOLDERS, who of the cast holds which relation to the object.
HOLDERS: dict[Relation, frozenset[str]] = {
    Relation.SELF: frozenset({OWN}),  # the volunteer it is about (or who acts for themself)
    Relation.ORGANIZER: frozenset({ORGANIZER}),
    Relation.PARTY: frozenset({OWN}),
    Relation.CREATOR: frozenset({OWN}),
    Relation.PAYEE: NOBODY,  # the payee of the volunteer's pending transfer is a third member
    Relation.INSPECTOR: frozenset({OWN}),  # on the problem lists the owner is an inspector the office appointed
}
ORGANIZATIONS_OBJECT = {Relation.SELF: NOBODY}  # an organization's account: no volunteer's own
MEMBERS_OBJECT = {Relation.ORGANIZER: NOBODY}  # a volunteer's account belongs to no organization
ACTIONS: dict[Row, tuple[tuple[str, ...], dict[Relation, frozenset[str]]]] = {
    row: ((action,) if isinstance(action, str) else action, holders)
    for row, action, holders in [
        (("/", "GET", "service index"), "public", {}),
        (("/api/health", "GET", "liveness"), "public", {}),
        (("/healthz", "GET", "liveness probe"), "public", {}),
        (("/readyz", "GET", "readiness probe"), "public", {}),
        (("/metrics", "GET", "Prometheus metrics"), "public", {}),
        (("/api/rules", "GET", "the rule sets"), "rules.read", {}),
        (("/openapi.json", "GET", "OpenAPI document"), "public", {}),
        (("/docs", "GET", "Swagger UI"), "public", {}),
        (("/docs-assets/<path:filename>", "GET", "Swagger UI asset"), "public", {}),
        (("/static/<path:filename>", "GET", "Flask's static route (no static folder)"), "public", {}),
        (("/api/volunteers", "POST", "registration"), "public", {}),
        (("/api/vocabulary", "GET", "skills and categories"), "rules.read", {}),
        (("/api/places", "GET", "the practice hierarchy"), "places.read", {}),
        (("/api/places", "POST", "institutes and stations"), "places.register", {}),
        (("/api/volunteers/<uuid:volunteer_id>", "GET", "a volunteer's profile"), "volunteer.read", {}),
        (("/api/volunteers/<uuid:volunteer_id>/service-records", "GET", "a volunteer's records"), "volunteer.read", {}),
        (("/api/volunteers/<uuid:volunteer_id>/personal-data", "DELETE", "a volunteer's personal data (erasure)"), "volunteer.erase", {}),
        (("/api/auth/login", "POST", "the volunteer's number and password"), "public", {}),
        (("/api/auth/code", "POST", "a code for the volunteer's phone"), "public", {}),
        (("/api/auth/refresh", "POST", "the volunteer's refresh token"), "public", {}),
        (("/api/auth/password", "POST", "the caller's own password"), "login.password", {}),
        (("/api/auth/logout", "POST", "the caller's own session"), "login.revoke_own", {}),
        (("/api/auth/sessions/<uuid:session_id>/revoke", "POST", "the volunteer's login session"), "session.revoke", {}),
        (("/api/auth/tokens/revoke", "POST", "an opaque token the caller holds"), "login.revoke_own", {}),
        (("/api/organizations", "POST", "a new organization"), "organization.register", {}),
        (("/api/organizations/<uuid:organization_id>", "GET", "an organization (public to members)"), "organization.read", {}),
        (("/api/organizations/<uuid:organization_id>/verify", "POST", "an unverified organization"), "organization.verify", {}),
        (("/api/organizations/<uuid:organization_id>/station", "POST", "a verified organization and a free station"),
         "station.designate", {}),
        (("/api/organizations/<uuid:organization_id>/organizers", "POST", "add the volunteer as organizer"), "organization.act", {}),
        (("/api/organizations/<uuid:organization_id>/organizers/<uuid:volunteer_id>", "DELETE", "a second organizer"),
         "organization.act", {}),
        (("/api/organizations/<uuid:organization_id>/service-records", "GET", "an organization's records"),
         "organization.read_records", {}),
        (("/api/projects", "POST", "a project of the organization"), "organization.act", {}),
        (("/api/projects/<uuid:project_id>", "GET", "a project (public to members)"), "project.read", {}),
        (("/api/projects", "GET", "the projects (public to members)"), "project.read", {}),
        (("/api/shifts", "GET", "open shifts (public to members)"), "project.read", {}),
        (("/api/needs", "POST", "a need of the organization"), "organization.act", {}),
        (("/api/needs", "GET", "open needs (public to members)"), "project.read", {}),
        (("/api/needs/<uuid:need_id>", "GET", "a need (public to members)"), "project.read", {}),
        (("/api/needs/<uuid:need_id>", "PATCH", "an open need"), "organization.act", {}),
        (("/api/needs/<uuid:need_id>/close", "POST", "an open need"), "organization.act", {}),
        (("/api/needs/<uuid:need_id>/fill", "POST", "an open need"), "organization.act", {}),
        (("/api/needs/<uuid:need_id>/candidates", "GET", "a need's ranked candidates"), "need.candidates", {}),
        (("/api/needs/<uuid:need_id>/proposals", "GET", "a need's proposals"), "proposal.read", ORGANIZATIONS_OBJECT),
        (("/api/volunteers/<uuid:volunteer_id>/availability", "GET", "what the volunteer offers"), "volunteer.read", {}),
        (("/api/volunteers/<uuid:volunteer_id>/availability", "PUT", "what the volunteer offers"), "supply.offer", {}),
        (("/api/matching/runs", "POST", "an assignment run"), "matching.run", {}),
        (("/api/proposals/<uuid:proposal_id>", "GET", "a proposal of the volunteer"), "proposal.read", {}),
        (("/api/proposals/<uuid:proposal_id>/accept", "POST", "a proposal of the volunteer"), "proposal.accept", {}),
        (("/api/proposals/<uuid:proposal_id>/decline", "POST", "a proposal of the volunteer"), "proposal.decline", {}),
        (("/api/projects/<uuid:project_id>/shifts", "GET", "a project's shifts (public to members)"), "project.read", {}),
        (("/api/projects/<uuid:project_id>/shifts", "POST", "a new shift"), "organization.act", {}),
        (("/api/shifts/<uuid:shift_id>", "GET", "a shift (public; roster for organizer and readers)"), "project.read", {}),
        (("/api/shifts/<uuid:shift_id>/signups", "POST", "sign the volunteer up"), "shift.sign_up", {}),
        (("/api/shifts/<uuid:shift_id>/signups/<uuid:volunteer_id>", "DELETE", "the volunteer's sign-up"), "shift.sign_up", {}),
        (("/api/shifts/<uuid:shift_id>/check-ins", "POST", "check the volunteer in"), "organization.act", {}),
        (("/api/shifts/<uuid:shift_id>/check-outs", "POST", "check the volunteer out"), "organization.act", {}),
        (("/api/service-records", "POST", "the caller's own declaration"), "record.declare", {}),
        (("/api/service-records/batch", "POST", "bulk entry for the organization's project"), "organization.act", {}),
        (("/api/service-records/confirmations", "POST", "pending records of the organization"), "record.decide", {}),
        (("/api/service-records/rejections", "POST", "pending records of the organization"), "record.decide", {}),
        (("/api/service-records/imports", "POST", "records for the organization's project, from CSV"), "organization.act", {}),
        (("/api/service-records/<uuid:record_id>", "GET", "the volunteer's record"), "record.read", {}),
        (("/api/service-records/<uuid:record_id>/confirm", "POST", "a pending record"), "record.decide", {}),
        (("/api/service-records/<uuid:record_id>/reject", "POST", "a pending record"), "record.decide", {}),
        (("/api/service-records/<uuid:record_id>/corrections", "POST", "a confirmed record"),
         ("record.request_correction", "record.decide"), {}),
        (("/api/service-records/<uuid:record_id>/revoke", "POST", "a confirmed record"), "record.decide", {}),
        (("/api/accounts", "GET", "all accounts"), "account.list", {}),
        (("/api/accounts/pools", "GET", "district pools (public to members)"), "public_account.read", {}),
        (("/api/accounts/system", "GET", "issuance and redemption (public to members)"), "public_account.read", {}),
        (("/api/accounts/<uuid:account_id>", "GET", "a volunteer's account"), "account.read", MEMBERS_OBJECT),
        (("/api/accounts/<uuid:account_id>", "GET", "an organization's account"), "account.read", ORGANIZATIONS_OBJECT),
        (("/api/accounts/<uuid:account_id>", "GET", "a district pool"), "public_account.read", {}),
        (("/api/accounts/<uuid:account_id>/statement", "GET", "a volunteer's account"), "account.read", MEMBERS_OBJECT),
        (("/api/accounts/<uuid:account_id>/statement.csv", "GET", "a volunteer's account"), "account.read", MEMBERS_OBJECT),
        (("/api/accounts/<uuid:account_id>/totals", "GET", "a volunteer's account"), "account.read", MEMBERS_OBJECT),
        (("/api/transfers", "POST", "exchange from the volunteer's account"), "account.spend", {}),
        (("/api/transfers", "POST", "grant from the organization's account"), "organization_account.grant", ORGANIZATIONS_OBJECT),
        (("/api/transfers", "POST", "grant from the organization's account to its organizer"), "organization_account.grant",
         ORGANIZATIONS_OBJECT),
        (("/api/transfers", "POST", "grant from a district pool"), "pool.grant", {}),
        (("/api/transfers", "POST", "correction from issuance"), "ledger.correct", {}),
        (("/api/transfers/batch", "POST", "exchanges from the volunteer's account"), "account.spend", {}),
        (("/api/transfers/<uuid:transfer_id>", "GET", "the volunteer's transfer to a third member"), "transfer.read", {}),
        (("/api/transfers/<uuid:transfer_id>/post", "POST", "the volunteer's pending transfer"), "transfer.post", {}),
        (("/api/transfers/<uuid:transfer_id>/void", "POST", "the volunteer's pending transfer"), "transfer.void", {}),
        (("/api/exchanges", "POST", "the caller's own request"), "exchange.request", {}),
        (("/api/exchanges", "GET", "the board"), "exchange.read", {}),
        (("/api/exchanges/<uuid:exchange_id>", "GET", "the volunteer's request (offers for parties and readers)"), "exchange.read", {}),
        (("/api/exchanges/<uuid:exchange_id>/offers", "POST", "the volunteer's open request"), "exchange.request", {}),
        (("/api/exchanges/<uuid:exchange_id>/accept", "POST", "the volunteer's request with an offer"), "exchange.decide", {}),
        (("/api/exchanges/<uuid:exchange_id>/confirm", "POST", "the volunteer's accepted request"), "exchange.decide", {}),
        (("/api/exchanges/<uuid:exchange_id>/cancel", "POST", "the volunteer's open request"), "exchange.cancel", {}),
        (("/api/member-units", "POST", "a verified organization"), "member_unit.designate", {}),
        (("/api/member-units", "GET", "the member units"), "member_unit.read", {}),
        (("/api/key-projects", "POST", "a project of the member unit"), "key_project.register", {}),
        (("/api/key-projects", "GET", "the unit's ledger of the year"), "key_project.read", {}),
        (("/api/key-projects/completion", "GET", "the year's completion (counts)"), "key_project.completion", {}),
        (("/api/key-projects/ledger.csv", "GET", "the unit's ledger of the year"), "key_project.read", {}),
        (("/api/key-projects/<uuid:project_id>", "GET", "the unit's project"), "key_project.read", {}),
        (("/api/key-projects/<uuid:project_id>/progress", "POST", "the unit's project"), "key_project.register", {}),
        (("/api/key-projects/<uuid:project_id>/half-year-check", "POST", "the unit's project"), "key_project.decide", {}),
        (("/api/key-projects/<uuid:project_id>/close-out", "POST", "the unit's project"), "key_project.decide", {}),
        (("/api/key-projects/<uuid:project_id>/carry-over", "POST", "the unit's project"), "key_project.decide", {}),
        (("/api/key-projects/<uuid:project_id>/close-unfinished", "POST", "the unit's project"), "key_project.decide", {}),
        (("/api/inspectors", "POST", "a volunteer to appoint"), "inspector.appoint", {}),
        (("/api/inspectors/<uuid:volunteer_id>", "DELETE", "an inspector"), "inspector.appoint", {}),
        (("/api/problems", "POST", "a problem of a member unit"), "problem.inspect", {}),
        (("/api/problems", "GET", "every unit's problems"), "problem.list_all", {}),
        (("/api/problems", "GET", "the unit's problems"), "problem.read", {}),
        (("/api/problems/bulletin", "GET", "the public bulletin (通报)"), "public", {}),
        (("/api/problems/<uuid:problem_id>", "GET", "the unit's problem"), "problem.read", {}),
        (("/api/problems/<uuid:problem_id>/history", "GET", "the unit's problem"), "problem.read", {}),
        (("/api/problems/<uuid:problem_id>/rectification", "POST", "the unit's open problem"), "problem.rectify", {}),
        (("/api/problems/<uuid:problem_id>/recheck", "POST", "the unit's rectified problem"), "problem.inspect", {}),
        (("/api/problems/<uuid:problem_id>/close", "POST", "the unit's problem that passed its re-check"), "problem.inspect", {}),
        (("/api/reconciliation", "GET", "the whole ledger"), "ledger.reconcile", {}),
        (("/api/admin/jobs", "GET", "the clock's jobs"), "jobs.read", {}),
        (("/api/incentives", "POST", "an incentive of the organization"), "incentive.publish", {}),
        (("/api/incentives", "POST", "an admin's incentive"), "incentive.publish_own", {}),
        (("/api/incentives", "GET", "the catalog"), "incentive.read", {}),
        (("/api/incentives/<uuid:incentive_id>", "GET", "an incentive"), "incentive.read", {}),
        (("/api/incentives/<uuid:incentive_id>/redemptions", "POST", "redeem an incentive"), "incentive.redeem", {}),
        (("/api/incentives/<uuid:incentive_id>/redemptions/use", "POST", "a code of the organization's incentive"), "incentive.use_code", {}),
        (("/api/incentives/<uuid:incentive_id>/redemptions/use", "POST", "a code of an admin's incentive"), "own_incentive.use_code", {}),
        (("/api/volunteers/<uuid:volunteer_id>/star-level", "GET", "the volunteer's star level"), "star_level.read", {}),
        (("/api/volunteers/<uuid:volunteer_id>/star-level/nominations", "POST", "nominate the volunteer for five stars"),
         "star_level.nominate", {}),
        (("/api/volunteers/<uuid:volunteer_id>/star-level/objections", "POST", "object to the volunteer's nomination"), "star_level.object", {}),
        (("/api/volunteers/<uuid:volunteer_id>/star-level/objections/<uuid:objection_id>/decision", "POST", "decide an objection"),
         "star_level.decide_objection", {}),
        (("/api/certificates", "POST", "the volunteer's confirmed records"), "certificate.issue", {}),
        (("/api/certificates/<string:number>/verification", "GET", "a certificate"), "public", {}),
        (("/api/certificates/<string:number>/revoke", "POST", "a current certificate"), "certificate.revoke", {}),
        (("/api/certificates/<string:number>.pdf", "GET", "the volunteer's certificate"), "certificate.read", {}),
        (("/api/audit/public-key", "GET", "the checkpoints' public key"), "public", {}),
        (("/api/audit/checkpoints", "GET", "the signed checkpoints"), "public", {}),
        (("/api/audit/consistency", "GET", "two signed checkpoints"), "public", {}),
        (("/api/audit/proofs/<int:seq>", "GET", "a sealed entry"), "audit.read", {}),
        (("/api/audit/events", "GET", "the whole event log"), "audit.read", {}),
        (("/api/audit/flags", "GET", "integrity flags"), "audit.read", {}),
        (("/api/audit/export/<any(events, records, statements):what>.jsonl", "GET", "every event"), "audit.read", {}),
        (("/api/audit/export/<any(events, records, statements):what>.csv", "GET", "every event"), "audit.read", {}),
        (("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the volunteer's service record"), "record.read", {}),
        (("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the volunteer"), "volunteer.read", {}),
        (("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the organization"), "organization.read_records", {}),
        (("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the unit's key project"), "organization.read_records", {}),
        (("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the volunteer's access token"), "secret.read", {}),
    ]
}
# Actions that decide what a response shows, not whether it is given (checked on the allowed answers).
ROSTER, OFFERS = ("shift.roster",), ("exchange.read_offers",)
ROLE_OF = {OWN: Role.VOLUNTEER, OTHER: Role.VOLUNTEER, ORGANIZER: Role.VOLUNTEER, RIVAL: Role.VOLUNTEER,
           AUDITOR: Role.AUDITOR, ADMIN: Role.ADMIN}


def allowed_by_the_domain(row: Row) -> frozenset[str]:
    """The roles the domain's table lets through this row, given who holds which relation to its object."""
    actions, overrides = ACTIONS[row]
    return roles_allowed(actions, overrides)


def roles_allowed(actions: tuple[str, ...], overrides: dict[Relation, frozenset[str]] | None = None) -> frozenset[str]:
    """The roles that may do any of `actions` to an object, given who holds which relation to it."""
    holders = {**HOLDERS, **(overrides or {})}
    allowed = set()
    for role in ROLES:
        who = Actor(ROLE_OF[role], uuid4()) if role != ANONYMOUS else None
        facts = {name: role in holders[relation] for name, relation in
                 (("organizes", Relation.ORGANIZER), ("party", Relation.PARTY), ("creator", Relation.CREATOR), ("payee", Relation.PAYEE),
                  ("inspector", Relation.INSPECTOR))}
        about = who.id if who is not None and role in holders[Relation.SELF] else uuid4()
        if any(permits(who, action, about=about, **facts) for action in actions):
            allowed.add(role)
    return frozenset(allowed)


# Business refusals an allowed role may meet with these requests (authorization passed).
TOLERATED: dict[tuple[Row, str], tuple[int, str]] = {
    (("/api/service-records/imports", "POST", "records for the organization's project, from CSV"), ORGANIZER): (422, "the matrix sends JSON, not a CSV file"),
    (("/api/exchanges/<uuid:exchange_id>/offers", "POST", "the volunteer's open request"), OWN):
        (422, "members cannot offer help on their own request"),
    (("/api/volunteers/<uuid:volunteer_id>/star-level/nominations", "POST", "nominate the volunteer for five stars"), ORGANIZER):
        (422, "the volunteer holds no four stars yet"),
    (("/api/volunteers/<uuid:volunteer_id>/star-level/objections/<uuid:objection_id>/decision", "POST", "decide an objection"), ADMIN):
        (409, "the volunteer has no nomination in its notice"),
    **{(("/api/volunteers/<uuid:volunteer_id>/star-level/objections", "POST", "object to the volunteer's nomination"), role):
       (409, "the volunteer has no nomination in its notice") for role in VOLUNTEERS},
    **{(("/api/auth/logout", "POST", "the caller's own session"), role): (422, "the roles' tokens here are opaque, not a login's JWT")
       for role in MEMBERS},
}

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
INCENTIVE = {"title": "公园年票", "stock": 1000, "valid_from": "2026-11-01", "valid_until": "2026-12-31"}
PASSWORD = "lantern-42-river"
DISTRICT = "朝阳区"
NEED_PLACE = {"district": DISTRICT, "street": "三里屯街道", "community": "幸福村社区"}
SERVICE_DATE = "2026-11-17"  # the working day before the test clock's start
YEAR = 2026  # the test clock's year, for the key-project ledgers
EVIDENCE = "5e" * 32  # a SHA-256 digest in hex


# The world -------------------------------------------------------------------------------------
@dataclass
class World:
    app: Flask
    api: ApiClient
    services: Services
    clock: Clock
    walk: Walk  # organization A: verified, with its organizer, a project and a shift
    rival: Person  # the organizer of organization B
    auditor: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One store, app and background projector for the module (the per-test fixtures would take minutes)."""
    url = os.environ.get(DATABASE_URL_VAR) or None
    with fresh_schema(url) as schema:
        settings = Settings(
            database_url=url, database_schema=schema, data_dir=Path(tmp_path_factory.mktemp("authz")),
            secret_key="test-secret", calendar="weekdays", read_wait_seconds=5,
            rate_limit="100000/minute", login_rate_limit="100000/minute",
        )
        clock = Clock()
        services = build_services(settings, clock=clock)
        services.projector.start(0.01)
        try:
            app = create_app(settings, services=services)
            api = ApiClient(app.test_client())
            services.timebank.register_places(Actor(Role.ADMIN, uuid4()), [(DISTRICT, "三里屯街道", "幸福村社区")])
            walk = Walk(api, services, clock)
            rival = register(api, name="李对手")
            rival_org = expect(api.post("/api/organizations", {"name": "海淀志愿服务队", "district": "海淀区"}, rival.token), 201)["id"]
            expect(api.post(f"/api/organizations/{rival_org}/verify", token=walk.admin), 200)
            yield World(app, api, services, clock, walk, rival, walk.auditor())
        finally:
            services.projector.stop()
            services.close()


# One case: the objects it acts on, made afresh -------------------------------------------------
@dataclass
class Call:
    """The request every role makes; `check` looks at an allowed role's 2xx answer."""

    path: str
    json: Any = None
    check: Callable[[str, TestResponse], None] | None = None
    query: dict[str, Any] | None = None
    query: dict[str, Any] | None = None  # query parameters besides min_position


class Case:
    """One test case's cast and the fresh objects it acts on; each builder acts as a role allowed to."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.api = world.api
        self.walk = world.walk
        self.organizer = world.walk.organizer

    @cached_property
    def owner(self) -> Person:
        return register(self.api, name="张自己")

    @cached_property
    def other(self) -> Person:
        return register(self.api, name="赵别人")

    def third(self, name: str) -> Person:
        return register(self.api, name=name)

    def token(self, role: str) -> str | None:
        tokens: dict[str, Callable[[], str | None]] = {
            ANONYMOUS: lambda: None,
            OWN: lambda: self.owner.token,
            OTHER: lambda: self.other.token,
            ORGANIZER: lambda: self.organizer.token,
            RIVAL: lambda: self.world.rival.token,
            AUDITOR: lambda: self.world.auditor,
            ADMIN: lambda: self.walk.admin,
        }
        return tokens[role]()

    # Organizations and shifts.
    def unverified_organization(self) -> str:
        """A new organization of the organizer (so organizer_own is its organizer), not verified yet."""
        body = {"name": "新成立的服务队", "district": DISTRICT}
        organization_id: str = expect(self.api.post("/api/organizations", body, self.organizer.token), 201)["id"]
        return organization_id

    def second_organizer(self) -> tuple[str, str]:
        """(organization, volunteer): a new organization of the organizer with a second organizer."""
        organization_id = self.unverified_organization()
        second = self.third("吴副队长")
        expect(self.api.post(f"/api/organizations/{organization_id}/organizers", {"volunteer_id": second.id}, self.organizer.token), 201)
        return organization_id, second.id

    def shift(self) -> str:
        return self.walk.add_shift()

    # Needs and proposals.
    def need_body(self) -> dict[str, Any]:
        start = self.world.clock() + timedelta(days=1)
        return {"organization_id": self.walk.organization_id, "project_id": self.walk.project_id, "title": "陪老人就医",
                "content": "陪同去医院", **NEED_PLACE, "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=2)).isoformat(), "volunteers_needed": 2}

    def need(self) -> str:
        need_id: str = expect(self.api.post("/api/needs", self.need_body(), self.organizer.token), 201)["id"]
        return need_id

    def proposal(self) -> tuple[str, str]:
        """(need, proposal): the owner, free every day at any hour, proposed for a new need of the organization."""
        need_id = self.need()
        whole_days = [{"weekday": day, "start": "00:00", "end": "24:00"} for day in range(7)]
        owner = UUID(self.owner.id)
        self.world.services.timebank.offer_supply(Actor(Role.VOLUNTEER, owner), owner, availability=whole_days)
        self.world.services.timebank.record_run(
            Actor(Role.ADMIN, uuid4()), [Pairing(UUID(need_id), UUID(self.owner.id), 0.5, {})], needs=1, slots=2, solver="test", districts=[]
        )
        return need_id, str(Proposal.create_id(UUID(need_id), UUID(self.owner.id)))

    def signed_up(self) -> str:
        shift_id = self.shift()
        expect(self.walk.sign_up(self.owner, shift_id), 201)
        return shift_id

    def checked_in(self) -> str:
        """The owner checked in half an hour ago (check-in opens 2 h before the shift, which starts in 1 h)."""
        shift_id = self.signed_up()
        expect(self.walk.check_in(self.owner, shift_id, at=(self.world.clock() - timedelta(minutes=30)).isoformat()), 201)
        return shift_id

    # Service records.
    def pending_record(self) -> str:
        return self.walk.declared(self.owner, minutes=120, service_date=SERVICE_DATE)

    def confirmed_record(self) -> str:
        record_id = self.pending_record()
        expect(self.walk.confirm(record_id), 200)
        return record_id

    def owner_with_password(self) -> str:
        expect(self.api.post("/api/auth/password", {"password": PASSWORD}, self.owner.token), 204)
        return self.owner.volunteer_number

    def login(self) -> dict[str, Any]:
        body = {"login": self.owner_with_password(), "password": PASSWORD}
        tokens: dict[str, Any] = expect(self.api.post("/api/auth/login", body), 200)
        return tokens

    def owner_with_a_record(self) -> str:
        self.pending_record()
        return self.owner.id

    def organization_with_a_record(self) -> str:
        self.pending_record()
        return self.walk.organization_id

    # The ledger.
    @cached_property
    def funded(self) -> str:
        """The owner's account, holding the credits of a confirmed record of 120 minutes."""
        self.confirmed_record()
        return account_of(self.owner.id)

    def owner_with_credits(self) -> str:
        assert self.funded
        return self.owner.id

    def payment(self, **extra: Any) -> dict[str, Any]:
        """A transfer body: 20 credit-minutes from the owner's funded account to a third member."""
        payee = account_of(self.third("孙收款").id)
        return {"debit_account_id": self.funded, "credit_account_id": payee, "minutes": 20, "kind": "exchange", **extra}

    def grant_from(self, account_id: str, to: str | None = None) -> dict[str, Any]:
        """A grant body from `account_id` (first funded by the owner's donation) to the owner (or `to`)."""
        donation = {"debit_account_id": self.funded, "credit_account_id": account_id, "minutes": 60, "kind": "donation"}
        expect(self.api.post("/api/transfers", donation, self.owner.token), 201)
        payee = account_of(to or self.owner.id)
        return {"debit_account_id": account_id, "credit_account_id": payee, "minutes": 10, "kind": "grant", "note": "奖励"}

    def transfer(self, pending: bool = False) -> str:
        transfer_id: str = expect(self.api.post("/api/transfers", self.payment(pending=pending), self.owner.token), 201)["id"]
        return transfer_id

    # Incentives.
    def incentive(self, by_admin: bool = False) -> str:
        body = INCENTIVE if by_admin else {**INCENTIVE, "organization_id": self.walk.organization_id}
        incentive_id: str = expect(self.api.post("/api/incentives", body, self.walk.admin if by_admin else self.organizer.token), 201)["id"]
        return incentive_id

    def redeemed(self, by_admin: bool) -> Call:
        """A fresh incentive the owner redeemed, and its code for the provider to use."""
        incentive_id = self.incentive(by_admin)
        code = expect(self.api.post(f"/api/incentives/{incentive_id}/redemptions", {}, self.owner.token), 201)["code"]
        return Call(f"/api/incentives/{incentive_id}/redemptions/use", {"code": code})

    # Exchanges.
    def exchange(self) -> str:
        body = {"title": "帮忙买菜", "minutes": 30, "district": DISTRICT}
        exchange_id: str = expect(self.api.post("/api/exchanges", body, self.owner.token), 201)["id"]
        return exchange_id

    def on_the_board(self) -> str:
        self.exchange()
        return "/api/exchanges"

    def offered(self) -> tuple[str, str]:
        """(exchange, helper): the owner (with credits to hold) asked for help and a third member offered it."""
        assert self.funded
        exchange_id = self.exchange()
        helper = self.third("周帮忙")
        expect(self.api.post(f"/api/exchanges/{exchange_id}/offers", {}, helper.token), 201)
        return exchange_id, helper.id

    def certificate(self) -> str:
        """The number of a certificate the organizer issued of the owner's confirmed record."""
        body = {"volunteer_id": self.owner.id, "organization_id": self.walk.organization_id, "record_ids": [self.confirmed_record()]}
        number: str = expect(self.api.post("/api/certificates", body, self.organizer.token), 201)["number"]
        return number

    # The audit log.
    def checkpoint(self) -> int:
        """A signed checkpoint of everything stored so far (an event is stored first, so it grows); its tree size."""
        self.third("钱审计")
        run_audit_checkpoint(self.world.services)
        audit = self.world.services.audit
        assert audit is not None
        return audit.size()

    def with_a_checkpoint(self) -> str:
        self.checkpoint()
        return "/api/audit/checkpoints"

    def two_checkpoints(self) -> tuple[int, int]:
        return self.checkpoint(), self.checkpoint()

    def accepted(self) -> str:
        exchange_id, helper_id = self.offered()
        expect(self.api.post(f"/api/exchanges/{exchange_id}/accept", {"provider_id": helper_id}, self.owner.token), 200)
        return exchange_id

    # Key-project ledgers and problem lists.
    def verified_organization(self) -> str:
        organization_id = self.unverified_organization()
        expect(self.api.post(f"/api/organizations/{organization_id}/verify", {}, self.walk.admin), 200)
        return organization_id

    def free_station(self) -> dict[str, str]:
        """A community of the organizations' district, registered a moment ago: no organization runs its station."""
        place = {"district": DISTRICT, "street": "测试街道（合成）", "community": f"测试社区{uuid4().hex[:6]}（合成）"}
        expect(self.api.post("/api/places", {"rows": [place]}, self.walk.admin), 201)
        return place

    @cached_property
    def member_unit(self) -> str:
        """A fresh member unit of the organizer (so each case has the whole quota of its year)."""
        unit = self.verified_organization()
        expect(self.api.post("/api/member-units", {"organization_id": unit}, self.walk.admin), 201)
        return unit

    def key_project(self) -> str:
        body = {"organization_id": self.member_unit, "year": YEAR, "category": "文明宣传", "title": "文明家庭评选"}
        project_id: str = expect(self.api.post("/api/key-projects", body, self.organizer.token), 201)["id"]
        return project_id

    def unit_query(self) -> dict[str, Any]:
        self.key_project()
        return {"year": YEAR, "organization_id": self.member_unit}

    @cached_property
    def inspector(self) -> Person:
        """The owner, appointed inspector (督查) by the office."""
        expect(self.api.post("/api/inspectors", {"volunteer_id": self.owner.id}, self.walk.admin), 201)
        return self.owner

    def appointed(self) -> str:
        person = self.third("郑督查")
        expect(self.api.post("/api/inspectors", {"volunteer_id": person.id}, self.walk.admin), 201)
        return person.id

    def problem_body(self, appoint: bool = False) -> dict[str, Any]:
        """A problem of the case's member unit; `appoint` first makes the owner an inspector, who records it."""
        if appoint:
            assert self.inspector
        deadline = local_date(self.world.clock()) + timedelta(days=7)
        return {"organization_id": self.member_unit, "district": DISTRICT, "area_level": "community", "area_name": "三里屯社区",
                "category": "环境卫生", "description": "垃圾分类宣传栏缺失", "evidence_digests": [EVIDENCE], "deadline": deadline.isoformat()}

    def problem(self) -> str:
        problem_id: str = expect(self.api.post("/api/problems", self.problem_body(), self.inspector.token), 201)["id"]
        return problem_id

    def with_a_problem(self, **query: Any) -> dict[str, Any]:
        self.problem()
        return query

    def rectified_problem(self) -> str:
        problem_id = self.problem()
        body = {"description": "已补设宣传栏", "evidence_digests": [EVIDENCE]}
        expect(self.api.post(f"/api/problems/{problem_id}/rectification", body, self.organizer.token), 201)
        return problem_id

    def passed_problem(self) -> str:
        problem_id = self.rectified_problem()
        expect(self.api.post(f"/api/problems/{problem_id}/recheck", {"outcome": "passed"}, self.inspector.token), 200)
        return problem_id


def account_of(owner_id: str) -> str:
    return str(TimeAccount.create_id(UUID(owner_id)))


def roster_only_for(roles: frozenset[str]) -> Callable[[str, TestResponse], None]:
    def check(role: str, response: TestResponse) -> None:
        assert ("roster" in response.get_json()) == (role in roles), f"the roster shown to {role}: {response.get_json()}"
    return check


def offers_only_for(roles: frozenset[str]) -> Callable[[str, TestResponse], None]:
    def check(role: str, response: TestResponse) -> None:
        offers = response.get_json()["offers"]
        assert bool(offers) == (role in roles), f"offers shown to {role}: {offers}"
    return check


def _all_decided(role: str, response: TestResponse) -> None:
    body = response.get_json()
    assert (body["decided"], body["refused"]) == (1, 0), f"{role}: {body}"


def _acceptance(exchange_id: str, helper_id: str) -> Call:
    return Call(f"/api/exchanges/{exchange_id}/accept", {"provider_id": helper_id})


# How each row's request is made, on fresh objects. Keyed like POLICY.
SCENARIOS: dict[Row, Callable[[Case], Call]] = {
    ("/", "GET", "service index"): lambda c: Call("/"),
    ("/healthz", "GET", "liveness probe"): lambda c: Call("/healthz"),
    ("/readyz", "GET", "readiness probe"): lambda c: Call("/readyz"),
    ("/metrics", "GET", "Prometheus metrics"): lambda c: Call("/metrics"),
    ("/api/admin/jobs", "GET", "the clock's jobs"): lambda c: Call("/api/admin/jobs"),
    ("/api/incentives", "POST", "an incentive of the organization"):
        lambda c: Call("/api/incentives", {**INCENTIVE, "organization_id": c.walk.organization_id}),
    ("/api/incentives", "POST", "an admin's incentive"): lambda c: Call("/api/incentives", INCENTIVE),
    ("/api/incentives", "GET", "the catalog"): lambda c: Call("/api/incentives"),
    ("/api/incentives/<uuid:incentive_id>", "GET", "an incentive"): lambda c: Call(f"/api/incentives/{c.incentive()}"),
    ("/api/incentives/<uuid:incentive_id>/redemptions", "POST", "redeem an incentive"):
        lambda c: Call(f"/api/incentives/{c.incentive()}/redemptions", {}),
    ("/api/incentives/<uuid:incentive_id>/redemptions/use", "POST", "a code of the organization's incentive"):
        lambda c: c.redeemed(by_admin=False),
    ("/api/incentives/<uuid:incentive_id>/redemptions/use", "POST", "a code of an admin's incentive"):
        lambda c: c.redeemed(by_admin=True),
    ("/api/volunteers/<uuid:volunteer_id>/star-level", "GET", "the volunteer's star level"):
        lambda c: Call(f"/api/volunteers/{c.owner.id}/star-level"),
    ("/api/volunteers/<uuid:volunteer_id>/star-level/nominations", "POST", "nominate the volunteer for five stars"):
        lambda c: Call(f"/api/volunteers/{c.owner.id}/star-level/nominations", {"organization_id": c.walk.organization_id, "reason": "模范"}),
    ("/api/volunteers/<uuid:volunteer_id>/star-level/objections", "POST", "object to the volunteer's nomination"):
        lambda c: Call(f"/api/volunteers/{c.owner.id}/star-level/objections", {"reason": "存疑"}),
    ("/api/volunteers/<uuid:volunteer_id>/star-level/objections/<uuid:objection_id>/decision", "POST", "decide an objection"):
        lambda c: Call(f"/api/volunteers/{c.owner.id}/star-level/objections/{uuid4()}/decision", {"upheld": False, "reason": "无误"}),
    ("/api/health", "GET", "liveness"): lambda c: Call("/api/health"),
    ("/api/rules", "GET", "the rule sets"): lambda c: Call("/api/rules"),
    ("/openapi.json", "GET", "OpenAPI document"): lambda c: Call("/openapi.json"),
    ("/docs", "GET", "Swagger UI"): lambda c: Call("/docs"),
    ("/docs-assets/<path:filename>", "GET", "Swagger UI asset"): lambda c: Call("/docs-assets/swagger-ui-bundle.js"),
    ("/static/<path:filename>", "GET", "Flask's static route (no static folder)"): lambda c: Call("/static/index.html"),
    ("/api/volunteers", "POST", "registration"): lambda c: Call("/api/volunteers", registration(name="新志愿者")),
    ("/api/vocabulary", "GET", "skills and categories"): lambda c: Call("/api/vocabulary"),
    ("/api/places", "GET", "the practice hierarchy"): lambda c: Call("/api/places"),
    ("/api/places", "POST", "institutes and stations"):
        lambda c: Call("/api/places", {"rows": [{"district": "延庆区", "street": f"测试街道{uuid4().hex[:6]}（合成）", "community": ""}]}),
    ("/api/volunteers/<uuid:volunteer_id>", "GET", "a volunteer's profile"): lambda c: Call(f"/api/volunteers/{c.owner.id}"),
    ("/api/volunteers/<uuid:volunteer_id>/service-records", "GET", "a volunteer's records"):
        lambda c: Call(f"/api/volunteers/{c.owner_with_a_record()}/service-records"),
    ("/api/volunteers/<uuid:volunteer_id>/personal-data", "DELETE", "a volunteer's personal data (erasure)"):
        lambda c: Call(f"/api/volunteers/{c.owner.id}/personal-data"),
    ("/api/auth/login", "POST", "the volunteer's number and password"):
        lambda c: Call("/api/auth/login", {"login": c.owner_with_password(), "password": PASSWORD}),
    ("/api/auth/code", "POST", "a code for the volunteer's phone"): lambda c: Call("/api/auth/code", {"login": c.owner.volunteer_number}),
    ("/api/auth/refresh", "POST", "the volunteer's refresh token"):
        lambda c: Call("/api/auth/refresh", {"refresh_token": c.login()["refresh_token"]}),
    ("/api/auth/password", "POST", "the caller's own password"): lambda c: Call("/api/auth/password", {"password": PASSWORD}),
    ("/api/auth/logout", "POST", "the caller's own session"): lambda c: Call("/api/auth/logout", {}),
    ("/api/auth/sessions/<uuid:session_id>/revoke", "POST", "the volunteer's login session"):
        lambda c: Call(f"/api/auth/sessions/{c.login()['session_id']}/revoke", {}),
    ("/api/auth/tokens/revoke", "POST", "an opaque token the caller holds"):
        lambda c: Call("/api/auth/tokens/revoke", {"token": c.third("王临时").token}),
    ("/api/organizations", "POST", "a new organization"):
        lambda c: Call("/api/organizations", {"name": "朝阳区助老队", "district": DISTRICT, "description": "助老"}),
    ("/api/organizations/<uuid:organization_id>", "GET", "an organization (public to members)"):
        lambda c: Call(f"/api/organizations/{c.walk.organization_id}"),
    ("/api/organizations/<uuid:organization_id>/verify", "POST", "an unverified organization"):
        lambda c: Call(f"/api/organizations/{c.unverified_organization()}/verify", {}),
    ("/api/organizations/<uuid:organization_id>/station", "POST", "a verified organization and a free station"):
        lambda c: Call(f"/api/organizations/{c.verified_organization()}/station", c.free_station()),
    ("/api/organizations/<uuid:organization_id>/organizers", "POST", "add the volunteer as organizer"):
        lambda c: Call(f"/api/organizations/{c.unverified_organization()}/organizers", {"volunteer_id": c.owner.id}),
    ("/api/organizations/<uuid:organization_id>/organizers/<uuid:volunteer_id>", "DELETE", "a second organizer"):
        lambda c: Call("/api/organizations/{}/organizers/{}".format(*c.second_organizer())),
    ("/api/organizations/<uuid:organization_id>/service-records", "GET", "an organization's records"):
        lambda c: Call(f"/api/organizations/{c.organization_with_a_record()}/service-records"),
    ("/api/projects", "POST", "a project of the organization"):
        lambda c: Call("/api/projects", {"organization_id": c.walk.organization_id, "name": "社区清扫", "category": "community_service",
                                         "person_in_charge": "王老师"}),
    ("/api/projects/<uuid:project_id>", "GET", "a project (public to members)"): lambda c: Call(f"/api/projects/{c.walk.project_id}"),
    ("/api/projects", "GET", "the projects (public to members)"): lambda c: Call("/api/projects"),
    ("/api/shifts", "GET", "open shifts (public to members)"): lambda c: Call("/api/shifts"),
    ("/api/needs", "POST", "a need of the organization"): lambda c: Call("/api/needs", c.need_body()),
    ("/api/needs", "GET", "open needs (public to members)"): lambda c: Call("/api/needs"),
    ("/api/needs/<uuid:need_id>", "GET", "a need (public to members)"): lambda c: Call(f"/api/needs/{c.need()}"),
    ("/api/needs/<uuid:need_id>", "PATCH", "an open need"): lambda c: Call(f"/api/needs/{c.need()}", {"content": "改为下午"}),
    ("/api/needs/<uuid:need_id>/close", "POST", "an open need"): lambda c: Call(f"/api/needs/{c.need()}/close", {"reason": "不需要了"}),
    ("/api/needs/<uuid:need_id>/fill", "POST", "an open need"): lambda c: Call(f"/api/needs/{c.need()}/fill", {}),
    ("/api/needs/<uuid:need_id>/candidates", "GET", "a need's ranked candidates"): lambda c: Call(f"/api/needs/{c.need()}/candidates"),
    ("/api/needs/<uuid:need_id>/proposals", "GET", "a need's proposals"): lambda c: Call(f"/api/needs/{c.proposal()[0]}/proposals"),
    ("/api/volunteers/<uuid:volunteer_id>/availability", "GET", "what the volunteer offers"):
        lambda c: Call(f"/api/volunteers/{c.owner.id}/availability"),
    ("/api/volunteers/<uuid:volunteer_id>/availability", "PUT", "what the volunteer offers"):
        lambda c: Call(f"/api/volunteers/{c.owner.id}/availability", {"availability": [{"weekday": 5, "start": "09:00", "end": "12:00"}]}),
    ("/api/matching/runs", "POST", "an assignment run"): lambda c: Call("/api/matching/runs", {"district": "延庆区"}),
    ("/api/proposals/<uuid:proposal_id>", "GET", "a proposal of the volunteer"): lambda c: Call(f"/api/proposals/{c.proposal()[1]}"),
    ("/api/proposals/<uuid:proposal_id>/accept", "POST", "a proposal of the volunteer"):
        lambda c: Call(f"/api/proposals/{c.proposal()[1]}/accept", {}),
    ("/api/proposals/<uuid:proposal_id>/decline", "POST", "a proposal of the volunteer"):
        lambda c: Call(f"/api/proposals/{c.proposal()[1]}/decline", {"reason": "没空"}),
    ("/api/projects/<uuid:project_id>/shifts", "GET", "a project's shifts (public to members)"):
        lambda c: Call(f"/api/projects/{c.walk.project_id}/shifts"),
    ("/api/projects/<uuid:project_id>/shifts", "POST", "a new shift"):
        lambda c: Call(f"/api/projects/{c.walk.project_id}/shifts", c.walk.shift_body()),
    ("/api/shifts/<uuid:shift_id>", "GET", "a shift (public; roster for organizer and readers)"):
        lambda c: Call(f"/api/shifts/{c.signed_up()}", check=roster_only_for(roles_allowed(ROSTER))),
    ("/api/shifts/<uuid:shift_id>/signups", "POST", "sign the volunteer up"):
        lambda c: Call(f"/api/shifts/{c.shift()}/signups", {"volunteer_id": c.owner.id}),
    ("/api/shifts/<uuid:shift_id>/signups/<uuid:volunteer_id>", "DELETE", "the volunteer's sign-up"):
        lambda c: Call(f"/api/shifts/{c.signed_up()}/signups/{c.owner.id}"),
    ("/api/shifts/<uuid:shift_id>/check-ins", "POST", "check the volunteer in"):
        lambda c: Call(f"/api/shifts/{c.signed_up()}/check-ins", {"volunteer_id": c.owner.id}),
    ("/api/shifts/<uuid:shift_id>/check-outs", "POST", "check the volunteer out"):
        lambda c: Call(f"/api/shifts/{c.checked_in()}/check-outs", {"volunteer_id": c.owner.id}),
    ("/api/service-records", "POST", "the caller's own declaration"):
        lambda c: Call("/api/service-records", {"project_id": c.walk.project_id, "service_date": SERVICE_DATE, "service_minutes": 90,
                                                "content": "陪老人聊天"}),
    ("/api/service-records/batch", "POST", "bulk entry for the organization's project"):
        lambda c: Call("/api/service-records/batch", {"project_id": c.walk.project_id, "entries": [
            {"volunteer_id": c.owner.id, "service_date": SERVICE_DATE, "service_minutes": 120, "content": "社区清扫"}]}),
    ("/api/service-records/confirmations", "POST", "pending records of the organization"):
        lambda c: Call("/api/service-records/confirmations", {"record_ids": [c.pending_record()]}, check=_all_decided),
    ("/api/service-records/rejections", "POST", "pending records of the organization"):
        lambda c: Call("/api/service-records/rejections", {"record_ids": [c.pending_record()], "reason": "当天未见到本人"}, check=_all_decided),
    # The matrix sends JSON; an import reads CSV, so an organizer's request passes authorization and is refused as a file
    # (tests/api/test_record_import.py imports real files).
    ("/api/service-records/imports", "POST", "records for the organization's project, from CSV"):
        lambda c: Call("/api/service-records/imports", {}, query={"project_id": c.walk.project_id}),
    ("/api/service-records/<uuid:record_id>", "GET", "the volunteer's record"): lambda c: Call(f"/api/service-records/{c.pending_record()}"),
    ("/api/service-records/<uuid:record_id>/confirm", "POST", "a pending record"):
        lambda c: Call(f"/api/service-records/{c.pending_record()}/confirm", {}),
    ("/api/service-records/<uuid:record_id>/reject", "POST", "a pending record"):
        lambda c: Call(f"/api/service-records/{c.pending_record()}/reject", {"reason": "当天未见到本人"}),
    ("/api/service-records/<uuid:record_id>/corrections", "POST", "a confirmed record"):
        lambda c: Call(f"/api/service-records/{c.confirmed_record()}/corrections", {"service_minutes": 60, "reason": "签退时间记错"}),
    ("/api/service-records/<uuid:record_id>/revoke", "POST", "a confirmed record"):
        lambda c: Call(f"/api/service-records/{c.confirmed_record()}/revoke", {"reason": "重复记录"}),
    ("/api/accounts", "GET", "all accounts"): lambda c: Call("/api/accounts"),
    ("/api/accounts/pools", "GET", "district pools (public to members)"): lambda c: Call("/api/accounts/pools"),
    ("/api/accounts/system", "GET", "issuance and redemption (public to members)"): lambda c: Call("/api/accounts/system"),
    ("/api/accounts/<uuid:account_id>", "GET", "a volunteer's account"): lambda c: Call(f"/api/accounts/{c.owner_with_credits()}"),
    ("/api/accounts/<uuid:account_id>", "GET", "an organization's account"): lambda c: Call(f"/api/accounts/{c.walk.organization_id}"),
    ("/api/accounts/<uuid:account_id>", "GET", "a district pool"): lambda c: Call(f"/api/accounts/{pool_account_id(DISTRICT)}"),
    ("/api/accounts/<uuid:account_id>/statement", "GET", "a volunteer's account"):
        lambda c: Call(f"/api/accounts/{c.owner_with_credits()}/statement"),
    ("/api/accounts/<uuid:account_id>/statement.csv", "GET", "a volunteer's account"):
        lambda c: Call(f"/api/accounts/{c.owner_with_credits()}/statement.csv"),
    ("/api/accounts/<uuid:account_id>/totals", "GET", "a volunteer's account"):
        lambda c: Call(f"/api/accounts/{c.owner_with_credits()}/totals"),
    ("/api/transfers", "POST", "exchange from the volunteer's account"): lambda c: Call("/api/transfers", c.payment()),
    ("/api/transfers", "POST", "grant from the organization's account"):
        lambda c: Call("/api/transfers", c.grant_from(account_of(c.walk.organization_id))),
    ("/api/transfers", "POST", "grant from the organization's account to its organizer"):
        lambda c: Call("/api/transfers", c.grant_from(account_of(c.walk.organization_id), to=c.organizer.id)),
    ("/api/transfers", "POST", "grant from a district pool"): lambda c: Call("/api/transfers", c.grant_from(str(pool_account_id(DISTRICT)))),
    ("/api/transfers", "POST", "correction from issuance"):
        lambda c: Call("/api/transfers", {"debit_account_id": str(ISSUANCE_ACCOUNT_ID), "credit_account_id": account_of(c.owner.id),
                                          "minutes": 10, "kind": "correction", "note": "补录漏记的时长"}),
    ("/api/transfers/batch", "POST", "exchanges from the volunteer's account"):
        lambda c: Call("/api/transfers/batch", {"transfers": [c.payment(), c.payment()]}),
    ("/api/transfers/<uuid:transfer_id>", "GET", "the volunteer's transfer to a third member"): lambda c: Call(f"/api/transfers/{c.transfer()}"),
    ("/api/transfers/<uuid:transfer_id>/post", "POST", "the volunteer's pending transfer"):
        lambda c: Call(f"/api/transfers/{c.transfer(pending=True)}/post", {"minutes": 10}),
    ("/api/transfers/<uuid:transfer_id>/void", "POST", "the volunteer's pending transfer"):
        lambda c: Call(f"/api/transfers/{c.transfer(pending=True)}/void", {"reason": "不需要了"}),
    ("/api/exchanges", "POST", "the caller's own request"):
        lambda c: Call("/api/exchanges", {"title": "帮忙修电脑", "description": "周六上午", "minutes": 60, "district": DISTRICT}),
    ("/api/exchanges", "GET", "the board"): lambda c: Call(c.on_the_board()),
    ("/api/exchanges/<uuid:exchange_id>", "GET", "the volunteer's request (offers for parties and readers)"):
        lambda c: Call(f"/api/exchanges/{c.offered()[0]}", check=offers_only_for(roles_allowed(OFFERS))),
    ("/api/exchanges/<uuid:exchange_id>/offers", "POST", "the volunteer's open request"):
        lambda c: Call(f"/api/exchanges/{c.exchange()}/offers", {}),
    ("/api/exchanges/<uuid:exchange_id>/accept", "POST", "the volunteer's request with an offer"):
        lambda c: _acceptance(*c.offered()),
    ("/api/exchanges/<uuid:exchange_id>/confirm", "POST", "the volunteer's accepted request"):
        lambda c: Call(f"/api/exchanges/{c.accepted()}/confirm", {"minutes": 30}),
    ("/api/exchanges/<uuid:exchange_id>/cancel", "POST", "the volunteer's open request"):
        lambda c: Call(f"/api/exchanges/{c.exchange()}/cancel", {"reason": "已经不需要了"}),
    ("/api/member-units", "POST", "a verified organization"):
        lambda c: Call("/api/member-units", {"organization_id": c.verified_organization()}),
    ("/api/member-units", "GET", "the member units"): lambda c: Call("/api/member-units"),
    ("/api/key-projects", "POST", "a project of the member unit"):
        lambda c: Call("/api/key-projects", {"organization_id": c.member_unit, "year": YEAR, "category": "制度建设", "title": "志愿服务制度"}),
    ("/api/key-projects", "GET", "the unit's ledger of the year"): lambda c: Call("/api/key-projects", query=c.unit_query()),
    ("/api/key-projects/completion", "GET", "the year's completion (counts)"):
        lambda c: Call("/api/key-projects/completion", query={"year": YEAR}),
    ("/api/key-projects/ledger.csv", "GET", "the unit's ledger of the year"): lambda c: Call("/api/key-projects/ledger.csv", query=c.unit_query()),
    ("/api/key-projects/<uuid:project_id>", "GET", "the unit's project"): lambda c: Call(f"/api/key-projects/{c.key_project()}"),
    ("/api/key-projects/<uuid:project_id>/progress", "POST", "the unit's project"):
        lambda c: Call(f"/api/key-projects/{c.key_project()}/progress", {"text": "完成第一季度评选"}),
    ("/api/key-projects/<uuid:project_id>/half-year-check", "POST", "the unit's project"):
        lambda c: Call(f"/api/key-projects/{c.key_project()}/half-year-check", {"findings": "按计划推进", "suggestions": "扩大覆盖面"}),
    ("/api/key-projects/<uuid:project_id>/close-out", "POST", "the unit's project"):
        lambda c: Call(f"/api/key-projects/{c.key_project()}/close-out", {"report": "年度总结", "attachment_digests": [EVIDENCE]}),
    ("/api/key-projects/<uuid:project_id>/carry-over", "POST", "the unit's project"):
        lambda c: Call(f"/api/key-projects/{c.key_project()}/carry-over", {"reason": "跨年度实施"}),
    ("/api/key-projects/<uuid:project_id>/close-unfinished", "POST", "the unit's project"):
        lambda c: Call(f"/api/key-projects/{c.key_project()}/close-unfinished", {"reason": "任务调整"}),
    ("/api/inspectors", "POST", "a volunteer to appoint"): lambda c: Call("/api/inspectors", {"volunteer_id": c.third("冯候选").id}),
    ("/api/inspectors/<uuid:volunteer_id>", "DELETE", "an inspector"): lambda c: Call(f"/api/inspectors/{c.appointed()}"),
    ("/api/problems", "POST", "a problem of a member unit"): lambda c: Call("/api/problems", c.problem_body(appoint=True)),
    ("/api/problems", "GET", "every unit's problems"): lambda c: Call("/api/problems", query=c.with_a_problem(status="open")),
    ("/api/problems", "GET", "the unit's problems"): lambda c: Call("/api/problems", query=c.with_a_problem(organization_id=c.member_unit)),
    ("/api/problems/bulletin", "GET", "the public bulletin (通报)"): lambda c: Call("/api/problems/bulletin", query={"year": YEAR}),
    ("/api/problems/<uuid:problem_id>", "GET", "the unit's problem"): lambda c: Call(f"/api/problems/{c.problem()}"),
    ("/api/problems/<uuid:problem_id>/history", "GET", "the unit's problem"): lambda c: Call(f"/api/problems/{c.problem()}/history"),
    ("/api/problems/<uuid:problem_id>/rectification", "POST", "the unit's open problem"):
        lambda c: Call(f"/api/problems/{c.problem()}/rectification", {"description": "已整改", "evidence_digests": [EVIDENCE]}),
    ("/api/problems/<uuid:problem_id>/recheck", "POST", "the unit's rectified problem"):
        lambda c: Call(f"/api/problems/{c.rectified_problem()}/recheck", {"outcome": "reopened", "note": "仍有缺失"}),
    ("/api/problems/<uuid:problem_id>/close", "POST", "the unit's problem that passed its re-check"):
        lambda c: Call(f"/api/problems/{c.passed_problem()}/close", {"note": "销账"}),
    ("/api/reconciliation", "GET", "the whole ledger"): lambda c: Call("/api/reconciliation"),
    ("/api/certificates", "POST", "the volunteer's confirmed records"):
        lambda c: Call("/api/certificates", {"volunteer_id": c.owner.id, "organization_id": c.walk.organization_id,
                                             "record_ids": [c.confirmed_record()]}),
    ("/api/certificates/<string:number>/verification", "GET", "a certificate"): lambda c: Call(f"/api/certificates/{c.certificate()}/verification"),
    ("/api/certificates/<string:number>/revoke", "POST", "a current certificate"):
        lambda c: Call(f"/api/certificates/{c.certificate()}/revoke", {"reason": "记录有误"}),
    ("/api/certificates/<string:number>.pdf", "GET", "the volunteer's certificate"): lambda c: Call(f"/api/certificates/{c.certificate()}.pdf"),
    ("/api/audit/public-key", "GET", "the checkpoints' public key"): lambda c: Call("/api/audit/public-key"),
    ("/api/audit/checkpoints", "GET", "the signed checkpoints"): lambda c: Call(c.with_a_checkpoint()),
    ("/api/audit/consistency", "GET", "two signed checkpoints"):
        lambda c: Call("/api/audit/consistency", query=dict(zip(("first", "second"), c.two_checkpoints(), strict=True))),
    ("/api/audit/proofs/<int:seq>", "GET", "a sealed entry"): lambda c: Call(f"/api/audit/proofs/{c.checkpoint()}"),
    ("/api/audit/events", "GET", "the whole event log"): lambda c: Call("/api/audit/events", query={"limit": 5}),
    ("/api/audit/flags", "GET", "integrity flags"): lambda c: Call("/api/audit/flags"),
    ("/api/audit/export/<any(events, records, statements):what>.jsonl", "GET", "every event"):
        lambda c: Call("/api/audit/export/events.jsonl"),
    ("/api/audit/export/<any(events, records, statements):what>.csv", "GET", "every event"):
        lambda c: Call("/api/audit/export/events.csv"),
    ("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the volunteer's service record"):
        lambda c: Call(f"/api/aggregates/{c.pending_record()}/events"),
    ("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the volunteer"): lambda c: Call(f"/api/aggregates/{c.owner.id}/events"),
    ("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the organization"):
        lambda c: Call(f"/api/aggregates/{c.walk.organization_id}/events"),
    ("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the unit's key project"):
        lambda c: Call(f"/api/aggregates/{c.key_project()}/events"),
    ("/api/aggregates/<uuid:aggregate_id>/events", "GET", "the volunteer's access token"):
        lambda c: Call(f"/api/aggregates/{token_id(c.owner.token)}/events"),
}


# The coverage of the table ---------------------------------------------------------------------
def _url_map(app: Flask) -> set[tuple[str, str]]:
    # The people's pages (api/pages/) apply the same table through api.auth; tests/web/ specifies their access.
    return {(rule.rule, method) for rule in app.url_map.iter_rules() if not rule.endpoint.startswith("pages.")
            for method in (rule.methods or set()) - SKIPPED_METHODS}


def _classified() -> set[tuple[str, str]]:
    return {(route, method) for route, method, _ in POLICY}


def test_every_route_in_the_url_map_is_classified(world: World) -> None:
    unclassified = sorted(_url_map(world.app) - _classified())
    assert not unclassified, f"classify these routes in POLICY (who may call them?): {unclassified}"


def test_every_row_of_the_policy_names_a_route_that_exists(world: World) -> None:
    gone = sorted(_classified() - _url_map(world.app))
    assert not gone, f"these POLICY rows name routes the app no longer has: {gone}"


def test_every_row_has_a_scenario_and_names_known_roles() -> None:
    assert set(SCENARIOS) == set(POLICY) == set(ACTIONS)
    assert all(roles <= ANYONE for roles in POLICY.values())
    assert all(row in POLICY and role in POLICY[row] for row, role in TOLERATED)


@pytest.mark.parametrize("row", list(POLICY), ids=[" ".join(row) for row in POLICY])
def test_the_domain_policy_table_says_what_the_spec_says(row: Row) -> None:
    assert allowed_by_the_domain(row) == POLICY[row]


def test_every_action_of_the_domain_table_is_exercised_by_a_route() -> None:
    used = {action for actions, _ in ACTIONS.values() for action in actions} | {*ROSTER, *OFFERS}
    assert used == set(PERMISSIONS)
    assert roles_allowed(ROSTER) == READERS | {ORGANIZER} and roles_allowed(OFFERS) == READERS | {OWN}


# The matrix ------------------------------------------------------------------------------------
def _case_id(row: Row, role: str) -> str:
    route, method, what = row
    return f"{method} {route} [{what}] as {role}"


CASES = [(row, role) for row in POLICY for role in ROLES]


@pytest.mark.parametrize(("row", "role"), CASES, ids=[_case_id(row, role) for row, role in CASES])
def test_authorization(world: World, row: Row, role: str) -> None:
    route, method, _ = row
    case = Case(world)
    call = SCENARIOS[row](case)
    token = case.token(role)
    query = {**(call.query or {}), **({"min_position": world.api.position} if method == "GET" and world.api.position else {})} or None
    query = {**(call.query or {}), **({"min_position": world.api.position} if method == "GET" and world.api.position else {})}
    before = event_count(world.services)

    response = world.api.request(method, call.path, token=token, json=call.json, query=query)

    status, body = response.status_code, response.get_data()[:300].decode(errors="replace")  # a PDF is not text
    if route.startswith("/static/"):
        # Flask's built-in route, public by nature; this app has no static folder, so it serves nothing to anyone.
        assert status == 404, f"expected 404 for everyone, got {status} {body}"
    elif role in allowed_by_the_domain(row):
        assert status not in (401, 403, 404), f"{role} is allowed but was refused: {status} {body}"
        tolerated = TOLERATED.get((row, role))
        if tolerated and status == tolerated[0]:
            return
        assert 200 <= status < 300, f"{role} is allowed but got {status}: {body}"
        if call.check:
            call.check(role, response)
    else:
        expected = {401} if role == ANONYMOUS else {403, 404}
        assert status in expected, f"UNEXPECTED {status} for {role} (expected {sorted(expected)}): {body}"
        assert event_count(world.services) == before, f"the refused request by {role} wrote events"


def test_a_refusal_is_the_same_for_objects_that_do_not_exist(world: World) -> None:
    """Hidden objects are reported as not found: a stranger cannot tell hidden from absent."""
    case = Case(world)
    unknown = "5d2a6c1e-0000-4000-8000-000000000000"
    for path in (f"/api/volunteers/{case.owner.id}", f"/api/accounts/{case.owner.id}", f"/api/service-records/{case.pending_record()}"):
        hidden = world.api.get(path, case.other.token)
        absent = world.api.get(path.rsplit("/", 1)[0] + f"/{unknown}", case.other.token)
        assert (hidden.status_code, absent.status_code) == (404, 404)

