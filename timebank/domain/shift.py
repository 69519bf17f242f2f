"""The shift (岗位/班次): a slot of a project with capacity, sign-ups and attendance."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.errors import Conflict, InvalidInput, RuleViolation


def whole_minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


class Shift(Aggregate):
    @event("Scheduled")
    def __init__(
        self,
        project_id: UUID,
        organization_id: UUID,
        title: str,
        starts_at: datetime,
        ends_at: datetime,
        place: str,
        required_skills: list[str],
        capacity: int,
        actor: str,
        at: datetime,
    ) -> None:
        self.project_id = project_id
        self.organization_id = organization_id
        self.title = title
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.place = place
        self.required_skills = required_skills
        self.capacity = capacity
        self.signed_up: list[UUID] = []
        self.checked_in: dict[str, datetime] = {}  # volunteer id -> check-in time, while on site
        self.attended: dict[str, list[datetime]] = {}  # volunteer id -> [check-in, check-out]

    @staticmethod
    def check_schedule(starts_at: datetime, ends_at: datetime, capacity: int) -> None:
        if starts_at.tzinfo is None or ends_at.tzinfo is None:
            raise InvalidInput("times need a UTC offset", field="starts_at")
        if ends_at <= starts_at:
            raise InvalidInput("ends_at must be after starts_at", field="ends_at")
        if ends_at - starts_at > timedelta(hours=24):
            raise InvalidInput("a shift lasts at most 24 hours", field="ends_at")
        if capacity < 1:
            raise InvalidInput("capacity must be at least 1", field="capacity")

    @property
    def scheduled_minutes(self) -> int:
        return whole_minutes(self.ends_at - self.starts_at)

    def change_capacity(self, capacity: int, actor: str, at: datetime, field: str = "capacity") -> None:
        """More or fewer places, never fewer than the volunteers signed up."""
        if capacity < 1:
            raise InvalidInput("capacity must be at least 1", field=field)
        if capacity < len(self.signed_up):
            raise Conflict(f"{len(self.signed_up)} volunteers are signed up already: the shift cannot hold fewer", field=field)
        if capacity != self.capacity:
            self._capacity_changed(capacity=capacity, actor=actor, at=at)

    @event("CapacityChanged")
    def _capacity_changed(self, capacity: int, actor: str, at: datetime) -> None:
        self.capacity = capacity

    def reschedule(self, starts_at: datetime, ends_at: datetime, actor: str, at: datetime, field: str = "starts_at") -> None:
        """Another time, while no volunteer is signed up (their bookings were for this one)."""
        self.check_schedule(starts_at, ends_at, self.capacity)
        if self.signed_up or self.attended or self.checked_in:
            raise Conflict(f"{len(self.signed_up)} volunteers are signed up for the current time: cancel their sign-ups first, or "
                           "close this and post another (their bookings were for this time)", field=field)
        if (starts_at, ends_at) != (self.starts_at, self.ends_at):
            self._rescheduled(starts_at=starts_at, ends_at=ends_at, actor=actor, at=at)

    @event("Rescheduled")
    def _rescheduled(self, starts_at: datetime, ends_at: datetime, actor: str, at: datetime) -> None:
        self.starts_at, self.ends_at = starts_at, ends_at

    # Sign-up -------------------------------------------------------------------
    def sign_up(self, volunteer_id: UUID, skills: list[str], actor: str, at: datetime) -> None:
        if at >= self.ends_at:
            raise RuleViolation("this shift has already ended", field="shift_id")
        if volunteer_id in self.signed_up:
            raise Conflict("this volunteer is already signed up for this shift", field="volunteer_id")
        if len(self.signed_up) >= self.capacity:
            raise Conflict(f"this shift is full ({self.capacity} places)", field="shift_id")
        missing = sorted(set(self.required_skills) - set(skills))
        if missing:
            raise RuleViolation(f"this shift requires skills the volunteer lacks: {', '.join(missing)}", field="volunteer_id")
        self._signed_up(volunteer_id=volunteer_id, actor=actor, at=at)

    @event("SignedUp")
    def _signed_up(self, volunteer_id: UUID, actor: str, at: datetime) -> None:
        self.signed_up.append(volunteer_id)

    def cancel_sign_up(self, volunteer_id: UUID, actor: str, at: datetime) -> None:
        if volunteer_id not in self.signed_up:
            raise Conflict("this volunteer is not signed up for this shift", field="volunteer_id")
        if str(volunteer_id) in self.checked_in or str(volunteer_id) in self.attended:
            raise RuleViolation("a volunteer who has checked in can no longer cancel", field="volunteer_id")
        if at >= self.starts_at:
            raise RuleViolation("the shift has started; sign-ups can no longer be cancelled", field="shift_id")
        self._sign_up_cancelled(volunteer_id=volunteer_id, actor=actor, at=at)

    @event("SignUpCancelled")
    def _sign_up_cancelled(self, volunteer_id: UUID, actor: str, at: datetime) -> None:
        self.signed_up.remove(volunteer_id)

    # Attendance ----------------------------------------------------------------
    def check_in(self, volunteer_id: UUID, checked_in_at: datetime, actor: str, at: datetime) -> None:
        if volunteer_id not in self.signed_up:
            raise RuleViolation("only volunteers signed up for this shift can check in", field="volunteer_id")
        key = str(volunteer_id)
        if key in self.checked_in:
            raise Conflict("this volunteer is already checked in", field="volunteer_id")
        if key in self.attended:
            raise Conflict("this volunteer has already checked out of this shift", field="volunteer_id")
        if checked_in_at > at:
            raise InvalidInput("a check-in cannot be in the future", field="at")
        if not (self.starts_at - timedelta(hours=2) <= checked_in_at <= self.ends_at):
            raise RuleViolation("check-in is open from 2 hours before the shift until its end", field="at")
        self._checked_in(volunteer_id=volunteer_id, checked_in_at=checked_in_at, actor=actor, at=at)

    @event("CheckedIn")
    def _checked_in(self, volunteer_id: UUID, checked_in_at: datetime, actor: str, at: datetime) -> None:
        self.checked_in[str(volunteer_id)] = checked_in_at

    def require_within_length(self, minutes: int, field: str = "service_minutes") -> None:
        """A back-filled entry may not exceed the shift's scheduled length."""
        if minutes > self.scheduled_minutes:
            raise RuleViolation(f"{minutes} minutes exceed the shift's scheduled length of {self.scheduled_minutes}", field=field)

    def served_minutes(self, checked_in_at: datetime, checked_out_at: datetime) -> int:
        """Time actually given, never more than the shift's scheduled length."""
        return min(whole_minutes(checked_out_at - checked_in_at), self.scheduled_minutes)

    def check_out(
        self, volunteer_id: UUID, checked_out_at: datetime, actor: str, at: datetime, *, automatic: bool = False
    ) -> int:
        key = str(volunteer_id)
        if key not in self.checked_in:
            raise RuleViolation("this volunteer has not checked in", field="volunteer_id")
        checked_in_at = self.checked_in[key]
        if checked_out_at > at:
            raise InvalidInput("a check-out cannot be in the future", field="at")
        if checked_out_at <= checked_in_at:
            raise InvalidInput("a check-out must come after the check-in", field="at")
        minutes = self.served_minutes(checked_in_at, checked_out_at)
        if minutes < 1:
            raise RuleViolation("less than one minute was served", field="at")
        self._checked_out(
            volunteer_id=volunteer_id,
            checked_out_at=checked_out_at,
            service_minutes=minutes,
            automatic=automatic,
            actor=actor,
            at=at,
        )
        return minutes

    @event("CheckedOut")
    def _checked_out(
        self,
        volunteer_id: UUID,
        checked_out_at: datetime,
        service_minutes: int,
        automatic: bool,
        actor: str,
        at: datetime,
    ) -> None:
        key = str(volunteer_id)
        self.attended[key] = [self.checked_in.pop(key), checked_out_at]
