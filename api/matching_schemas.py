"""Schemas of matching (供需对接): the vocabulary, the practice hierarchy, needs, supply, proposals."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.schemas import Code, MinPositionArgs, ShiftSummarySchema, Skills, Text, d
from timebank.domain.need import MAX_VOLUNTEERS
from timebank.domain.places import BEIJING_DISTRICTS


class PlaceRowArgs(Schema):
    district = fields.Str(required=True, validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("District (区): its center."))
    street = Text("Street or township (街道/乡镇): its institute.", max_len=64)
    community = Text("Community or village (社区/村): its station; empty registers the street alone.", max_len=64, min_len=0, required=False, load_default="")


class RegisterPlacesArgs(Schema):
    rows = fields.List(fields.Nested(PlaceRowArgs), required=True, validate=validate.Length(min=1, max=10_000), metadata=d("Places to register."))


class PlacesQueryArgs(MinPositionArgs):
    district = fields.Str(validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("Only this district, with its streets and communities."))


class StreetSchema(Schema):
    street = fields.Str(metadata=d("Street or township (its institute, 所)."))
    communities = fields.List(fields.Str(), metadata=d("Its communities or villages (their stations, 站)."))


class CenterSchema(Schema):
    district = fields.Str(metadata=d("District (区)."))
    center = fields.Str(metadata=d("Its practice center (中心)."))
    streets = fields.List(fields.Nested(StreetSchema), metadata=d("Registered streets, when one district is asked for."))


class TermSchema(Schema):
    code = fields.Str(metadata=d("The code the API takes and returns."))
    zh = fields.Str(metadata=d("Chinese label; accepted as an alias of the code."))
    en = fields.Str(metadata=d("English label."))


class VocabularySchema(Schema):
    version = fields.Str(metadata=d("Version of the vocabulary (codes are only ever added)."))
    effective_from = fields.Date(metadata=d("When this version took effect."))
    skills = fields.List(fields.Nested(TermSchema), metadata=d("Skills."))
    categories = fields.List(fields.Nested(TermSchema), metadata=d("Service categories."))


# Discovery ---------------------------------------------------------------------
class _PlaceFilters(MinPositionArgs):
    district = fields.Str(validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("District (区)."))
    street = fields.Str(validate=validate.Length(max=64), metadata=d("Street or township (街道/乡镇)."))
    community = fields.Str(validate=validate.Length(max=64), metadata=d("Community or village (社区/村)."))
    station = fields.Str(validate=validate.Length(max=64), metadata=d("A practice station (站): the community it serves."))
    category = Code("category", "Service category.")
    q = fields.Str(validate=validate.Length(min=1, max=100), metadata=d("Free text in titles, descriptions and places."))
    organization_id = fields.UUID(metadata=d("Only this organization's."))


class _WhenFilters(_PlaceFilters):
    starts_from = fields.AwareDateTime(metadata=d("Starting at or after this time (ISO 8601 with offset)."))
    starts_before = fields.AwareDateTime(metadata=d("Starting before this time."))
    skill = fields.List(Code("skill", "A skill."), metadata=d("Requiring this skill (repeat for several)."))

    @validates_schema
    def _check_range(self, data: dict[str, Any], **_: Any) -> None:
        if "starts_from" in data and "starts_before" in data and data["starts_before"] <= data["starts_from"]:
            raise ValidationError("starts_before must be after starts_from", "starts_before")


class ShiftSearchArgs(_WhenFilters):
    project_id = fields.UUID(metadata=d("Only this project's shifts."))
    include_full = fields.Bool(load_default=False, metadata=d("Also shifts with no places left."))


class NeedSearchArgs(_WhenFilters):
    status = fields.Str(validate=validate.OneOf(("open", "closed", "filled")), metadata=d("open (the default), closed or filled."))


class ProjectSearchArgs(_PlaceFilters):
    pass


class FoundShiftSchema(ShiftSummarySchema):
    project_name = fields.Str(metadata=d("The project."))
    organization_name = fields.Str(metadata=d("The organization."))
    category = fields.Str(metadata=d("Service category."))
    district = fields.Str(metadata=d("District."))
    street = fields.Str(allow_none=True, metadata=d("Street."))
    community = fields.Str(allow_none=True, metadata=d("Community."))


# Needs -------------------------------------------------------------------------
class PostNeedArgs(Schema):
    organization_id = fields.UUID(required=True, metadata=d("The organization that posts the need."))
    project_id = fields.UUID(required=True, metadata=d("The organization's project the need belongs to (its shift is added to it)."))
    title = Text("Title, e.g. 陪老人就医.", max_len=200)
    content = Text("What volunteers will do.", max_len=2000)
    category = Code("category", "Service category; defaults to the project's.")
    required_skills = Skills("Skills every volunteer must have.", load_default=list)
    district = fields.Str(required=True, validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("District of the place."))
    street = Text("Street or township (a registered institute).", max_len=64)
    community = Text("Community or village (a registered station).", max_len=64)
    starts_at = fields.AwareDateTime(required=True, metadata=d("Start, ISO 8601 with offset."))
    ends_at = fields.AwareDateTime(required=True, metadata=d("End: after the start, in the future, at most 24 h later."))
    volunteers_needed = fields.Int(required=True, strict=True, metadata=d("Number of volunteers (slots), at least 1."))
    min_age = fields.Int(strict=True, validate=validate.Range(min=14, max=120), metadata=d("Youngest age allowed, on the day."))
    max_age = fields.Int(strict=True, validate=validate.Range(min=14, max=120), metadata=d("Oldest age allowed, on the day."))
    requirements = fields.List(Text("A requirement.", max_len=200), load_default=list, validate=validate.Length(max=20),
                               metadata=d("Other requirements, in words."))

    @validates_schema
    def _check_times(self, data: dict[str, Any], **_: Any) -> None:
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("ends_at must be after starts_at", "ends_at")


class UpdateNeedArgs(Schema):
    content = Text("What volunteers will do.", max_len=2000, required=False)
    requirements = fields.List(Text("A requirement.", max_len=200), validate=validate.Length(max=20), metadata=d("Other requirements."))
    min_age = fields.Int(strict=True, validate=validate.Range(min=14, max=120), metadata=d("Youngest age allowed."))
    max_age = fields.Int(strict=True, validate=validate.Range(min=14, max=120), metadata=d("Oldest age allowed."))
    volunteers_needed = fields.Int(
        strict=True, validate=validate.Range(min=1, max=MAX_VOLUNTEERS),
        metadata=d("Slots: the need's shift gets as many places; never fewer than the volunteers signed up (409)."),
    )
    starts_at = fields.AwareDateTime(metadata=d(
        "A new start, ISO 8601 with offset: the need's shift moves with it. Only while no volunteer is signed up (409): "
        "their bookings were for the old time. Open proposals stay; accepting one checks overlaps and the volunteer's "
        "availability again."))
    ends_at = fields.AwareDateTime(metadata=d("A new end: after the start, in the future, at most 24 h after the start."))

    @validates_schema
    def _check_times(self, data: dict[str, Any], **_: Any) -> None:
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("ends_at must be after starts_at", "ends_at")


class CloseNeedArgs(Schema):
    reason = Text("Why the need is closed.", max_len=500)


class NeedSchema(Schema):
    id = fields.UUID(metadata=d("Need id."))
    organization_id = fields.UUID(metadata=d("The organization."))
    project_id = fields.UUID(metadata=d("Its project."))
    shift_id = fields.UUID(metadata=d("Its shift: accepted volunteers are signed up to it."))
    title = fields.Str(metadata=d("Title."))
    content = fields.Str(metadata=d("What volunteers will do."))
    category = fields.Str(metadata=d("Service category."))
    required_skills = fields.List(fields.Str(), metadata=d("Required skills."))
    district = fields.Str(metadata=d("District."))
    street = fields.Str(metadata=d("Street."))
    community = fields.Str(metadata=d("Community."))
    starts_at = fields.AwareDateTime(metadata=d("Start."))
    ends_at = fields.AwareDateTime(metadata=d("End."))
    volunteers_needed = fields.Int(metadata=d("Slots."))
    organization_name = fields.Str(allow_none=True, metadata=d("The organization that posted it (null while its view catches up)."))
    by_station = fields.Bool(metadata=d("Posted by the practice station (实践站) of its community, on the community's behalf."))
    signed_up_count = fields.Int(metadata=d("Slots taken."))
    places_left = fields.Int(metadata=d("Slots left."))
    min_age = fields.Int(allow_none=True, metadata=d("Youngest age allowed."))
    max_age = fields.Int(allow_none=True, metadata=d("Oldest age allowed."))
    requirements = fields.List(fields.Str(), metadata=d("Other requirements."))
    status = fields.Str(metadata=d("open, closed or filled."))
    posted_at = fields.AwareDateTime(metadata=d("When posted."))


class CandidatesArgs(MinPositionArgs):
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=500), metadata=d("How many candidates."))
    volunteer_id = fields.UUID(metadata=d("Explain this volunteer: their score, or the hard constraint that excludes them."))


class ScorePartsSchema(Schema):
    skill_fit = fields.Float(metadata=d("Required skills held, and the category among their preferences (0-1)."))
    distance = fields.Float(metadata=d("Closeness in the district - street - community hierarchy (1 = same community)."))
    reliability = fields.Float(metadata=d("Attendance of past sign-ups (0-1, smoothed)."))
    fairness = fields.Float(metadata=d("Fewer recent opportunities ranks higher (0-1)."))


class CandidateSchema(Schema):
    volunteer_id = fields.UUID(metadata=d("The volunteer."))
    score = fields.Float(allow_none=True, metadata=d("Weighted total of the parts (0-1); none when excluded."))
    parts = fields.Nested(ScorePartsSchema, allow_none=True, metadata=d("The score's parts: why this rank."))
    hierarchy_distance = fields.Int(allow_none=True, metadata=d("0 same community, 1 same street, 2 same district, 3 elsewhere."))
    excluded_by = fields.Str(allow_none=True, metadata=d("The hard constraint that excludes the volunteer, if any."))


class CandidatesSchema(Schema):
    need_id = fields.UUID(metadata=d("The need."))
    candidates = fields.List(fields.Nested(CandidateSchema), metadata=d("Eligible volunteers, best first."))
    explained = fields.Nested(CandidateSchema, allow_none=True, metadata=d("The volunteer asked about, eligible or not."))
    considered = fields.Int(metadata=d(
        "Volunteers of the district who hold the required skills and have a weekly window that holds the need's time: those the "
        "supply index finds, before bookings, weekly caps, age limits and declines exclude some of them."))


# Supply ------------------------------------------------------------------------
class WindowArgs(Schema):
    weekday = fields.Int(required=True, strict=True, metadata=d("0 Monday ... 6 Sunday."))
    start = fields.Str(required=True, validate=validate.Regexp(r"^\d{2}:\d{2}$"), metadata=d("From, HH:MM Beijing time."))
    end = fields.Str(required=True, validate=validate.Regexp(r"^\d{2}:\d{2}$"), metadata=d("Until, HH:MM Beijing time."))


class PreferredPlaceArgs(Schema):
    district = fields.Str(required=True, validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("District."))
    street = fields.Str(validate=validate.Length(max=64), metadata=d("Street (registered)."))
    community = fields.Str(validate=validate.Length(max=64), metadata=d("Community (registered)."))


class SupplyArgs(Schema):
    availability = fields.List(fields.Nested(WindowArgs), required=True, validate=validate.Length(max=28),
                               metadata=d("Weekly windows when the volunteer can serve."))
    weekly_hours_cap = fields.Int(strict=True, allow_none=True, load_default=None, metadata=d("At most this many hours a week (1-84)."))
    preferred_places = fields.List(fields.Nested(PreferredPlaceArgs), load_default=list, validate=validate.Length(max=10),
                                   metadata=d("Places besides home where the volunteer likes to serve."))
    skills = Skills("Skills (replaces the registered ones when given).")
    service_categories = fields.List(Code("category", "A category."), metadata=d("Preferred categories (replaces them when given)."))


class SupplySchema(Schema):
    availability = fields.List(fields.Dict(), metadata=d("Weekly windows: weekday, start, end."))
    weekly_hours_cap = fields.Int(allow_none=True, metadata=d("Hours a week at most."))
    preferred_places = fields.List(fields.Dict(), metadata=d("Preferred places."))
    skills = fields.List(fields.Str(), metadata=d("Skills."))
    service_categories = fields.List(fields.Str(), metadata=d("Preferred categories."))


# Runs and proposals -------------------------------------------------------------
class MatchingRunArgs(Schema):
    district = fields.Str(validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("Only this district; all by default."))


class MatchingRunSchema(Schema):
    run_id = fields.UUID(allow_none=True, metadata=d("The run (none when there was nothing to match)."))
    needs = fields.Int(metadata=d("Open needs considered."))
    slots = fields.Int(metadata=d("Open slots."))
    proposals = fields.Int(metadata=d("Proposals made."))
    total_score = fields.Float(metadata=d("Sum of the proposals' scores."))


class DeclineArgs(Schema):
    reason = Text("Why.", max_len=500, required=False, load_default="")


class ProposalSchema(Schema):
    id = fields.UUID(metadata=d("Proposal id."))
    need_id = fields.UUID(metadata=d("The need."))
    volunteer_id = fields.UUID(metadata=d("The volunteer proposed."))
    organization_id = fields.UUID(metadata=d("The need's organization."))
    run_id = fields.UUID(metadata=d("The run that made it."))
    score = fields.Float(metadata=d("Score when proposed."))
    parts = fields.Dict(metadata=d("The score's parts."))
    status = fields.Str(metadata=d("proposed, accepted or declined."))
