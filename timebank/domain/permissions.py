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
    AUDITOR = "auditor"  # reads everything, changes nothing
    ADMIN = "admin"


ANYONE, MEMBER, VOLUNTEER, SELF, ORGANIZER, PARTY, CREATOR, PAYEE, AUDITOR, ADMIN = tuple(Relation)
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
    "rules.read": _rule({MEMBER}, "the rule sets are read with a token"),
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
    # Certificates (谁记录谁证明); verifying one by its number is public.
    "certificate.issue": _rule({ORGANIZER}, "only the organization's organizers certify its records"),
    "certificate.revoke": _rule({ORGANIZER}, "only the issuing organization's organizers revoke its certificates"),
    "certificate.read": _rule({SELF, ORGANIZER} | READERS, "a certificate is its volunteer's, its organization's, auditors' and admins'"),
    # Audit.
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
    facts = ((ORGANIZER, organizes), (PARTY, party), (CREATOR, creator), (PAYEE, payee))
    return any(relation in allowed and _holds(fact) for relation, fact in facts)


def require(actor: Actor | None, action: str, *, field: str | None = None, **facts: object) -> None:
    """Raise Forbidden (naming the rule) unless the actor may do `action`."""
    if not permits(actor, action, **facts):  # type: ignore[arg-type]
        raise Forbidden(POLICY[action].refusal, field=field)
