"""Use cases of attendance: check-in, check-out and the clock's automatic check-out."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from timebank.application.base import TimeBankBase, retrying
from timebank.clock import local_date
from timebank.domain.actors import Actor
from timebank.domain.errors import RuleViolation
from timebank.domain.recording import auto_check_out_at, check_recording_deadline, new_record
from timebank.domain.service_record import PENDING
from timebank.domain.shift import Shift


class Attendance(TimeBankBase):
    """Check-in and check-out (签到/签退); a check-out records the served minutes."""

    @retrying
    def check_in(self, actor: Actor, shift_id: UUID, volunteer_id: UUID, at: datetime | None = None) -> None:
        shift = self.get_shift(shift_id)
        self._require_organizer(actor, shift.organization_id)
        now = self._now()
        service_date = local_date(at or now)
        if service_date <= local_date(now):
            check_recording_deadline(self.calendar, service_date, local_date(now), self._rules_on(service_date, "at"), "at")
        shift.check_in(volunteer_id, at or now, actor.ref, now)
        self.save(shift)

    @retrying
    def check_out(self, actor: Actor, shift_id: UUID, volunteer_id: UUID, at: datetime | None = None) -> UUID:
        """Close attendance and record the served minutes as a pending service record."""
        shift = self.get_shift(shift_id)
        self._require_organizer(actor, shift.organization_id)
        return self._check_out(shift, volunteer_id, at, actor.ref, automatic=False)

    def _check_out(self, shift: Shift, volunteer_id: UUID, at: datetime | None, actor: str, *, automatic: bool) -> UUID:
        now = self._now()
        checked_in_at = shift.checked_in.get(str(volunteer_id))
        if checked_in_at is None:
            raise RuleViolation("this volunteer has not checked in", field="volunteer_id")
        service_date = local_date(checked_in_at)
        rules = self._rules_on(service_date, "at")
        check_recording_deadline(self.calendar, service_date, local_date(now), rules, "at")
        minutes = shift.check_out(volunteer_id, at or now, actor, now, automatic=automatic)
        project = self.get_project(shift.project_id)
        record, credit = new_record(
            volunteer_id=volunteer_id, project=project, shift=shift, service_date=service_date,
            service_minutes=minutes, content=shift.title, place=shift.place, source="check_out", status=PENDING,
            flags=["auto_closed"] if automatic else [], rules=rules, calendar=self.calendar,
            account=self._account(volunteer_id), actor=actor, now=now,
        )
        self.save(shift, record, *credit)
        return record.id

    @retrying
    def auto_check_out(self, shift_id: UUID, volunteer_id: UUID, actor: Actor) -> UUID | None:
        """Close a check-in left open past the configured hours, at the shift's end, flagged."""
        shift = self.get_shift(shift_id)
        checked_in_at = shift.checked_in.get(str(volunteer_id))
        if checked_in_at is None:
            return None
        out = auto_check_out_at(shift, volunteer_id, self._now(), self._rules_on(local_date(checked_in_at)))
        return None if out is None else self._check_out(shift, volunteer_id, out, actor.ref, automatic=True)

