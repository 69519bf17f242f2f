"""Who may read an aggregate's history, and the history itself."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from timebank.application.base import TimeBankBase
from timebank.domain.access import AccessToken
from timebank.domain.actors import Actor
from timebank.domain.errors import NotFound
from timebank.domain.exchange import Exchange
from timebank.domain.ledger import TimeAccount, Transfer
from timebank.domain.organization import Organization
from timebank.domain.permissions import permits
from timebank.domain.service_record import ServiceRecord
from timebank.domain.volunteer import IdentityClaim, Volunteer, VolunteerNumberClaim


class History(TimeBankBase):
    """Event histories for owners, organizers, auditors and admins."""

    def can_read_history(self, actor: Actor, aggregate: Aggregate) -> bool:
        """Whoever may read the object may read its history (the policy table decides)."""
        if isinstance(aggregate, (IdentityClaim, VolunteerNumberClaim, AccessToken)):
            return permits(actor, "secret.read")
        if isinstance(aggregate, Transfer):
            owners = [self.account_owner_kind(a) for a in (aggregate.debit_account_id, aggregate.credit_account_id)]
            return self.may_read_transfer(actor, aggregate.created_by, owners)
        if isinstance(aggregate, TimeAccount):
            return self.may_read_account(actor, aggregate.kind, aggregate.owner_id)
        if isinstance(aggregate, Exchange):
            parties = (aggregate.requester_id, aggregate.provider_id, *aggregate.offers)
            return permits(actor, "exchange.read_offers", party=actor.id in parties)
        if isinstance(aggregate, Volunteer):
            return permits(actor, "volunteer.read", about=aggregate.id)
        if isinstance(aggregate, ServiceRecord):
            return permits(
                actor, "record.read", about=aggregate.volunteer_id,
                organizes=lambda: self.is_organizer(actor, aggregate.organization_id),
            )
        if isinstance(aggregate, Organization):
            return permits(actor, "organization.read_records", organizes=lambda: aggregate.is_organizer(actor))
        org_id = getattr(aggregate, "organization_id", None)  # projects, shifts
        return permits(
            actor, "organization.read_records", organizes=lambda: isinstance(org_id, UUID) and self.is_organizer(actor, org_id)
        )

    def history(self, actor: Actor, aggregate_id: UUID) -> list[Any]:
        """Every event of one aggregate, oldest first, for those allowed to see it."""
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"aggregate {aggregate_id} not found", field="aggregate_id") from None
        if not self.can_read_history(actor, aggregate):
            # Claims and tokens are not part of anyone's visible history; say "not found" to outsiders.
            raise NotFound(f"aggregate {aggregate_id} not found", field="aggregate_id")
        return list(self.events.get(aggregate_id))
