"""Exchanges between members (互助): one asks for help, another offers it, credits follow the service.

open -> accepted (the requester chose a provider; the credits are held by a pending transfer)
     -> completed (the requester confirmed the service; the hold is posted, fully or in part)
open | accepted -> cancelled (by either party; an open hold is voided)
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.actors import Actor, Role
from timebank.domain.errors import Conflict, InvalidInput, RuleViolation
from timebank.domain.ids import natural_id
from timebank.domain.permissions import require
from timebank.domain.places import BEIJING_DISTRICTS

OPEN = "open"
ACCEPTED = "accepted"
COMPLETED = "completed"
CANCELLED = "cancelled"
MAX_EXCHANGE_MINUTES = 8 * 60  # one request asks for at most a working day of help


class Exchange(Aggregate):
    @event("Requested")
    def __init__(
        self, requester_id: UUID, title: str, description: str, minutes: int, district: str, actor: str, at: datetime
    ) -> None:
        self.requester_id = requester_id
        self.title = title
        self.description = description
        self.minutes = minutes
        self.district = district
        self.status = OPEN
        self.offers: list[UUID] = []
        self.provider_id: UUID | None = None
        self.hold_transfer_id: UUID | None = None
        self.paid_minutes = 0

    @staticmethod
    def check_minutes(minutes: int) -> None:
        if not 1 <= minutes <= MAX_EXCHANGE_MINUTES:
            raise InvalidInput(f"an exchange asks for 1..{MAX_EXCHANGE_MINUTES} minutes", field="minutes")

    @staticmethod
    def check_request(title: str, minutes: int, district: str) -> None:
        """A request names what help is needed, for how long, and in which district (its pool)."""
        Exchange.check_minutes(minutes)
        if district not in BEIJING_DISTRICTS:
            raise InvalidInput(f"district must be one of: {', '.join(BEIJING_DISTRICTS)}", field="district")
        if not title.strip():
            raise InvalidInput("title must not be blank", field="title")

    def hold_id_for(self, provider_id: UUID) -> UUID:
        """The pending transfer that holds the requester's credits for this provider (one per exchange)."""
        return natural_id("exchange-hold", str(self.id), str(provider_id))

    def _require(self, *statuses: str) -> None:
        if self.status not in statuses:
            raise Conflict(f"exchange {self.id} is {self.status}; this needs it {' or '.join(statuses)}", field="exchange_id")

    def offer(self, provider_id: UUID, actor: str, at: datetime) -> None:
        self._require(OPEN)
        if provider_id == self.requester_id:
            raise RuleViolation("members cannot offer help on their own request", field="exchange_id")
        if provider_id in self.offers:
            raise Conflict("you have already offered help on this request", field="exchange_id")
        self._offered(provider_id=provider_id, actor=actor, at=at)

    @event("Offered")
    def _offered(self, provider_id: UUID, actor: str, at: datetime) -> None:
        self.offers.append(provider_id)

    def accept(self, requester_id: UUID, provider_id: UUID, hold_transfer_id: UUID, actor: str, at: datetime) -> None:
        self._require_requester(requester_id)
        self._require(OPEN)
        if provider_id not in self.offers:
            raise RuleViolation("accept one of the members who offered help", field="provider_id")
        self._accepted(provider_id=provider_id, hold_transfer_id=hold_transfer_id, actor=actor, at=at)

    @event("Accepted")
    def _accepted(self, provider_id: UUID, hold_transfer_id: UUID, actor: str, at: datetime) -> None:
        self.status = ACCEPTED
        self.provider_id = provider_id
        self.hold_transfer_id = hold_transfer_id

    def complete(self, requester_id: UUID, minutes: int, actor: str, at: datetime) -> None:
        """The requester confirms the service was received; `minutes` may be less than held."""
        self._require_requester(requester_id)
        self._require(ACCEPTED)
        if not 1 <= minutes <= self.minutes:
            raise InvalidInput(f"confirm 1..{self.minutes} minutes of help received", field="minutes")
        self._completed(minutes=minutes, actor=actor, at=at)

    @event("Completed")
    def _completed(self, minutes: int, actor: str, at: datetime) -> None:
        self.status = COMPLETED
        self.paid_minutes = minutes

    def cancel(self, member_id: UUID, reason: str, actor: str, at: datetime) -> None:
        require(Actor(Role.VOLUNTEER, member_id), "exchange.cancel", party=member_id in (self.requester_id, self.provider_id))
        self._require(OPEN, ACCEPTED)
        self._cancelled(reason=reason, actor=actor, at=at)

    @event("Cancelled")
    def _cancelled(self, reason: str, actor: str, at: datetime) -> None:
        self.status = CANCELLED

    def _require_requester(self, member_id: UUID) -> None:
        require(Actor(Role.VOLUNTEER, member_id), "exchange.decide", about=self.requester_id)
