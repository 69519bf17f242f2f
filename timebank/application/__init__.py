"""The TimeBank application: one method per use case (load, act, save); the only place that saves.

The use cases are layered by module, each class adding one group to the one before:
base (infrastructure, tokens) -> registry -> ledger -> exchanges -> records -> attendance -> history
-> security (logins, sessions, erasure) -> TimeBank.
"""

from __future__ import annotations

from timebank.application.base import BatchEntry, DateAsISO, Registration, retrying
from timebank.application.ledger import TransferRequest, TransferResult
from timebank.application.security import LoginCode, LoginResult, Security
from timebank.domain.credentials import Credentials
from timebank.domain.ledger import TimeAccount
from timebank.domain.organization import Organization
from timebank.domain.shift import Shift
from timebank.domain.volunteer import Volunteer


class TimeBank(Security):
    """Commands of the registry and the time bank. Every method takes the actor and saves atomically."""

    name = "TimeBank"
    snapshotting_intervals = {TimeAccount: 200, Volunteer: 200, Shift: 500, Organization: 200, Credentials: 100}
    # Hot aggregates (accounts, pools) stay in memory and are fast-forwarded from the store on each
    # load, so a command costs the same whether an account has 10 events or 10,000. The store stays
    # the truth: other processes' writes are read by the fast-forward, and a stale copy loses the
    # optimistic-concurrency check and is retried.
    env = {"AGGREGATE_CACHE_MAXSIZE": "20000"}


__all__ = ["TimeBank", "LoginCode", "LoginResult", "BatchEntry", "Registration", "DateAsISO", "TransferRequest", "TransferResult", "retrying"]
