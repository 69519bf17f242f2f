"""Schemas of star levels (星级), milestones and five-star nominations."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.schemas import Text, d


class NominationArgs(Schema):
    organization_id = fields.UUID(required=True, metadata=d("The verified organization that nominates (the caller organizes it)."))
    reason = Text("Why the volunteer deserves five stars; shown in the public notice.", max_len=2000)


class ObjectionArgs(Schema):
    reason = Text("What is wrong with the nomination.", max_len=2000)


class ObjectionDecisionArgs(Schema):
    upheld = fields.Bool(required=True, metadata=d("True: the objection is upheld and the nomination fails; false: dismissed."))
    reason = Text("Why the admin decided so.", max_len=2000)


class NominatedSchema(Schema):
    volunteer_id = fields.UUID(required=True, metadata=d("The nominee."))
    notice_ends_on = fields.Str(required=True, metadata=d("Last day of the public notice (working days); five stars are granted after it."))


class ObjectionCreatedSchema(Schema):
    id = fields.UUID(required=True, metadata=d("The objection's id, for the admin's decision."))


class ExcludedSchema(Schema):
    category = fields.Str(required=True, metadata=d("Project category."))
    minutes = fields.Int(required=True, metadata=d("Confirmed minutes in it."))
    reason = fields.Str(required=True, metadata=d("Why they do not count."))


class MilestoneSchema(Schema):
    name = fields.Str(required=True, metadata=d("first_service, or counted hours such as 100h."))
    rules_version = fields.Str(required=True, metadata=d("The rule set in force when it was reached."))
    counted_minutes = fields.Int(required=True, metadata=d("Counted minutes when it was reached."))
    at = fields.Str(required=True, metadata=d("When it was reached (ISO 8601)."))


class ObjectionSchema(Schema):
    id = fields.Str(required=True, metadata=d("The objection's id."))
    status = fields.Str(required=True, metadata=d("open, upheld or dismissed."))


class NominationSchema(Schema):
    status = fields.Str(required=True, metadata=d("in_notice, granted or rejected (an objection was upheld)."))
    organization_id = fields.UUID(allow_none=True, metadata=d("The nominating organization."))
    notice_ends_on = fields.Date(allow_none=True, metadata=d("Last day of the public notice."))
    objections = fields.List(fields.Nested(ObjectionSchema), metadata=d("Objections lodged during the notice."))


class StarLevelSchema(Schema):
    volunteer_id = fields.UUID(required=True, metadata=d("The volunteer."))
    level = fields.Int(required=True, metadata=d("Stars held (0-5)."))
    awarded_under_rules_version = fields.Str(allow_none=True, metadata=d("The rule set whose threshold the level was awarded by."))
    awarded_threshold_hours = fields.Int(allow_none=True, metadata=d("That threshold, in hours."))
    awarded_at = fields.AwareDateTime(allow_none=True, metadata=d("When the level was awarded."))
    counted_minutes = fields.Int(required=True, metadata=d("Confirmed minutes that count towards star levels today."))
    counted_hours = fields.Float(required=True, metadata=d("The same, in hours (display)."))
    excluded = fields.List(fields.Nested(ExcludedSchema), metadata=d("Confirmed minutes that do not count, by category, with why."))
    excluded_minutes = fields.Int(required=True, metadata=d("Their total."))
    rules_in_force = fields.Str(required=True, metadata=d("The rule set in force today, which counts the hours."))
    thresholds_hours = fields.List(fields.Int(), metadata=d("Its thresholds for 1..5 stars."))
    next_level = fields.Int(allow_none=True, metadata=d("The next level (null at five stars)."))
    next_threshold_hours = fields.Int(allow_none=True, metadata=d("Hours the next level needs."))
    hours_to_go = fields.Float(allow_none=True, metadata=d("Counted hours still missing for it."))
    next_level_needs_nomination = fields.Bool(required=True, metadata=d("Five stars also need a nomination and a public notice."))
    hours_below_level_held = fields.Bool(
        required=True, metadata=d("A correction lowered the counted hours below the level held: the level stays; no level is awarded again until the next threshold."),
    )
    milestones = fields.List(fields.Nested(MilestoneSchema), metadata=d("Milestones reached, each once."))
    nomination = fields.Nested(NominationSchema, allow_none=True, metadata=d("The latest five-star nomination, if any."))
