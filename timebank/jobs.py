"""Clock-driven jobs: plain idempotent functions; running one twice changes nothing the second time.

Each takes the candidates a read model found; the command re-checks every rule on the aggregate,
so a stale candidate list is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from uuid import UUID

from timebank.application import TimeBank
from timebank.domain.actors import SYSTEM
from timebank.domain.errors import DomainError

log = logging.getLogger(__name__)


def expire_pending_records(app: TimeBank, candidates: Iterable[UUID]) -> int:
    """Expire pending records whose confirmation deadline has passed; their pending credits are voided."""
    expired = 0
    for record_id in candidates:
        try:
            expired += app.expire_record(record_id, SYSTEM)
        except DomainError as error:
            log.warning("could not expire record %s: %s", record_id, error.message)
    return expired


def auto_close_check_outs(app: TimeBank, candidates: Iterable[tuple[UUID, UUID]]) -> int:
    """Check out volunteers whose check-in was left open too long; the records are flagged."""
    closed = 0
    for shift_id, volunteer_id in candidates:
        try:
            closed += app.auto_check_out(shift_id, volunteer_id, SYSTEM) is not None
        except DomainError as error:
            log.warning("could not close check-in of %s on shift %s: %s", volunteer_id, shift_id, error.message)
    return closed
