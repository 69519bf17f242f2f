"""The time bank's rules for movements: what a member may ask to move, to whom, and the storage cap.

Pure functions over loaded accounts and facts; the application loads, asks, and saves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from timebank.domain.actors import Actor
from timebank.domain.errors import InvalidInput, RuleViolation
from timebank.domain.ids import REDEMPTION_ACCOUNT_ID, natural_id
from timebank.domain.ledger import (
    CAP_OVERFLOW,
    CORRECTION,
    DONATION,
    EXCHANGE,
    GIFT,
    GRANT,
    ORGANIZATION,
    POOL,
    REDEMPTION,
    VOLUNTEER,
    TimeAccount,
    Transfer,
    open_transfer,
)
from timebank.domain.permissions import require
from timebank.domain.places import BEIJING_DISTRICTS
from timebank.domain.rules import RuleSet

# Kinds a client may ask for; the others (service credits, revocations, overflow) follow other commands.
REQUESTABLE_KINDS = (EXCHANGE, GIFT, DONATION, REDEMPTION, GRANT, CORRECTION)
MAX_PENDING_TIMEOUT_SECONDS = 90 * 24 * 3600
# References of transfers that another object resolves: clients may not post or void them directly.
OWNED_REFERENCES = ("service-record:", "exchange:")


@dataclass(frozen=True)
class Movement:
    """What a client asks to move, as far as the rules care."""

    debit_account_id: UUID
    credit_account_id: UUID
    minutes: int
    kind: str
    note: str | None = None
    relation: str | None = None
    pending: bool = False
    timeout_seconds: int | None = None


def check_shape(m: Movement, p: str = "") -> None:
    """Rules that need no account: a requestable kind, a positive amount, two accounts, a sane timeout."""
    if m.kind not in REQUESTABLE_KINDS:
        raise InvalidInput(f"kind must be one of: {', '.join(REQUESTABLE_KINDS)}", field=f"{p}kind")
    if m.minutes <= 0:
        raise InvalidInput("a transfer moves a positive number of credit-minutes", field=f"{p}minutes")
    if m.debit_account_id == m.credit_account_id:
        raise RuleViolation("an account cannot transfer to itself", field=f"{p}credit_account_id")
    if m.timeout_seconds is not None and not m.pending:
        raise InvalidInput("timeout_seconds applies to pending transfers only", field=f"{p}timeout_seconds")
    if m.timeout_seconds is not None and not 1 <= m.timeout_seconds <= MAX_PENDING_TIMEOUT_SECONDS:
        raise InvalidInput(f"timeout_seconds must be 1..{MAX_PENDING_TIMEOUT_SECONDS}", field=f"{p}timeout_seconds")


def check_kind(
    actor: Actor,
    m: Movement,
    debit: TimeAccount | None,
    credit: TimeAccount | None,
    rules: RuleSet,
    *,
    organizes_debit: Callable[[], bool],
    payer_age: Callable[[], int | None],
    p: str = "",
) -> None:
    """Who may move what to whom, by kind (DOMAIN.md's time bank). `organizes_debit` says whether the
    actor organizes the organization that owns the debit account; `payer_age` is the paying
    volunteer's age today (None once their personal data is erased). Both are asked only if needed."""
    if m.relation is not None and m.kind != GIFT:
        raise InvalidInput("relation is declared for gifts only", field=f"{p}relation")
    if m.kind == CORRECTION:
        require(actor, "ledger.correct", field=f"{p}kind")
        if not (m.note or "").strip():
            raise InvalidInput("a correction needs a note saying why", field=f"{p}note")
        if REDEMPTION_ACCOUNT_ID in (m.debit_account_id, m.credit_account_id):
            raise RuleViolation("corrections move credits between accounts and issuance", field=f"{p}credit_account_id")
        return
    if debit is None:
        raise RuleViolation("a system account cannot be debited by this kind of transfer", field=f"{p}debit_account_id")
    if m.kind == GRANT:
        if debit.kind not in (POOL, ORGANIZATION):
            raise RuleViolation("grants come from a community pool or an organization", field=f"{p}debit_account_id")
        action = "pool.grant" if debit.kind == POOL else "organization_account.grant"
        require(actor, action, organizes=organizes_debit, field=f"{p}debit_account_id")
        _require_kind(credit, (VOLUNTEER,), "grants go to a volunteer's account", f"{p}credit_account_id")
        return
    own = debit.owner_id if debit.kind == VOLUNTEER else None
    require(actor, "account.spend", about=own, field=f"{p}debit_account_id")
    if m.kind == EXCHANGE:
        _require_kind(credit, (VOLUNTEER,), "exchanges pay another member", f"{p}credit_account_id")
    elif m.kind == GIFT:
        _require_kind(credit, (VOLUNTEER,), "gifts go to a relative's account", f"{p}credit_account_id")
        if m.relation not in rules.gift_relations:
            raise RuleViolation(f"gifts are allowed to: {', '.join(rules.gift_relations)} (rules {rules.version})", field=f"{p}relation")
    elif m.kind == DONATION:
        _require_kind(credit, (POOL, ORGANIZATION), "donations go to a community pool or an organization", f"{p}credit_account_id")
    elif m.kind == REDEMPTION:
        if m.credit_account_id != REDEMPTION_ACCOUNT_ID:
            raise RuleViolation("redemptions go to the redemption account", field=f"{p}credit_account_id")
        age = payer_age()
        if age is None:
            raise RuleViolation("this volunteer's personal data is erased; the age gate of redemptions cannot be checked", field=f"{p}kind")
        if age < rules.redemption_min_age:
            raise RuleViolation(
                f"credits are redeemed from age {rules.redemption_min_age} (rules {rules.version}); "
                "until then they can be gifted or donated",
                field=f"{p}kind",
            )


def _require_kind(account: TimeAccount | None, kinds: tuple[str, ...], message: str, field: str) -> None:
    if account is None or account.kind not in kinds:
        raise RuleViolation(message, field=field)


# The storage cap (Nanjing: 1,500 h) ---------------------------------------------------------------
def over_cap(account: TimeAccount, rules: RuleSet) -> int:
    """Credit-minutes a volunteer account holds above the storage cap (0 when there is no cap)."""
    cap = rules.storage_cap_minutes
    if cap is None or account.kind != VOLUNTEER or account.district not in BEIJING_DISTRICTS:
        return 0
    return max(0, account.balance - cap)


def cap_overflow(account: TimeAccount, pool: TimeAccount, rules: RuleSet, cause: UUID, now: datetime) -> Transfer:
    """The transfer that moves the excess of `account` above the cap to its district's pool."""
    return open_transfer(
        natural_id("cap-overflow", str(cause), str(account.id)), account, pool,
        debit_account_id=account.id, credit_account_id=pool.id, amount=over_cap(account, rules), kind=CAP_OVERFLOW,
        pending=False, reference=f"transfer:{cause}", rules_version=rules.version, actor="system:ledger", at=now,
        default_floor=rules.account_floor, note=f"storage cap of {rules.storage_cap_minutes} credit-minutes",
    )
