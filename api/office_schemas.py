"""Marshmallow schemas of the civilization office's ledgers: member units, key projects, problems, inspectors."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import MinPositionArgs, Text, d
from timebank.domain.digests import MAX_DIGESTS
from timebank.domain.key_projects import MAX_YEAR, MIN_YEAR
from timebank.domain.key_projects import STATUSES as KEY_PROJECT_STATUSES
from timebank.domain.places import BEIJING_DISTRICTS
from timebank.domain.problems import AREA_LEVELS, OUTCOMES
from timebank.domain.problems import STATUSES as PROBLEM_STATUSES

_YEAR = validate.Range(min=MIN_YEAR, max=MAX_YEAR)


def Digests(text: str) -> fields.List:  # noqa: N802
    return fields.List(
        fields.Str(validate=validate.Regexp(r"^[0-9a-fA-F]{64}$", error="must be a SHA-256 digest: 64 hex digits")),
        load_default=list, validate=validate.Length(max=MAX_DIGESTS), metadata=d(text),
    )


# Member units -------------------------------------------------------------------------
class DesignateMemberUnitArgs(Schema):
    organization_id = fields.UUID(required=True, metadata=d("A verified organization to designate a member unit (成员单位)."))


class MemberUnitSchema(Schema):
    organization_id = fields.UUID(metadata=d("The organization that is the member unit."))
    name = fields.Str(metadata=d("Its name."))
    district = fields.Str(metadata=d("Its district."))
    designated_at = fields.AwareDateTime(metadata=d("When the office designated it."))


# Key projects -------------------------------------------------------------------------
class RegisterKeyProjectArgs(Schema):
    organization_id = fields.UUID(required=True, metadata=d("The member unit registering the project (the caller organizes it)."))
    year = fields.Int(required=True, validate=_YEAR, metadata=d("The year of the ledger: this year or the next."))
    category = Text("One of the rules' categories (GET /api/rules: key_project_categories), e.g. 文明宣传.", max_len=20)
    title = Text("What the project is.", max_len=200)
    description = Text("More about it.", required=False, min_len=0, max_len=4000, load_default="")


class ProgressArgs(Schema):
    text = Text("What was done since the last report.", max_len=4000)


class HalfYearCheckArgs(Schema):
    findings = Text("The office's findings at the half-year check (年中检查).", max_len=4000)
    suggestions = Text("Its suggestions.", required=False, min_len=0, max_len=4000, load_default="")


class CloseOutArgs(Schema):
    report = Text("The year-end close-out report (结项报告).", max_len=20000)
    attachment_digests = Digests("SHA-256 digests (hex) of the report's attachments.")


class KeyProjectReasonArgs(Schema):
    reason = Text("Why the project is carried over or closed unfinished.", max_len=2000)


class KeyProjectListArgs(MinPositionArgs):
    year = fields.Int(required=True, validate=_YEAR, metadata=d("The ledger's year."))
    organization_id = fields.UUID(metadata=d("Only this member unit's projects (required unless the caller is an admin or auditor)."))
    category = fields.Str(validate=validate.Length(max=20), metadata=d("Only this category."))
    status = fields.Str(validate=validate.OneOf(KEY_PROJECT_STATUSES), metadata=d("Only this status."))


class LedgerCsvArgs(MinPositionArgs):
    year = fields.Int(required=True, validate=_YEAR, metadata=d("The ledger's year."))
    organization_id = fields.UUID(metadata=d("Only this member unit's projects (required unless the caller is an admin or auditor)."))


class CompletionArgs(MinPositionArgs):
    year = fields.Int(required=True, validate=_YEAR, metadata=d("The ledger's year."))


class KeyProjectSchema(Schema):
    id = fields.UUID(metadata=d("Key project id."))
    organization_id = fields.UUID(metadata=d("The member unit."))
    unit = fields.Str(allow_none=True, metadata=d("The member unit's name."))
    district = fields.Str(allow_none=True, metadata=d("The member unit's district."))
    year = fields.Int(metadata=d("The ledger's year."))
    category = fields.Str(metadata=d("Category."))
    title = fields.Str(metadata=d("Title."))
    status = fields.Str(metadata=d("in_progress, completed (结项), carried_over or unfinished."))
    progress_reports = fields.Int(metadata=d("Number of progress reports."))
    half_year_checked_at = fields.AwareDateTime(allow_none=True, metadata=d("When the office recorded the half-year check."))
    attachments = fields.Int(metadata=d("Attachments of the close-out report."))
    reason = fields.Str(allow_none=True, metadata=d("Why it was carried over or closed unfinished."))
    rules_version = fields.Str(metadata=d("The rule set it was registered under."))
    registered_at = fields.AwareDateTime(metadata=d("When registered."))
    ended_at = fields.AwareDateTime(allow_none=True, metadata=d("When closed out, carried over or closed unfinished."))


class CategoryCompletionSchema(Schema):
    category = fields.Str(metadata=d("Category."))
    projects = fields.Int(metadata=d("Projects in it."))
    completed = fields.Int(metadata=d("Of which completed."))


class CompletionSchema(Schema):
    year = fields.Int(metadata=d("The ledger's year."))
    units = fields.Int(metadata=d("Member units with projects that year."))
    projects = fields.Int(metadata=d("Projects registered."))
    completed = fields.Int(metadata=d("Projects closed out (结项)."))
    in_progress = fields.Int(metadata=d("Projects still in progress."))
    carried_over = fields.Int(metadata=d("Projects carried over."))
    unfinished = fields.Int(metadata=d("Projects closed unfinished."))
    rate = fields.Float(metadata=d("completed / projects, 0 to 1 (0 without projects)."))
    summary = fields.Str(metadata=d('In words, e.g. "2026: 58 units, 114 projects, all completed".'))
    by_category = fields.List(fields.Nested(CategoryCompletionSchema), metadata=d("The same per category."))


# Inspectors and problems ------------------------------------------------------------------
class AppointInspectorArgs(Schema):
    volunteer_id = fields.UUID(required=True, metadata=d("The volunteer to appoint inspector (督查)."))


class RecordProblemArgs(Schema):
    organization_id = fields.UUID(required=True, metadata=d("The responsible member unit."))
    district = fields.Str(required=True, validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("District where it was found."))
    area_level = fields.Str(required=True, validate=validate.OneOf(AREA_LEVELS),
                            metadata=d("Where in the hierarchy: district, street, community or (practice) station."))
    area_name = Text("The name of that street, community or practice station (or of the district).", max_len=200)
    category = Text("What kind of problem, e.g. 环境卫生.", max_len=100)
    description = Text("What was found.", max_len=4000)
    evidence_digests = Digests("SHA-256 digests (hex) of the evidence (photos, notes).")
    deadline = fields.Date(required=True, metadata=d("Rectify by this date (Beijing); not in the past."))


class RectifyArgs(Schema):
    description = Text("What the unit did (整改).", max_len=4000)
    evidence_digests = Digests("SHA-256 digests (hex) of the evidence.")


class RecheckArgs(Schema):
    outcome = fields.Str(required=True, validate=validate.OneOf(OUTCOMES), metadata=d("passed, or reopened (then note says why)."))
    note = Text("The inspector's note; the reason when reopened.", required=False, min_len=0, max_len=4000, load_default="")


class CloseProblemArgs(Schema):
    note = Text("A closing note (销账).", required=False, min_len=0, max_len=4000, load_default="")


class ProblemListArgs(MinPositionArgs):
    status = fields.Str(validate=validate.OneOf((*PROBLEM_STATUSES, "unclosed")), load_default="unclosed",
                        metadata=d("Only this status; unclosed (the default) is every status but closed."))
    district = fields.Str(validate=validate.OneOf(BEIJING_DISTRICTS), metadata=d("Only this district."))
    area_level = fields.Str(validate=validate.OneOf(AREA_LEVELS), metadata=d("Only this level of area."))
    organization_id = fields.UUID(metadata=d("Only this unit's (required unless the caller is an admin, auditor or inspector)."))
    overdue = fields.Bool(metadata=d("Only problems flagged overdue (true) or not (false)."))


class BulletinArgs(MinPositionArgs):
    year = fields.Int(validate=_YEAR, metadata=d("Only problems recorded this year (UTC)."))


class ProblemSchema(Schema):
    id = fields.UUID(metadata=d("Problem id."))
    organization_id = fields.UUID(metadata=d("The responsible member unit."))
    unit = fields.Str(allow_none=True, metadata=d("Its name."))
    district = fields.Str(metadata=d("District."))
    area_level = fields.Str(metadata=d("district, street, community or station."))
    area_name = fields.Str(metadata=d("Name of the area."))
    category = fields.Str(metadata=d("Category."))
    description = fields.Str(metadata=d("What was found."))
    status = fields.Str(metadata=d("open, rectified, passed (re-check passed) or closed (销账)."))
    deadline = fields.Date(metadata=d("Rectify by this date."))
    rectifications = fields.Int(metadata=d("Rectifications recorded."))
    reopened = fields.Int(metadata=d("Times a re-check reopened it."))
    recorded_at = fields.AwareDateTime(metadata=d("When recorded (建账)."))
    rectified_at = fields.AwareDateTime(allow_none=True, metadata=d("The latest rectification."))
    closed_at = fields.AwareDateTime(allow_none=True, metadata=d("When closed (销账)."))
    overdue = fields.Bool(metadata=d("Flagged overdue by the clock."))
    overdue_flagged_at = fields.AwareDateTime(allow_none=True, metadata=d("When flagged overdue."))
    age_days = fields.Int(metadata=d("Whole days since recorded, until closed or now."))
    closure_days = fields.Int(allow_none=True, metadata=d("Whole days from 建账 to 销账, once closed."))


class TallySchema(Schema):
    district = fields.Str(metadata=d("District (in by_district)."))
    unit = fields.Str(metadata=d("Member unit's name (in by_unit)."))
    recorded = fields.Int(metadata=d("Problems recorded."))
    closed = fields.Int(metadata=d("Closed (销账)."))
    unclosed = fields.Int(metadata=d("Not closed yet."))
    overdue = fields.Int(metadata=d("Unclosed and flagged overdue."))
    oldest_unclosed_days = fields.Int(allow_none=True, metadata=d("Age in days of the oldest unclosed problem."))


class ClosureDaysSchema(Schema):
    average = fields.Float(allow_none=True, metadata=d("Average days from 建账 to 销账."))
    median = fields.Float(allow_none=True, metadata=d("Median days."))
    max = fields.Int(allow_none=True, metadata=d("Longest."))


class BulletinSchema(TallySchema):
    year = fields.Int(allow_none=True, metadata=d("The year asked for, if any."))
    closure_days = fields.Nested(ClosureDaysSchema, metadata=d("Closure times of the closed problems."))
    by_district = fields.List(fields.Nested(TallySchema), metadata=d("The same per district."))
    by_unit = fields.List(fields.Nested(TallySchema), metadata=d("The same per responsible unit."))
