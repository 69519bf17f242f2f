"""Incentives (礼遇 / 激励): rewards published by admins or verified organizations, redeemed once per volunteer.

The Incentive holds its stock: two redemptions of the last item are two saves of the same version,
and optimistic concurrency lets only one through (the other is retried and finds it out of stock).
A redemption code is shown to the volunteer once; only its hash is kept, and the provider marks it
used once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.errors import Conflict, InvalidInput, NotFound, RuleViolation

MAX_STOCK = 1_000_000
MAX_COST_MINUTES = 100 * 60 * 60


def code_hash(code: str) -> str:
    """What is kept of a redemption code (random, 72 bits): its SHA-256."""
    return hashlib.sha256(code.strip().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Standing:
    """What eligibility is checked against: the volunteer's stars, counted minutes and age today."""

    star_level: int
    counted_minutes: int
    age: int


class Incentive(Aggregate):
    @event("Published")
    def __init__(
        self,
        organization_id: UUID | None,
        title: str,
        description: str,
        min_star_level: int,
        min_hours: int,
        min_age: int | None,
        cost_minutes: int,
        stock: int,
        valid_from: date,
        valid_until: date,
        actor: str,
        at: datetime,
    ) -> None:
        self.organization_id = organization_id  # None: published by an admin
        self.title = title
        self.description = description
        self.min_star_level = min_star_level
        self.min_hours = min_hours
        self.min_age = min_age
        self.cost_minutes = cost_minutes
        self.stock = stock
        self.redeemed = 0
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.by_volunteer: dict[str, str] = {}  # volunteer id -> redemption id
        self.redemptions: dict[str, dict[str, Any]] = {}  # redemption id -> {volunteer_id, code_hash, status}
        self.by_code: dict[str, str] = {}  # code hash -> redemption id

    @staticmethod
    def check_terms(
        *, title: str, min_star_level: int, min_hours: int, min_age: int | None, cost_minutes: int, stock: int,
        valid_from: date, valid_until: date, today: date,
    ) -> None:
        if not title.strip():
            raise InvalidInput("title must not be blank", field="title")
        if not 0 <= min_star_level <= 5:
            raise InvalidInput("min_star_level is 0..5", field="min_star_level")
        if min_hours < 0:
            raise InvalidInput("min_hours must not be negative", field="min_hours")
        if min_age is not None and not 0 <= min_age <= 120:
            raise InvalidInput("min_age is 0..120", field="min_age")
        if not 0 <= cost_minutes <= MAX_COST_MINUTES:
            raise InvalidInput(f"cost_minutes is 0..{MAX_COST_MINUTES} credit-minutes", field="cost_minutes")
        if not 1 <= stock <= MAX_STOCK:
            raise InvalidInput(f"stock is 1..{MAX_STOCK}", field="stock")
        if valid_until < valid_from:
            raise InvalidInput("valid_until must not be before valid_from", field="valid_until")
        if valid_until < today:
            raise InvalidInput("valid_until is in the past", field="valid_until")

    @property
    def stock_left(self) -> int:
        return self.stock - self.redeemed

    def check_redeemable(self, volunteer_id: UUID, standing: Standing, today: date) -> None:
        """Every refusal names its reason (a `reason` detail) and the field at fault."""
        if today < self.valid_from:
            raise RuleViolation(f"this incentive is valid from {self.valid_from.isoformat()}", field="incentive_id", reason="not_yet_valid")
        if today > self.valid_until:
            raise RuleViolation(f"this incentive expired on {self.valid_until.isoformat()}", field="incentive_id", reason="expired")
        if str(volunteer_id) in self.by_volunteer:
            raise Conflict("you have already redeemed this incentive", field="incentive_id", reason="already_redeemed")
        if standing.star_level < self.min_star_level:
            raise RuleViolation(
                f"this incentive needs {self.min_star_level} stars; you hold {standing.star_level}", field="incentive_id", reason="not_eligible_star_level",
            )
        if standing.counted_minutes < self.min_hours * 60:
            raise RuleViolation(
                f"this incentive needs {self.min_hours} counted hours; you have {standing.counted_minutes / 60:g}", field="incentive_id",
                reason="not_eligible_hours",
            )
        if self.min_age is not None and standing.age < self.min_age:
            raise RuleViolation(f"this incentive is for ages {self.min_age} and over", field="incentive_id", reason="not_eligible_age")
        if self.stock_left <= 0:
            raise Conflict("this incentive is out of stock", field="incentive_id", reason="out_of_stock")

    def redeem(
        self, volunteer_id: UUID, redemption_id: UUID, hashed_code: str, transfer_id: UUID | None, standing: Standing, today: date,
        actor: str, at: datetime,
    ) -> None:
        self.check_redeemable(volunteer_id, standing, today)
        self._redeemed(
            redemption_id=redemption_id, volunteer_id=volunteer_id, code_hash=hashed_code, transfer_id=transfer_id,
            cost_minutes=self.cost_minutes, actor=actor, at=at,
        )

    @event("Redeemed")
    def _redeemed(
        self, redemption_id: UUID, volunteer_id: UUID, code_hash: str, transfer_id: UUID | None, cost_minutes: int, actor: str, at: datetime,
    ) -> None:
        self.redeemed += 1
        self.by_volunteer[str(volunteer_id)] = str(redemption_id)
        self.redemptions[str(redemption_id)] = {"volunteer_id": str(volunteer_id), "code_hash": code_hash, "status": "issued"}
        self.by_code[code_hash] = str(redemption_id)

    def use(self, code: str, actor: str, at: datetime) -> tuple[UUID, UUID]:
        """The provider checks a code and marks it used, once. Returns (redemption id, volunteer id)."""
        redemption_id = self.by_code.get(code_hash(code))
        if redemption_id is None:
            raise NotFound("no redemption of this incentive has this code", field="code")
        redemption = self.redemptions[redemption_id]
        if redemption["status"] == "used":
            raise Conflict("this redemption code was already used", field="code", reason="already_used")
        self._used(redemption_id=UUID(redemption_id), actor=actor, at=at)
        return UUID(redemption_id), UUID(redemption["volunteer_id"])

    @event("RedemptionUsed")
    def _used(self, redemption_id: UUID, actor: str, at: datetime) -> None:
        self.redemptions[str(redemption_id)]["status"] = "used"
