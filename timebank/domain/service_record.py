"""The service record (服务记录): the legal record of time actually given, and its life cycle.

Statuses: pending -> confirmed | rejected | expired; confirmed -> revoked. Corrections are new
events on pending or confirmed records. Credits follow by transfers the application saves with it.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from timebank.domain.ids import natural_id

SOURCES = ("check_out", "self_declared", "bulk_entry")
PENDING, CONFIRMED, REJECTED, EXPIRED, REVOKED = "pending", "confirmed", "rejected", "expired", "revoked"


def check_minutes(minutes: int, *, limit: int, field: str = "service_minutes", what: str = "a day") -> None:
    if minutes <= 0:
        raise InvalidInput("service minutes must be a positive whole number", field=field)
    if minutes > limit:
        raise RuleViolation(f"{minutes} minutes exceed the limit of {limit} for {what}", field=field)


class ServiceRecord(Aggregate):
    @staticmethod
    def create_id(record_id: UUID) -> UUID:
        """The id is chosen before the event, so the record's credit transfer id can derive from it."""
        return record_id

    @event("Recorded")
    def __init__(
        self,
        record_id: UUID,
        volunteer_id: UUID,
        organization_id: UUID,
        project_id: UUID,
        shift_id: UUID | None,
        activity: str,
        category: str,
        service_date: date,
        place: str,
        content: str,
        service_minutes: int,
        person_in_charge: str,
        source: str,
        status: str,
        confirmation_deadline: date | None,
        flags: list[str],
        credit_transfer_id: UUID | None,
        credit_minutes: int,
        rules_version: str,
        actor: str,
        at: datetime,
    ) -> None:
        self.volunteer_id = volunteer_id
        self.organization_id = organization_id
        self.project_id = project_id
        self.shift_id = shift_id
        self.activity = activity
        self.category = category
        self.service_date = service_date
        self.place = place
        self.content = content
        self.service_minutes = service_minutes
        self.person_in_charge = person_in_charge
        self.source = source
        self.status = status
        self.recorded_at = at  # date of recording, kept apart from the date of service
        self.confirmation_deadline = confirmation_deadline
        self.flags = flags
        self.rules_version = rules_version
        # Credit transfers of this record; none when the service earns no credits under the rule in force.
        self.transfer_ids: list[UUID] = [credit_transfer_id] if credit_transfer_id else []
        # The credit transfer still pending for this record, and the credits posted for it so far.
        self.pending_transfer_id: UUID | None = credit_transfer_id if status == PENDING else None
        self.credited_minutes = credit_minutes if status == CONFIRMED else 0
        self.pending_credit_minutes = credit_minutes if status == PENDING else 0
        self.correction_requests: list[dict[str, object]] = []

    @staticmethod
    def transfer_id_for(record_id: UUID, sequence: int) -> UUID:
        """Deterministic ids of a record's credit transfers: replays cannot double-credit."""
        return natural_id("record-transfer", str(record_id), str(sequence))

    def next_transfer_id(self) -> UUID:
        return self.transfer_id_for(self.id, len(self.transfer_ids))

    def require_status(self, *allowed: str) -> None:
        if self.status not in allowed:
            raise Conflict(f"this service record is {self.status}; it must be {' or '.join(allowed)}")

    def _require_not_own(self, actor_volunteer_id: UUID | None) -> None:
        if actor_volunteer_id == self.volunteer_id:
            raise Forbidden("organizers may not confirm, reject or correct their own service records")

    # Organizer decisions -------------------------------------------------------
    def confirm(self, actor_volunteer_id: UUID | None, actor: str, at: datetime) -> None:
        self.require_status(PENDING)
        self._require_not_own(actor_volunteer_id)
        self._confirmed(actor=actor, at=at)

    @event("Confirmed")
    def _confirmed(self, actor: str, at: datetime) -> None:
        self.status = CONFIRMED
        self.credited_minutes += self.pending_credit_minutes
        self.pending_credit_minutes = 0
        self.pending_transfer_id = None

    def reject(self, reason: str, actor_volunteer_id: UUID | None, actor: str, at: datetime) -> None:
        self.require_status(PENDING)
        self._require_not_own(actor_volunteer_id)
        if not reason.strip():
            raise InvalidInput("a rejection needs a reason", field="reason")
        self._rejected(reason=reason, actor=actor, at=at)

    @event("Rejected")
    def _rejected(self, reason: str, actor: str, at: datetime) -> None:
        self.status = REJECTED
        self.correction_requests = []
        self.pending_credit_minutes = 0
        self.pending_transfer_id = None

    def is_past_deadline(self, today: date) -> bool:
        """Pending past its confirmation deadline: the clock expires it."""
        return self.status == PENDING and self.confirmation_deadline is not None and today > self.confirmation_deadline

    def expire(self, today: date, actor: str, at: datetime) -> None:
        self.require_status(PENDING)
        if not self.is_past_deadline(today):
            raise RuleViolation("the confirmation deadline has not passed")
        self._expired(actor=actor, at=at)

    @event("Expired")
    def _expired(self, actor: str, at: datetime) -> None:
        self.status = EXPIRED
        self.correction_requests = []
        self.pending_credit_minutes = 0
        self.pending_transfer_id = None

    # Corrections ---------------------------------------------------------------
    def request_correction(self, proposed_minutes: int, reason: str, actor_volunteer_id: UUID | None, actor: str, at: datetime) -> None:
        if actor_volunteer_id != self.volunteer_id:
            raise Forbidden("only the volunteer of this record may request a correction")
        self.require_status(PENDING, CONFIRMED)
        if not reason.strip():
            raise InvalidInput("a correction needs a reason", field="reason")
        if proposed_minutes == self.service_minutes:
            raise InvalidInput("the record already has these minutes", field="service_minutes")
        self._correction_requested(proposed_minutes=proposed_minutes, reason=reason, actor=actor, at=at)

    @event("CorrectionRequested")
    def _correction_requested(self, proposed_minutes: int, reason: str, actor: str, at: datetime) -> None:
        self.correction_requests.append({"proposed_minutes": proposed_minutes, "reason": reason, "at": at.isoformat()})

    def correct(
        self,
        service_minutes: int,
        reason: str,
        credit_minutes: int,
        transfer_id: UUID | None,
        actor_volunteer_id: UUID | None,
        actor: str,
        at: datetime,
    ) -> None:
        """Apply a correction. `credit_minutes` is what the new minutes earn; the application
        moves the difference by the transfer `transfer_id` (None when nothing moves)."""
        self.require_status(PENDING, CONFIRMED)
        self._require_not_own(actor_volunteer_id)
        if not reason.strip():
            raise InvalidInput("a correction needs a reason", field="reason")
        if service_minutes == self.service_minutes:
            raise InvalidInput("the record already has these minutes", field="service_minutes")
        self._corrected(
            service_minutes=service_minutes,
            previous_minutes=self.service_minutes,
            credit_minutes=credit_minutes,
            transfer_id=transfer_id,
            reason=reason,
            actor=actor,
            at=at,
        )

    @event("Corrected")
    def _corrected(
        self,
        service_minutes: int,
        previous_minutes: int,
        credit_minutes: int,
        transfer_id: UUID | None,
        reason: str,
        actor: str,
        at: datetime,
    ) -> None:
        self.service_minutes = service_minutes
        if transfer_id is not None:
            self.transfer_ids.append(transfer_id)
        if self.status == PENDING:
            self.pending_transfer_id = transfer_id
            self.pending_credit_minutes = credit_minutes
        else:
            self.credited_minutes = credit_minutes
        self.correction_requests = []

    # Revocation ----------------------------------------------------------------
    def revoke(self, reason: str, transfer_id: UUID | None, actor_volunteer_id: UUID | None, actor: str, at: datetime) -> None:
        self.require_status(CONFIRMED)
        self._require_not_own(actor_volunteer_id)
        if not reason.strip():
            raise InvalidInput("a revocation needs a reason", field="reason")
        self._revoked(reason=reason, transfer_id=transfer_id, reversed_minutes=self.credited_minutes, actor=actor, at=at)

    @event("Revoked")
    def _revoked(self, reason: str, transfer_id: UUID | None, reversed_minutes: int, actor: str, at: datetime) -> None:
        self.status = REVOKED
        self.correction_requests = []
        if transfer_id is not None:
            self.transfer_ids.append(transfer_id)
        self.credited_minutes = 0


class DailyDeclarations(Aggregate):
    """The minutes one volunteer has self-declared for one service date, across records: a day
    has only so many hours (the rules' `max_self_declared_minutes_per_day`). A rejected, expired or
    revoked record gives its minutes back."""

    @staticmethod
    def create_id(volunteer_id: UUID, service_date: date) -> UUID:
        return natural_id("daily-declarations", str(volunteer_id), service_date.isoformat())

    @event("Started")
    def __init__(self, volunteer_id: UUID, service_date: date, actor: str, at: datetime) -> None:
        self.minutes_by_record: dict[str, int] = {}

    @property
    def total(self) -> int:
        return sum(self.minutes_by_record.values())

    def declare(self, record_id: UUID, minutes: int, limit: int, actor: str, at: datetime) -> None:
        if self.total + minutes > limit:
            raise RuleViolation(
                f"{self.total} minutes are already declared for this day; at most {limit} can be declared a day",
                field="service_minutes", already_declared=self.total, limit=limit,
            )
        self._declared(record_id=record_id, minutes=minutes, actor=actor, at=at)

    @event("Declared")
    def _declared(self, record_id: UUID, minutes: int, actor: str, at: datetime) -> None:
        self.minutes_by_record = {**self.minutes_by_record, str(record_id): minutes}

    def release(self, record_id: UUID, actor: str, at: datetime) -> bool:
        if str(record_id) not in self.minutes_by_record:
            return False
        self._released(record_id=record_id, actor=actor, at=at)
        return True

    @event("Released")
    def _released(self, record_id: UUID, actor: str, at: datetime) -> None:
        self.minutes_by_record = {k: v for k, v in self.minutes_by_record.items() if k != str(record_id)}
