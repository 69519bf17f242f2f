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
from timebank.domain.ledger import (
    DERIVED_ACCOUNT_IDS,
    TimeAccount,
    Transfer,
)
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
            owners = [self._account_owner(a) for a in (aggregate.debit_account_id, aggregate.credit_account_id)]
            return actor.id in owners
        owner = {Volunteer: lambda a: a.id, TimeAccount: lambda a: a.owner_id, ServiceRecord: lambda a: a.volunteer_id}
        for cls, get_owner in owner.items():
            if isinstance(aggregate, cls) and get_owner(aggregate) == actor.id:
                return True
        if isinstance(aggregate, Organization):
            return aggregate.is_organizer(actor)
        org_id = getattr(aggregate, "organization_id", None)
        return isinstance(org_id, UUID) and self.is_organizer(actor, org_id)

    def _account_owner(self, account_id: UUID) -> UUID | None:
        if account_id in DERIVED_ACCOUNT_IDS:
            return None
        try:
            account: Any = self.repository.get(account_id)
        except AggregateNotFoundError:
            return None
        return account.owner_id if isinstance(account, TimeAccount) else None

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
