"""The TimeBank application: one method per use case (load, act, save); the only place that saves.

Each module holds one group of use cases as a sibling class over `TimeBankBase` (base.py: the
shared loaders and ledger steps); `TimeBank` composes them here, once. A group calls only the base
and the domain, never another group, so a reader of one module needs no other module to follow it.
"""

from __future__ import annotations

from timebank.application.attendance import Attendance
from timebank.application.base import BatchEntry, DateAsISO, Registration, TimeBankBase, retrying
from timebank.application.certificates import Certificates
from timebank.application.exchanges import Exchanges
from timebank.application.history import History
from timebank.application.incentives import CodeUse, Incentives, Redemption
from timebank.application.key_projects import KeyProjects
from timebank.application.ledger import Ledger, TransferRequest, TransferResult
from timebank.application.matching import Matching, Pairing
from timebank.application.places import Places
from timebank.application.problems import Problems
from timebank.application.records import Records
from timebank.application.registry import Registry
from timebank.application.security import LoginCode, LoginResult, Security
from timebank.application.stars import Stars
from timebank.domain.credentials import Credentials
from timebank.domain.incentive import Incentive
from timebank.domain.ledger import TimeAccount
from timebank.domain.organization import Organization
from timebank.domain.places import DistrictPlaces
from timebank.domain.shift import Shift
from timebank.domain.star_level import StarStanding
from timebank.domain.volunteer import Volunteer

USE_CASE_GROUPS: tuple[type[TimeBankBase], ...] = (
    Registry, Ledger, Exchanges, Records, Attendance, History, Security, Stars, Incentives, KeyProjects, Problems, Places, Matching,
    Certificates,
)


class TimeBank(
    Registry, Ledger, Exchanges, Records, Attendance, History, Security, Stars, Incentives, KeyProjects, Problems, Places, Matching,
    Certificates,
):
    """Commands of the registry and the time bank. Every method takes the actor and saves atomically."""

    name = "TimeBank"
    snapshotting_intervals = {
        TimeAccount: 200, Volunteer: 200, Shift: 500, Organization: 200, Credentials: 100, StarStanding: 100, Incentive: 200,
        DistrictPlaces: 50,
    }
    # Hot aggregates (accounts, pools) stay in memory and are fast-forwarded from the store on each
    # load, so a command costs the same whether an account has 10 events or 10,000. The store stays
    # the truth: other processes' writes are read by the fast-forward, and a stale copy loses the
    # optimistic-concurrency check and is retried.
    env = {"AGGREGATE_CACHE_MAXSIZE": "20000"}


__all__ = ["TimeBank", "LoginCode", "LoginResult", "BatchEntry", "Registration", "DateAsISO", "TransferRequest", "TransferResult", "retrying",
           "Redemption", "CodeUse", "Pairing"]
