"""Marshmallow schemas: `...Args` come in (unknown fields rejected), `...Schema` go out."""

from __future__ import annotations

from typing import Any

import phonenumbers
from flask_smorest import pagination
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema
from stdnum.cn import ric

from timebank.clock import local_date, utcnow
from timebank.domain.errors import InvalidInput
from timebank.domain.places import BEIJING_DISTRICTS
from timebank.domain.service_record import SOURCES
from timebank.domain.vocabulary import CURRENT as VOCABULARY
from timebank.domain.volunteer import ID_TYPES, SEXES

STATUSES = ("pending", "confirmed", "rejected", "expired", "revoked")

def d(text: str, **extra: Any) -> dict[str, Any]:
    return {"description": text, **extra}


def _encodable(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("must be Unicode text (no lone surrogates)") from None


def storable(length: validate.Length) -> list[Any]:
    """Validators of free text: the length, and what the stores can keep - PostgreSQL's text holds
    no NUL (one would stall the projector for good), UTF-8 no lone surrogate (`"\\ud800"` in JSON)."""
    return [length, validate.Regexp(r"^[^\x00]*$", error="must not contain NUL characters"), _encodable]


def Text(text: str, *, required: bool = True, max_len: int = 200, min_len: int = 1, **kw: Any) -> fields.Str:  # noqa: N802
    return fields.Str(required=required, validate=storable(validate.Length(min=min_len, max=max_len)), metadata=d(text), **kw)


class Code(fields.Str):
    """A code of the controlled vocabulary (timebank/domain/vocabulary.py); its Chinese label is an alias."""

    def __init__(self, kind: str, text: str, **kw: Any) -> None:
        self.kind = kind
        codes = VOCABULARY.skill_codes() if kind == "skill" else VOCABULARY.category_codes()
        super().__init__(metadata=d(f"{text} A code of the vocabulary (GET /api/vocabulary) or its Chinese label.", enum=list(codes)), **kw)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return VOCABULARY.skill(text) if self.kind == "skill" else VOCABULARY.category(text)
        except InvalidInput as error:
            raise ValidationError(str(error)) from None


def Skills(text: str, **kw: Any) -> fields.List:  # noqa: N802
    return fields.List(Code("skill", "A skill."), validate=validate.Length(max=30), metadata=d(text), **kw)


class ErrorSchema(Schema):
    """Every error response (api/errors.py); some carry more details, e.g. reached_position on a 503."""

    class Meta:
        unknown = INCLUDE  # documented as open: domain errors add their details as extra keys

    code = fields.Int(required=True, metadata=d("The HTTP status code."))
    status = fields.Str(required=True, metadata=d("The HTTP status phrase."))
    message = fields.Str(required=True, metadata=d("What went wrong, naming every field at fault."))
    field = fields.Str(allow_none=True, metadata=d("The (first) field at fault, if any."))
    errors = fields.Dict(
        keys=fields.Str(), metadata=d("Messages by location (json, query, path, headers), then by field."),
    )


class PaginationMetadataSchema(pagination.PaginationMetadataSchema):
    """flask-smorest's X-Pagination header (its own fields ship without descriptions), documented
    by TimeBankApi (api/app.py); flask-smorest still fills the header."""

    total = fields.Int(metadata=d("Number of items in all pages."))
    total_pages = fields.Int(metadata=d("Number of pages."))
    first_page = fields.Int(metadata=d("Number of the first page."))
    last_page = fields.Int(metadata=d("Number of the last page."))
    page = fields.Int(metadata=d("Number of this page."))
    previous_page = fields.Int(metadata=d("Number of the previous page, if any."))
    next_page = fields.Int(metadata=d("Number of the next page, if any."))


# What SQLite's INTEGER and PostgreSQL's bigint hold: a position or tree size beyond it would fail
# in the database, so the schemas declare it as the maximum (and the OpenAPI document says so).
BIGGEST_INTEGER = 2**63 - 1


class MinPositionArgs(Schema):
    min_position = fields.Int(
        validate=validate.Range(min=0, max=BIGGEST_INTEGER),
        metadata=d("Wait (bounded) until the views have processed this event-log position, from a command's X-Event-Position header; 503 if they do not in time, 422 if it is beyond the end of the log."),
    )


# Volunteers ---------------------------------------------------------------------
class RegisterVolunteerArgs(Schema):
    name = Text("Real name (实名), as on the identity document.", max_len=50)
    sex = fields.Str(required=True, validate=validate.OneOf(SEXES), metadata=d("One of " + ", ".join(SEXES)))
    birth_date = fields.Date(required=True, metadata=d("Date of birth, YYYY-MM-DD."))
    id_type = fields.Str(load_default="resident_id", validate=validate.OneOf(ID_TYPES), metadata=d("Identity document type."))
    id_number = Text("Identity document number; for resident_id the 18-character GB 11643 number.", max_len=40)
    phone = Text("Mobile phone number (mainland China).", max_len=20)
    district = fields.Str(required=True, validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("Home district (区)."))
    street = Text("Home street or township (街道/乡镇).", required=False, max_len=64)
    community = Text("Home community or village (社区/村).", required=False, max_len=64)
    skills = Skills("Skills, e.g. first_aid (急救).", load_default=list)
    service_categories = fields.List(Code("category", "A service category."), load_default=list, metadata=d("Preferred service categories."))
    guardian_consent = fields.Bool(load_default=False, metadata=d("A guardian consented (required under 18)."))
    privacy_consent = fields.Bool(
        required=True, validate=validate.Equal(True, error="registration needs consent to the privacy policy (个人信息处理同意)"),
        metadata=d("The person consents to the processing of their personal data under the privacy policy; must be true."),
    )

    @validates_schema
    def _check_documents(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("id_type", "resident_id") == "resident_id" and "id_number" in data:
            number = data["id_number"].strip().upper()
            if not ric.is_valid(number):
                raise ValidationError("not a valid resident ID number (length, region, date or check digit)", "id_number")
            if "birth_date" in data and ric.get_birth_date(number) != data["birth_date"]:
                raise ValidationError("birth_date does not match the resident ID number", "birth_date")
        if "phone" in data:
            try:
                parsed = phonenumbers.parse(data["phone"], "CN")
            except phonenumbers.NumberParseException:
                raise ValidationError("not a phone number", "phone") from None
            if not phonenumbers.is_valid_number(parsed):
                raise ValidationError("not a valid phone number", "phone")
        if "birth_date" in data and data["birth_date"] > local_date(utcnow()):
            raise ValidationError("birth_date is in the future", "birth_date")


class RegistrationSchema(Schema):
    id = fields.UUID(metadata=d("The volunteer's id."))
    volunteer_number = fields.Str(metadata=d("Volunteer number (志愿者编号)."))
    access_token = fields.Str(metadata=d("Bearer token for this volunteer; shown once."))


class VolunteerSchema(Schema):
    id = fields.UUID(metadata=d("Volunteer id."))
    volunteer_number = fields.Str(metadata=d("Volunteer number."))
    name = fields.Str(allow_none=True, metadata=d("Real name; null once erased."))
    sex = fields.Str(allow_none=True, metadata=d("Sex; null once erased."))
    birth_date = fields.Str(allow_none=True, metadata=d("Date of birth; null once erased."))
    id_type = fields.Str(allow_none=True, metadata=d("Identity document type; null once erased."))
    id_number_masked = fields.Str(allow_none=True, metadata=d("Identity number with the middle masked; null once erased."))
    phone_masked = fields.Str(allow_none=True, metadata=d("Phone with the middle masked; null once erased."))
    erased = fields.Bool(metadata=d("The personal data was erased (PIPL): its key is destroyed."))
    erased_at = fields.AwareDateTime(allow_none=True, metadata=d("When it was erased."))
    district = fields.Str(metadata=d("Home district."))
    street = fields.Str(metadata=d("Home street."))
    community = fields.Str(metadata=d("Home community."))
    skills = fields.List(fields.Str(), metadata=d("Skills."))
    service_categories = fields.List(fields.Str(), metadata=d("Preferred categories."))
    guardian_consent = fields.Bool(metadata=d("Guardian consent on file."))
    registered_at = fields.AwareDateTime(metadata=d("When registered."))
    confirmed_service_minutes = fields.Int(metadata=d("Total confirmed service minutes (时长)."))
    confirmed_records = fields.Int(metadata=d("Number of confirmed service records."))
    organizations = fields.List(fields.UUID(), metadata=d("Organizations this volunteer organizes."))


# Organizations ----------------------------------------------------------------------
class RegisterOrganizationArgs(Schema):
    name = Text("Organization name.", max_len=200)
    district = fields.Str(required=True, validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("District."))
    street = Text("Street or township.", required=False, max_len=64)
    description = Text("What the organization does.", required=False, max_len=2000, min_len=0, load_default="")


class StationArgs(Schema):
    district = fields.Str(required=True, validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("District: the organization's."))
    street = Text("Street or township (a registered institute).", max_len=64)
    community = Text("Community or village (a registered station): the organization posts needs on its behalf.", max_len=64)


class StationSchema(Schema):
    district = fields.Str(metadata=d("District."))
    street = fields.Str(metadata=d("Street or township."))
    community = fields.Str(metadata=d("Community or village."))


class AddOrganizerArgs(Schema):
    volunteer_id = fields.UUID(required=True, metadata=d("The volunteer who becomes an organizer."))


class OrganizationSchema(Schema):
    id = fields.UUID(metadata=d("Organization id."))
    name = fields.Str(metadata=d("Name."))
    district = fields.Str(metadata=d("District."))
    street = fields.Str(allow_none=True, metadata=d("Street."))
    description = fields.Str(metadata=d("Description."))
    verified = fields.Bool(metadata=d("Verified by an admin."))
    registered_at = fields.AwareDateTime(metadata=d("When registered."))
    verified_at = fields.AwareDateTime(allow_none=True, metadata=d("When verified."))
    organizers = fields.List(fields.UUID(), metadata=d("Organizer volunteer ids."))
    station = fields.Nested(StationSchema, allow_none=True, metadata=d(
        "The community whose practice station (实践站) it runs, if an admin designated it: its needs are that community's."))


# Projects and shifts -------------------------------------------------------------------
class PublishProjectArgs(Schema):
    organization_id = fields.UUID(required=True, metadata=d("The organizing organization."))
    name = Text("Activity name.", max_len=200)
    description = Text("Description.", required=False, max_len=4000, min_len=0, load_default="")
    category = Code("category", "Service category.", load_default="community_service")
    district = fields.Str(validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("District; defaults to the organization's."))
    street = Text("Street.", required=False, max_len=64)
    community = Text("Community.", required=False, max_len=64)
    person_in_charge = Text("Person in charge (负责人), printed on records.", max_len=100)


class ProjectSchema(Schema):
    id = fields.UUID(metadata=d("Project id."))
    organization_id = fields.UUID(metadata=d("Organization."))
    name = fields.Str(metadata=d("Name."))
    description = fields.Str(metadata=d("Description."))
    category = fields.Str(metadata=d("Category."))
    district = fields.Str(metadata=d("District."))
    street = fields.Str(allow_none=True, metadata=d("Street."))
    community = fields.Str(allow_none=True, metadata=d("Community."))
    person_in_charge = fields.Str(metadata=d("Person in charge."))
    published_at = fields.AwareDateTime(metadata=d("When published."))


class AddShiftArgs(Schema):
    title = Text("Shift title, e.g. 上午班.", max_len=200)
    starts_at = fields.AwareDateTime(required=True, metadata=d("Start, ISO 8601 with offset."))
    ends_at = fields.AwareDateTime(required=True, metadata=d("End, after the start, at most 24 h later."))
    place = Text("Where.", max_len=200)
    capacity = fields.Int(required=True, strict=True, validate=validate.Range(min=1, max=10000), metadata=d("Number of places."))
    required_skills = Skills("Skills a volunteer must have.", load_default=list)

    @validates_schema
    def _check_times(self, data: dict[str, Any], **_: Any) -> None:
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("ends_at must be after starts_at", "ends_at")


class RosterEntrySchema(Schema):
    volunteer_id = fields.UUID(metadata=d("Volunteer."))
    volunteer_number = fields.Str(allow_none=True, metadata=d("Volunteer number (志愿者编号)."))
    name = fields.Str(allow_none=True, metadata=d("Name, for the organizers who run the shift; none once erased."))
    phone_masked = fields.Str(allow_none=True, metadata=d("Phone, masked (139****5678)."))
    status = fields.Str(metadata=d("signed_up, checked_in or checked_out."))
    signed_up_at = fields.AwareDateTime(metadata=d("When signed up."))
    checked_in_at = fields.AwareDateTime(allow_none=True, metadata=d("Check-in time."))
    checked_out_at = fields.AwareDateTime(allow_none=True, metadata=d("Check-out time."))
    service_minutes = fields.Int(allow_none=True, metadata=d("Served minutes."))
    auto_closed = fields.Bool(metadata=d("Check-out closed automatically (flagged for review)."))


class ShiftSummarySchema(Schema):
    id = fields.UUID(metadata=d("Shift id."))
    project_id = fields.UUID(metadata=d("Project."))
    organization_id = fields.UUID(metadata=d("Organization."))
    title = fields.Str(metadata=d("Title."))
    starts_at = fields.AwareDateTime(metadata=d("Start."))
    ends_at = fields.AwareDateTime(metadata=d("End."))
    place = fields.Str(metadata=d("Place."))
    required_skills = fields.List(fields.Str(), metadata=d("Required skills."))
    capacity = fields.Int(metadata=d("Places."))
    signed_up_count = fields.Int(metadata=d("Places taken."))
    places_left = fields.Int(metadata=d("Places left."))


class ShiftSchema(ShiftSummarySchema):
    roster = fields.List(fields.Nested(RosterEntrySchema), metadata=d("Roster; only for the organization's organizers, auditors and admins."))


class SignUpArgs(Schema):
    volunteer_id = fields.UUID(metadata=d("Who signs up; defaults to the calling volunteer. Organizers may sign up others."))


class AttendanceArgs(Schema):
    volunteer_id = fields.UUID(required=True, metadata=d("The volunteer checked in or out."))
    at = fields.AwareDateTime(metadata=d("When; defaults to now. Never in the future."))


# Service records -----------------------------------------------------------------------
class DeclareServiceArgs(Schema):
    project_id = fields.UUID(required=True, metadata=d("The project served."))
    shift_id = fields.UUID(metadata=d("The shift served, if any; minutes may not exceed its length."))
    service_date = fields.Date(required=True, metadata=d("Date of service (not in the future)."))
    service_minutes = fields.Int(required=True, strict=True, validate=validate.Range(min=1, max=24 * 60), metadata=d("Minutes actually given."))
    content = Text("Service content (服务内容).", max_len=1000)
    place = Text("Place, if not the shift's.", required=False, max_len=200)


class BatchEntryArgs(Schema):
    volunteer_id = fields.UUID(required=True, metadata=d("Volunteer."))
    service_date = fields.Date(required=True, metadata=d("Date of service."))
    service_minutes = fields.Int(required=True, strict=True, validate=validate.Range(min=1, max=24 * 60), metadata=d("Minutes."))
    content = Text("Service content.", max_len=1000)
    shift_id = fields.UUID(metadata=d("Shift, if any."))


class BatchArgs(Schema):
    project_id = fields.UUID(required=True, metadata=d("The project; the caller must organize its organization."))
    entries = fields.List(fields.Nested(BatchEntryArgs), required=True, validate=validate.Length(min=1, max=500), metadata=d("1 to 500 entries; all are recorded or none."))


class ReasonArgs(Schema):
    reason = Text("Why.", max_len=1000)


class CorrectionArgs(Schema):
    service_minutes = fields.Int(required=True, strict=True, validate=validate.Range(min=1, max=24 * 60), metadata=d("The corrected minutes."))
    reason = Text("Why.", max_len=1000)


class ServiceRecordSchema(Schema):
    id = fields.UUID(metadata=d("Record id."))
    volunteer_id = fields.UUID(metadata=d("Volunteer."))
    organization_id = fields.UUID(metadata=d("Organizing organization."))
    project_id = fields.UUID(metadata=d("Project."))
    shift_id = fields.UUID(allow_none=True, metadata=d("Shift."))
    activity = fields.Str(metadata=d("Activity name."))
    category = fields.Str(metadata=d("Category."))
    service_date = fields.Date(metadata=d("Date of service."))
    recorded_at = fields.AwareDateTime(metadata=d("Date of recording."))
    place = fields.Str(metadata=d("Place."))
    content = fields.Str(metadata=d("Content."))
    service_minutes = fields.Int(metadata=d("Minutes."))
    person_in_charge = fields.Str(metadata=d("Person in charge."))
    source = fields.Str(metadata=d("One of " + ", ".join(SOURCES)))
    status = fields.Str(metadata=d("One of " + ", ".join(STATUSES)))
    confirmation_deadline = fields.Date(allow_none=True, metadata=d("Pending records expire after this date."))
    flags = fields.List(fields.Str(), metadata=d("Review flags, e.g. auto_closed."))
    credited_minutes = fields.Int(metadata=d("Credit-minutes posted for this record."))
    pending_credit_minutes = fields.Int(metadata=d("Credit-minutes pending for this record."))
    rules_version = fields.Str(metadata=d("Rule set that valued it."))
    decided_at = fields.AwareDateTime(allow_none=True, metadata=d("When confirmed/rejected/expired/revoked."))
    decided_by = fields.Str(allow_none=True, metadata=d("Who decided."))
    reason = fields.Str(allow_none=True, metadata=d("Reason of a rejection or revocation."))
    requested_minutes = fields.Int(allow_none=True, metadata=d("Minutes the volunteer asked for in an open correction request."))
    requested_reason = fields.Str(allow_none=True, metadata=d("Reason of the open correction request."))
    volunteer_number = fields.Str(allow_none=True, metadata=d("Volunteer number (志愿者编号); only for the organization's organizers."))
    name = fields.Str(allow_none=True, metadata=d("The volunteer's name; only for the organization's organizers, none once erased."))
    phone_masked = fields.Str(allow_none=True, metadata=d("The volunteer's phone, masked (139****5678); only for the organization's organizers."))


class RecordListArgs(MinPositionArgs):
    status = fields.Str(validate=validate.OneOf(STATUSES), metadata=d("Only records in this status."))
    since = fields.Date(metadata=d("Service date from (inclusive)."))
    until = fields.Date(metadata=d("Service date until (inclusive)."))


# Results and history ---------------------------------------------------------------------
class CreatedSchema(Schema):
    id = fields.UUID(metadata=d("Id of what was created."))


class CreatedCountSchema(Schema):
    created = fields.Int(metadata=d("How many new things were registered (known ones are skipped)."))


class BatchResultSchema(Schema):
    ids = fields.List(fields.UUID(), metadata=d("Ids of the records, in entry order."))


class RecordDecisionSchema(Schema):
    id = fields.UUID(metadata=d("Record id."))
    outcome = fields.Str(metadata=d("What happened: confirmed, rejected, requested, applied, revoked."))


class EventSchema(Schema):
    version = fields.Int(metadata=d("Aggregate version after this event."))
    type = fields.Str(metadata=d("Event type, e.g. ServiceRecord.Confirmed."))
    timestamp = fields.AwareDateTime(metadata=d("When stored."))
    actor = fields.Str(allow_none=True, metadata=d("Who caused it, e.g. volunteer:<id>."))
    data = fields.Dict(metadata=d("The event's fields; personal data masked."))


