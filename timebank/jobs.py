"""Clock-driven jobs: plain idempotent functions; running one twice changes nothing the second time.

Each takes the candidates a read model found; the command re-checks every rule on the aggregate,
so a stale candidate list is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar
from uuid import UUID

from timebank.application import TimeBank
from timebank.domain.actors import SYSTEM
from timebank.domain.errors import DomainError

log = logging.getLogger(__name__)
C = TypeVar("C")


def _each(candidates: Iterable[C], command: Callable[[C], bool], what: str) -> int:
    """Run the command on every candidate; count those it changed. One refusal does not stop the rest."""
    changed = 0
    for candidate in candidates:
        try:
            changed += command(candidate)
        except DomainError as error:
            log.warning("could not %s %s: %s", what, candidate, error.message)
    return changed


def expire_pending_records(app: TimeBank, candidates: Iterable[UUID]) -> int:
    """Expire pending records whose confirmation deadline has passed; their pending credits are voided."""
    return _each(candidates, lambda record_id: app.expire_record(record_id, SYSTEM), "expire record")


def auto_close_check_outs(app: TimeBank, candidates: Iterable[tuple[UUID, UUID]]) -> int:
    """Check out volunteers whose check-in was left open too long; the records are flagged."""
    return _each(candidates, lambda c: app.auto_check_out(c[0], c[1], SYSTEM) is not None, "close the check-in (shift, volunteer)")


def expire_pending_transfers(app: TimeBank, candidates: Iterable[UUID]) -> int:
    """Void pending transfers whose timeout has passed; the held credits are free again."""
    return _each(candidates, lambda transfer_id: app.expire_transfer(transfer_id, SYSTEM), "expire transfer")


def award_star_levels(app: TimeBank, candidates: Iterable[tuple[UUID, Mapping[str, int]]]) -> int:
    """Award the star levels (1-4) and milestones volunteers' confirmed hours reach, each exactly once."""
    return _each(candidates, lambda c: app.award_star_levels(c[0], c[1]), "award star levels to")


def grant_five_stars(app: TimeBank, candidates: Iterable[tuple[UUID, Mapping[str, int]]]) -> int:
    """Grant five stars to nominees whose public notice ended without an upheld or undecided objection."""
    return _each(candidates, lambda c: app.grant_five_stars(c[0], c[1]), "grant five stars to")


def flag_overdue_problems(app: TimeBank, candidates: Iterable[UUID]) -> int:
    """Flag problems still open after their deadline (问题清单), each once; returns how many were flagged."""
    return _each(candidates, lambda problem_id: app.flag_problem_overdue(problem_id, SYSTEM), "flag overdue problem")
