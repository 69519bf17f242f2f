"""The service record's life cycle as a pure aggregate: pending -> confirmed | rejected | expired,
confirmed -> revoked; corrections are new events, decided by the organization."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any
from uuid import uuid4

import pytest

from timebank.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, RuleViolation
from timebank.domain.service_record import (
    CONFIRMED,
    EXPIRED,
    PENDING,
    REJECTED,
    REVOKED,
    ServiceRecord,
    check_minutes,
)

T0 = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)
DEADLINE = date(2026, 12, 2)
VOLUNTEER = uuid4()
ORGANIZER = uuid4()


def a_record(status: str = PENDING, minutes: int = 120) -> ServiceRecord:
    return ServiceRecord(
        record_id=uuid4(), volunteer_id=VOLUNTEER, organization_id=uuid4(), project_id=uuid4(), shift_id=None, activity="a",
        category="elderly_care", service_date=date(2026, 11, 18), place="p", content="c", service_minutes=minutes,
        person_in_charge="王", source="self_declared", status=status,
        confirmation_deadline=DEADLINE if status == PENDING else None, flags=[],
        credit_transfer_id=uuid4(), credit_minutes=minutes, rules_version="v", actor="volunteer:x", at=T0,
    )


def confirmed() -> ServiceRecord:
    record = a_record()
    record.confirm(ORGANIZER, "o", T0)
    return record


def event_names(record: ServiceRecord) -> list[str]:
    return [type(e).__name__ for e in record.pending_events]


class TestRecording:
    def test_the_date_of_service_is_kept_apart_from_the_date_of_recording(self) -> None:
        record = a_record()
        assert record.service_date == date(2026, 11, 18) and record.recorded_at == T0

    def test_a_pending_record_holds_its_credits_as_pending_and_a_bulk_record_as_credited(self) -> None:
        pending, direct = a_record(PENDING, 90), a_record(CONFIRMED, 90)
        assert (pending.pending_credit_minutes, pending.credited_minutes) == (90, 0)
        assert pending.pending_transfer_id == pending.transfer_ids[0]
        assert (direct.pending_credit_minutes, direct.credited_minutes, direct.pending_transfer_id) == (0, 90, None)

    def test_transfer_ids_are_deterministic_per_record_and_sequence(self) -> None:
        record_id = uuid4()
        assert ServiceRecord.transfer_id_for(record_id, 1) == ServiceRecord.transfer_id_for(record_id, 1)
        assert ServiceRecord.transfer_id_for(record_id, 1) != ServiceRecord.transfer_id_for(record_id, 2)

    @pytest.mark.parametrize(("minutes", "error"), [(0, InvalidInput), (-5, InvalidInput), (961, RuleViolation)])
    def test_minutes_must_be_positive_and_within_the_daily_limit(self, minutes: int, error: type[DomainError]) -> None:
        with pytest.raises(error) as raised:
            check_minutes(minutes, limit=960, field="entries.0.service_minutes")
        assert raised.value.field == "entries.0.service_minutes"
        check_minutes(960, limit=960)


class TestDecisions:
    def test_confirming_moves_the_pending_credits_to_credited(self) -> None:
        record = confirmed()
        assert record.status == CONFIRMED
        assert (record.credited_minutes, record.pending_credit_minutes, record.pending_transfer_id) == (120, 0, None)

    def test_confirming_twice_is_a_conflict(self) -> None:
        record = confirmed()
        with pytest.raises(Conflict, match="confirmed"):
            record.confirm(ORGANIZER, "o", T0)
        assert event_names(record).count("Confirmed") == 1

    @pytest.mark.parametrize("decide", ["confirm", "reject", "correct", "revoke"])
    def test_an_organizer_cannot_decide_on_their_own_record(self, decide: str) -> None:
        record = confirmed() if decide == "revoke" else a_record()
        status = record.status
        with pytest.raises(Forbidden, match="own"):
            if decide == "confirm":
                record.confirm(VOLUNTEER, "o", T0)
            elif decide == "reject":
                record.reject("no", VOLUNTEER, "o", T0)
            elif decide == "correct":
                record.correct(60, "why", 60, None, VOLUNTEER, "o", T0)
            else:
                record.revoke("why", None, VOLUNTEER, "o", T0)
        assert record.status == status

    def test_a_rejection_needs_a_reason(self) -> None:
        record = a_record()
        with pytest.raises(InvalidInput) as raised:
            record.reject("   ", ORGANIZER, "o", T0)
        assert raised.value.field == "reason" and record.status == PENDING
        record.reject("not our activity", ORGANIZER, "o", T0)
        assert (record.status, record.pending_credit_minutes, record.pending_transfer_id) == (REJECTED, 0, None)

    def test_a_rejected_record_can_be_neither_confirmed_nor_corrected(self) -> None:
        record = a_record()
        record.reject("no", ORGANIZER, "o", T0)
        with pytest.raises(Conflict):
            record.confirm(ORGANIZER, "o", T0)
        with pytest.raises(Conflict):
            record.correct(60, "why", 60, None, ORGANIZER, "o", T0)
        with pytest.raises(Conflict):
            record.request_correction(60, "why", VOLUNTEER, "v", T0)

    def test_only_a_confirmed_record_can_be_revoked_and_revoking_needs_a_reason(self) -> None:
        with pytest.raises(Conflict):
            a_record().revoke("false", None, ORGANIZER, "o", T0)
        record = confirmed()
        with pytest.raises(InvalidInput):
            record.revoke(" ", None, ORGANIZER, "o", T0)
        reversal = uuid4()
        record.revoke("found to be false", reversal, ORGANIZER, "o", T0)
        assert (record.status, record.credited_minutes, record.transfer_ids[-1]) == (REVOKED, 0, reversal)


class TestExpiry:
    def test_a_record_expires_only_after_its_confirmation_deadline(self) -> None:
        record = a_record()
        with pytest.raises(RuleViolation, match="deadline"):
            record.expire(DEADLINE, "system:clock", T0)
        assert record.status == PENDING
        record.expire(date(2026, 12, 3), "system:clock", T0)
        assert (record.status, record.pending_credit_minutes) == (EXPIRED, 0)

    def test_only_a_pending_record_expires(self) -> None:
        record = confirmed()
        with pytest.raises(Conflict):
            record.expire(date(2027, 1, 1), "system:clock", T0)
        assert record.status == CONFIRMED


class TestCorrections:
    def test_only_the_volunteer_of_the_record_may_request_a_correction(self) -> None:
        record = a_record()
        with pytest.raises(Forbidden, match="only the volunteer"):
            record.request_correction(150, "I stayed longer", ORGANIZER, "o", T0)
        with pytest.raises(Forbidden):
            record.request_correction(150, "I stayed longer", None, "admin:-", T0)
        record.request_correction(150, "I stayed longer", VOLUNTEER, "v", T0)
        assert record.correction_requests[0]["proposed_minutes"] == 150
        assert record.service_minutes == 120, "a request changes nothing"

    def test_a_correction_request_needs_a_reason_and_a_different_figure(self) -> None:
        record = a_record()
        with pytest.raises(InvalidInput, match="reason"):
            record.request_correction(150, "", VOLUNTEER, "v", T0)
        with pytest.raises(InvalidInput, match="already"):
            record.request_correction(120, "why", VOLUNTEER, "v", T0)
        assert record.correction_requests == []

    def test_a_correction_of_a_confirmed_record_is_a_new_event_with_reason_and_actor(self) -> None:
        record = confirmed()
        record.request_correction(150, "I stayed longer", VOLUNTEER, "v", T0)
        difference = uuid4()
        record.correct(150, "checked the sheet", 150, difference, ORGANIZER, "volunteer:o", T0)
        corrected: Any = record.pending_events[-1]
        assert type(corrected).__name__ == "Corrected"
        assert (corrected.previous_minutes, corrected.service_minutes) == (120, 150)
        assert (corrected.reason, corrected.actor) == ("checked the sheet", "volunteer:o")
        assert (record.service_minutes, record.credited_minutes, record.transfer_ids[-1]) == (150, 150, difference)
        assert record.correction_requests == [], "the decision closes the request"

    def test_a_correction_of_a_pending_record_replaces_the_pending_transfer(self) -> None:
        record = a_record()
        replacement = uuid4()
        record.correct(60, "left early", 60, replacement, ORGANIZER, "o", T0)
        assert (record.pending_transfer_id, record.pending_credit_minutes, record.credited_minutes) == (replacement, 60, 0)

    def test_a_correction_needs_a_reason_and_a_different_figure(self) -> None:
        record = confirmed()
        with pytest.raises(InvalidInput, match="reason"):
            record.correct(60, " ", 60, None, ORGANIZER, "o", T0)
        with pytest.raises(InvalidInput, match="already"):
            record.correct(120, "why", 120, None, ORGANIZER, "o", T0)
        assert record.service_minutes == 120
