"""Who acts: every command names its actor, and every event records it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from uuid import UUID


class Role(str, Enum):
    VOLUNTEER = "volunteer"
    ADMIN = "admin"
    AUDITOR = "auditor"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """The principal behind a command. Organizers are volunteers; the organization decides."""

    role: Role
    id: UUID | None = None

    @property
    def ref(self) -> str:
        """How events record the actor: `volunteer:<uuid>`, `admin:<uuid>`, `system:clock`."""
        return f"{self.role.value}:{self.id}" if self.id else f"{self.role.value}:-"

    @property
    def volunteer_id(self) -> UUID | None:
        return self.id if self.role is Role.VOLUNTEER else None


SYSTEM = Actor(Role.SYSTEM)
