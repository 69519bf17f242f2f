"""Who may do what: the whole access policy, reads and writes, in one table.

Each action names the relations to the object that allow it. Roles give some relations by
themselves (any token is a MEMBER, an auditor is an AUDITOR); the others are facts about the
object that the caller establishes (the actor is the volunteer it is about, organizes its
organization, is a party to it). The application checks commands against this table and the API
checks reads against it; the authorization-matrix test checks both against it, route by route.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from timebank.domain.actors import Actor, Role
from timebank.domain.errors import Forbidden


class Relation(str, Enum):
    ANYONE = "anyone"  # no token needed
    MEMBER = "member"  # any valid token
    VOLUNTEER = "volunteer"  # any volunteer's token (organizers are volunteers)
    SELF = "self"  # the volunteer the object is about (their profile, record, account, sign-up)
    ORGANIZER = "organizer"  # an organizer of the object's organization (谁组织谁记录)
    PARTY = "party"  # a party to a transfer or an exchange: acts for one of its accounts, or made it
    CREATOR = "creator"  # whoever made the object (a pending transfer)
    PAYEE = "payee"  # acts for the account a pending transfer would pay
    INSPECTOR = "inspector"  # a volunteer the civilization office appointed inspector (督查)
    AUDITOR = "auditor"  # reads everything, changes nothing
    ADMIN = "admin"


ANYONE, MEMBER, VOLUNTEER, SELF, ORGANIZER, PARTY, CREATOR, PAYEE, INSPECTOR, AUDITOR, ADMIN = tuple(Relation)
READERS = frozenset({AUDITOR, ADMIN})
ROLE_RELATIONS = {Role.VOLUNTEER: VOLUNTEER, Role.AUDITOR: AUDITOR, Role.ADMIN: ADMIN}


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[Relation]
    refusal: str  # what a refused caller is told


def _rule(allowed: set[Relation] | frozenset[Relation], refusal: str) -> Rule:
    return Rule(frozenset(allowed), refusal)


POLICY: dict[str, Rule] = {
    # The service's own pages, registration and logging in (the credential is in the body).
    "public": _rule({ANYONE}, ""),
    "rules.read": _rule({MEMBER}, "the rule sets and the vocabulary are read with a token"),
    "places.read": _rule({MEMBER}, "the practice hierarchy is public to members"),
    "places.register": _rule({ADMIN}, "only admins register institutes and stations"),
    "station.designate": _rule({ADMIN}, "only admins designate the organization that runs a station"),
    # Volunteers and their logins.
    "volunteer.read": _rule({SELF} | READERS, "a volunteer's profile and records are theirs, auditors' and admins'"),
    "volunteer.erase": _rule({SELF, ADMIN}, "personal data is erased by the volunteer or an admin"),
    "login.password": _rule({VOLUNTEER}, "only volunteers have passwords"),
    "login.revoke_own": _rule({MEMBER}, "log out or revoke a token you hold"),
    "session.revoke": _rule({SELF, ADMIN}, "a login session is ended by its volunteer or an admin"),
    # Organizations, projects and shifts.
    "organization.register": _rule({VOLUNTEER}, "organizations are registered by volunteers"),
    "organization.read": _rule({MEMBER}, "organizations are public to members"),
    "organization.verify": _rule({ADMIN}, "only admins verify organizations"),
    "organization.act": _rule({ORGANIZER}, "only the organization's organizers may do this"),
    "organization.read_records": _rule({ORGANIZER} | READERS, "only the organization's organizers, auditors and admins see this"),
    "project.read": _rule({MEMBER}, "projects and shifts are public to members"),
    "shift.roster": _rule({ORGANIZER} | READERS, "a shift's roster is its organization's organizers', auditors' and admins'"),
    "shift.sign_up": _rule({SELF, ORGANIZER}, "a volunteer acts for themself; an organizer for their organization"),
    # Matching (供需对接): needs are posted and decided with "organization.act"; read with "project.read".
    "supply.offer": _rule({SELF}, "a volunteer states their own availability"),
    "need.candidates": _rule({ORGANIZER} | READERS, "a need's candidates are its organization's organizers', auditors' and admins'"),
    "matching.run": _rule({ADMIN}, "only admins (and the nightly clock) run an assignment"),
    "proposal.read": _rule({SELF, ORGANIZER} | READERS, "a proposal is its volunteer's, its organization's, auditors' and admins'"),
    "proposal.accept": _rule({ORGANIZER}, "only the need's organizers accept a proposal"),
    "proposal.decline": _rule({SELF, ORGANIZER}, "a proposal is declined by its volunteer or the need's organizers"),
    # Service records.
    "record.declare": _rule({VOLUNTEER}, "this needs a volunteer's token"),
    "record.read": _rule({SELF, ORGANIZER} | READERS, "a record is its volunteer's, its organization's, auditors' and admins'"),
    "record.decide": _rule({ORGANIZER}, "only the organization's organizers confirm, reject, correct or revoke its records"),
    "record.request_correction": _rule({SELF}, "only the record's volunteer asks for a correction"),
    # The ledger.
    "account.list": _rule(READERS, "only auditors and admins list all accounts"),
    "account.read": _rule({SELF, ORGANIZER} | READERS, "an account is its owner's, auditors' and admins'"),
    "public_account.read": _rule({MEMBER}, "pools and system accounts are public to members"),
    "account.spend": _rule({SELF}, "members spend only from their own account"),
    "organization_account.grant": _rule({ORGANIZER}, "only organizers grant from their organization's account"),
    "pool.grant": _rule({ADMIN}, "only admins grant from a community pool"),
    "ledger.correct": _rule({ADMIN}, "only an admin corrects the ledger by hand"),
    "transfer.read": _rule({PARTY, CREATOR} | READERS, "a transfer is its parties', auditors' and admins'"),
    "transfer.post": _rule({CREATOR, ADMIN}, "only whoever created a pending transfer (or an admin) may post it"),
    "transfer.void": _rule({CREATOR, PAYEE, ADMIN}, "only whoever created a pending transfer, its payee or an admin may void it"),
    # Exchanges between members (SELF: the member who asked for help).
    "exchange.request": _rule({VOLUNTEER}, "this needs a volunteer's token"),
    "exchange.decide": _rule({SELF}, "only the member who asked for help may do this"),
    "exchange.cancel": _rule({PARTY}, "only the requester or the accepted provider may cancel an exchange"),
    "exchange.read": _rule({MEMBER}, "the exchange board is public to members"),
    "exchange.read_offers": _rule({PARTY} | READERS, "offers are seen by the parties, auditors and admins"),
    # Star levels (星级): the volunteer and readers see them; five stars by nomination, notice and objections.
    "star_level.read": _rule({SELF} | READERS, "a volunteer's star level is theirs, auditors' and admins'"),
    "star_level.nominate": _rule({ORGANIZER}, "only organizers of the nominating organization nominate for five stars"),
    "star_level.object": _rule({VOLUNTEER}, "objections are lodged by volunteers; admins decide them"),
    "star_level.decide_objection": _rule({ADMIN}, "only admins decide objections"),
    # Incentives (礼遇): organizers publish and provide their organization's, admins their own.
    "incentive.read": _rule({MEMBER}, "the incentive catalog is public to members"),
    "incentive.publish": _rule({ORGANIZER}, "organizers publish incentives for their organization"),
    "incentive.publish_own": _rule({ADMIN}, "incentives of no organization are published by admins"),
    "incentive.redeem": _rule({VOLUNTEER}, "only volunteers redeem incentives"),
    "incentive.use_code": _rule({ORGANIZER}, "only the offering organization's organizers use its redemption codes"),
    "own_incentive.use_code": _rule({ADMIN}, "only admins use the codes of incentives admins published"),
    # The civilization office's ledgers (the office acts with admin tokens; a member unit through its
    # organizers, ORGANIZER below; inspectors are volunteers the office appointed).
    "member_unit.designate": _rule({ADMIN}, "only the civilization office (an admin) designates member units"),
    "member_unit.read": _rule({MEMBER}, "member units are public to members"),
    "key_project.register": _rule({ORGANIZER}, "only the member unit's organizers register and report its key projects"),
    "key_project.read": _rule({ORGANIZER} | READERS, "a unit's key projects are its organizers', auditors' and the office's"),
    "key_project.completion": _rule({MEMBER}, "the completion counts are public to members"),
    "key_project.decide": _rule({ADMIN}, "only the civilization office (an admin) checks, closes out or carries over key projects"),
    "inspector.appoint": _rule({ADMIN}, "only the civilization office (an admin) appoints and dismisses inspectors"),
    "problem.inspect": _rule({INSPECTOR}, "only an inspector (督查) appointed by the office records, re-checks and closes problems"),
    "problem.list_all": _rule({INSPECTOR} | READERS, "every unit's problems are the inspectors', auditors' and the office's; pass organization_id"),
    "problem.read": _rule({INSPECTOR, ORGANIZER} | READERS, "a problem is the inspectors', its unit's organizers', auditors' and the office's"),
    "problem.rectify": _rule({ORGANIZER}, "only the responsible unit's organizers record its rectification"),
    # Certificates (谁记录谁证明); verifying one by its number is public.
    "certificate.issue": _rule({ORGANIZER}, "only the organization's organizers certify its records"),
    "certificate.revoke": _rule({ORGANIZER}, "only the issuing organization's organizers revoke its certificates"),
    "certificate.read": _rule({SELF, ORGANIZER} | READERS, "a certificate is its volunteer's, its organization's, auditors' and admins'"),
    # Audit and operations.
    "jobs.read": _rule(READERS, "only admins and auditors see the clock's jobs"),
    "ledger.reconcile": _rule(READERS, "only auditors and admins reconcile the ledger"),
    "audit.read": _rule(READERS, "only auditors and admins read the audit log, its proofs, flags and exports"),
    "secret.read": _rule(set(), "claims and tokens are nobody's history"),
}

Fact = bool | Callable[[], bool]


def _holds(fact: Fact) -> bool:
    return fact() if callable(fact) else fact


def permits(
    actor: Actor | None,
    action: str,
    *,
    about: object = None,
    organizes: Fact = False,
    party: Fact = False,
    creator: Fact = False,
    payee: Fact = False,
    inspector: Fact = False,
) -> bool:
    """Whether the actor may do `action` on an object. `about` is the id of the volunteer the
    object is about (SELF); the other facts may be callables, asked only when the rule needs them."""
    allowed = POLICY[action].allowed
    if ANYONE in allowed:
        return True
    if actor is None:
        return False
    if MEMBER in allowed or ROLE_RELATIONS.get(actor.role) in allowed:
        return True
    if actor.role is not Role.VOLUNTEER or actor.id is None:
        return False
    if SELF in allowed and about is not None and about == actor.id:
        return True
    facts = ((ORGANIZER, organizes), (PARTY, party), (CREATOR, creator), (PAYEE, payee), (INSPECTOR, inspector))
    return any(relation in allowed and _holds(fact) for relation, fact in facts)


def require(actor: Actor | None, action: str, *, field: str | None = None, **facts: object) -> None:
    """Raise Forbidden (naming the rule) unless the actor may do `action`."""
    if not permits(actor, action, **facts):  # type: ignore[arg-type]
        raise Forbidden(POLICY[action].refusal, field=field)
