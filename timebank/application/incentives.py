"""Use cases of the incentive catalog (礼遇): publish, redeem (credits paid in the same save), use a code."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from timebank.application.base import TimeBankBase, retrying
from timebank.clock import local_date
from timebank.domain.actors import Actor
from timebank.domain.errors import DomainError, NotFound, RuleViolation
from timebank.domain.ids import REDEMPTION_ACCOUNT_ID, natural_id
from timebank.domain.incentive import Incentive, Standing, code_hash
from timebank.domain.ledger import REDEMPTION, open_transfer
from timebank.domain.organization import Organization
from timebank.domain.permissions import require
from timebank.domain.star_level import StarStanding
from timebank.domain.volunteer import Volunteer, age_on


@dataclass(frozen=True)
class Redemption:
    id: UUID
    code: str  # shown once; only its hash is stored
    transfer_id: UUID | None  # the credits paid, if the incentive costs any


@dataclass(frozen=True)
class CodeUse:
    redemption_id: UUID
    volunteer_id: UUID


class Incentives(TimeBankBase):
    """Admins and organizers of verified organizations publish; volunteers redeem; providers use codes."""

    def get_incentive(self, incentive_id: UUID) -> Incentive:
        return self._get(Incentive, incentive_id, "incentive_id", "incentive")

    def _require_provider(self, actor: Actor, incentive: Incentive) -> None:
        """The publisher: an organizer of the incentive's organization, or an admin for an admin's incentive."""
        organization_id = incentive.organization_id
        if organization_id is None:
            require(actor, "own_incentive.use_code", field="incentive_id")
        else:
            require(actor, "incentive.use_code", field="incentive_id", organizes=lambda: self.is_organizer(actor, organization_id))

    @retrying
    def publish_incentive(
        self, actor: Actor, *, title: str, description: str = "", organization_id: UUID | None = None, min_star_level: int = 0,
        min_hours: int = 0, min_age: int | None = None, cost_minutes: int = 0, stock: int, valid_from: date, valid_until: date,
    ) -> UUID:
        if organization_id is None:
            require(actor, "incentive.publish_own", field="organization_id")
        else:
            organization = self._get(Organization, organization_id, "organization_id", "organization", read_only=True)
            require(actor, "incentive.publish", field="organization_id", organizes=organization.is_organizer(actor))
            organization.require_verified()
        now = self._now()
        Incentive.check_terms(
            title=title, min_star_level=min_star_level, min_hours=min_hours, min_age=min_age, cost_minutes=cost_minutes, stock=stock,
            valid_from=valid_from, valid_until=valid_until, today=local_date(now),
        )
        incentive = Incentive(
            organization_id=organization_id, title=title.strip(), description=description, min_star_level=min_star_level,
            min_hours=min_hours, min_age=min_age, cost_minutes=cost_minutes, stock=stock, valid_from=valid_from,
            valid_until=valid_until, actor=actor.ref, at=now,
        )
        self.save(incentive)
        return incentive.id

    def _standing_of(self, volunteer: Volunteer, counted_minutes: int, today: date) -> Standing:
        personal = self.personal_data_of(volunteer)
        if personal is None:
            raise RuleViolation("this volunteer's personal data is erased; eligibility cannot be checked", field="incentive_id", reason="erased")
        try:
            stars: StarStanding | None = self._get(StarStanding, StarStanding.create_id(volunteer.id), "volunteer_id", "star standing", read_only=True)
        except NotFound:
            stars = None
        return Standing(stars.level if stars else 0, counted_minutes, age_on(date.fromisoformat(personal["birth_date"]), today))

    @retrying
    def redeem_incentive(self, actor: Actor, incentive_id: UUID, counted_minutes: int) -> Redemption:
        """A volunteer redeems: eligibility (stars, counted hours as the star-level view has them, age), the
        validity window, once per volunteer, stock; a cost in credits is paid to the redemption account in
        the same save as the stock changes. Returns the code, shown once."""
        volunteer_id = self._volunteer_id(actor, "incentive.redeem")
        incentive = self.get_incentive(incentive_id)
        volunteer = self._get(Volunteer, volunteer_id, "volunteer_id", "volunteer", read_only=True)
        now = self._now()
        today = local_date(now)
        rules = self._rules_on(today, "incentive_id")
        standing = self._standing_of(volunteer, counted_minutes, today)
        incentive.check_redeemable(volunteer.id, standing, today)
        redemption_id = natural_id("redemption", str(incentive.id), str(volunteer.id))
        changed: list[object] = [incentive]
        transfer_id = None
        if incentive.cost_minutes:
            if standing.age < rules.redemption_min_age:
                raise RuleViolation(
                    f"credits are redeemed from age {rules.redemption_min_age} (rules {rules.version})", field="incentive_id",
                    reason="not_eligible_age",
                )
            account = self._account(volunteer.id)
            transfer_id = natural_id("incentive-redemption", str(redemption_id))
            try:
                transfer = open_transfer(
                    transfer_id, account, None, debit_account_id=account.id, credit_account_id=REDEMPTION_ACCOUNT_ID,
                    amount=incentive.cost_minutes, kind=REDEMPTION, pending=False, reference=f"incentive:{incentive.id}",
                    rules_version=rules.version, actor=actor.ref, at=now, default_floor=rules.account_floor, note=incentive.title,
                )
            except DomainError as error:  # the floor: say it plainly
                raise RuleViolation(
                    f"not enough credits: this incentive costs {incentive.cost_minutes} credit-minutes ({error.message})",
                    field="incentive_id", reason="insufficient_credits",
                ) from None
            changed += [account, transfer]
        code = secrets.token_urlsafe(9)
        incentive.redeem(volunteer.id, redemption_id, code_hash(code), transfer_id, standing, today, actor.ref, now)
        self.save(*changed)
        return Redemption(redemption_id, code, transfer_id)

    @retrying
    def use_redemption_code(self, actor: Actor, incentive_id: UUID, code: str) -> CodeUse:
        """The provider verifies a code and marks it used, once."""
        incentive = self.get_incentive(incentive_id)
        self._require_provider(actor, incentive)
        redemption_id, volunteer_id = incentive.use(code, actor.ref, self._now())
        self.save(incentive)
        return CodeUse(redemption_id, volunteer_id)
