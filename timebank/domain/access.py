"""Access tokens: only a hash of the secret is stored; the aggregate id is derived from it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.errors import Conflict
from timebank.domain.ids import natural_id


def token_id(secret: str) -> UUID:
    return natural_id("access-token", hashlib.sha256(secret.encode("utf-8")).hexdigest())


class AccessToken(Aggregate):
    @staticmethod
    def create_id(token_hash: str) -> UUID:
        return natural_id("access-token", token_hash)

    @event("Issued")
    def __init__(self, token_hash: str, role: str, subject_id: UUID | None, label: str, actor: str, at: datetime) -> None:
        self.role = role
        self.subject_id = subject_id
        self.label = label
        self.revoked = False

    def revoke(self, actor: str, at: datetime) -> None:
        if self.revoked:
            raise Conflict("this token is already revoked")
        self._revoked(actor=actor, at=at)

    @event("Revoked")
    def _revoked(self, actor: str, at: datetime) -> None:
        self.revoked = True
