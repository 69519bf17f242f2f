"""Who may read an aggregate's history, and the history itself."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from timebank.application.attendance import Attendance
from timebank.domain.access import AccessToken
from timebank.domain.actors import Actor, Role
from timebank.domain.errors import NotFound
from timebank.domain.exchange import Exchange
from timebank.domain.ledger import TimeAccount, Transfer
from timebank.domain.organization import Organization
from timebank.domain.service_record import ServiceRecord
from timebank.domain.volunteer import (
    IdentityClaim,
    Volunteer,
    VolunteerNumberClaim,
)


class History(Attendance):
    """Event histories for owners, organizers, auditors and admins."""

    # History -------------------------------------------------------------------
    def can_read_history(self, actor: Actor, aggregate: Aggregate) -> bool:
        if actor.role in (Role.ADMIN, Role.AUDITOR):
            return True
        if actor.role is not Role.VOLUNTEER or actor.id is None:
            return False
        if isinstance(aggregate, Transfer):
            return self.may_read_transfer(actor, aggregate)
        if isinstance(aggregate, TimeAccount):
            return self.may_read_account(actor, aggregate.id)
        if isinstance(aggregate, Exchange):
            return actor.id in (aggregate.requester_id, aggregate.provider_id, *aggregate.offers)
        owner = {Volunteer: lambda a: a.id, ServiceRecord: lambda a: a.volunteer_id}
        for cls, get_owner in owner.items():
            if isinstance(aggregate, cls) and get_owner(aggregate) == actor.id:
                return True
        if isinstance(aggregate, Organization):
            return aggregate.is_organizer(actor)
        org_id = getattr(aggregate, "organization_id", None)
        return isinstance(org_id, UUID) and self.is_organizer(actor, org_id)

    def history(self, actor: Actor, aggregate_id: UUID) -> list[Any]:
        """Every event of one aggregate, oldest first, for those allowed to see it."""
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"aggregate {aggregate_id} not found", field="aggregate_id") from None
        if isinstance(aggregate, (IdentityClaim, VolunteerNumberClaim, AccessToken)) or not self.can_read_history(actor, aggregate):
            # Claims and tokens are not part of anyone's visible history; say "not found" to outsiders.
            raise NotFound(f"aggregate {aggregate_id} not found", field="aggregate_id")
        return list(self.events.get(aggregate_id))
