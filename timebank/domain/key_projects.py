"""Key-project ledgers (重点工作项目台账): member units (成员单位) register their key projects for a year.

A member unit is a verified organization that an admin (the civilization office, 文明办) designated
as one. Its organizers act for it. Every project is a ledger entry of its year:

in_progress -> completed       (year-end close-out, 结项: a written report and its attachments' digests)
in_progress -> carried_over    (continued next year, with a reason)
in_progress -> unfinished      (closed unfinished, with a reason)

Progress reports and the office's half-year check (年中检查: findings and suggestions) happen while
it is in progress. How many projects a unit registers a year, and in which categories, are rules
(`RuleSet.key_projects_per_unit_per_year`, `key_project_categories`); the count is kept by a
`KeyProjectQuota` per (unit, year) saved with each new project, so two concurrent registrations
cannot both take the last place.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.actors import Actor, Role
from timebank.domain.digests import check_digests
from timebank.domain.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from timebank.domain.ids import natural_id

IN_PROGRESS = "in_progress"
COMPLETED = "completed"
CARRIED_OVER = "carried_over"
UNFINISHED = "unfinished"
STATUSES = (IN_PROGRESS, COMPLETED, CARRIED_OVER, UNFINISHED)
MIN_YEAR, MAX_YEAR = 2000, 2100


def require_office(actor: Actor, what: str) -> None:
    """The civilization office (文明办) acts with admin tokens."""
    if actor.role is not Role.ADMIN:
        raise Forbidden(f"only the civilization office (an admin) {what}")


def _text(value: str, field: str) -> str:
    if not value.strip():
        raise InvalidInput(f"{field} must not be blank", field=field)
    return value.strip()


class MemberUnit(Aggregate):
    """An organization designated a member unit (成员单位) by the office; its id follows the organization's."""

    @staticmethod
    def create_id(organization_id: UUID) -> UUID:
        return natural_id("member-unit", str(organization_id))

    @event("Designated")
    def __init__(self, organization_id: UUID, name: str, district: str, actor: str, at: datetime) -> None:
        self.organization_id = organization_id
        self.name = name
        self.district = district


class KeyProjectQuota(Aggregate):
    """The key projects one unit registered for one year: the race-safe count behind the quota."""

    @staticmethod
    def create_id(organization_id: UUID, year: int) -> UUID:
        return natural_id("key-project-quota", str(organization_id), str(year))

    @event("Opened")
    def __init__(self, organization_id: UUID, year: int, actor: str, at: datetime) -> None:
        self.organization_id = organization_id
        self.year = year
        self.projects: list[UUID] = []

    def take(self, project_id: UUID, quota: int, actor: str, at: datetime) -> None:
        if len(self.projects) >= quota:
            raise RuleViolation(
                f"this unit has registered {len(self.projects)} key projects for {self.year}; the quota is {quota} a year",
                field="year", quota=quota, registered=len(self.projects),
            )
        self._taken(project_id=project_id, actor=actor, at=at)

    @event("Taken")
    def _taken(self, project_id: UUID, actor: str, at: datetime) -> None:
        self.projects.append(project_id)


class KeyProject(Aggregate):
    @event("Registered")
    def __init__(
        self, organization_id: UUID, year: int, category: str, title: str, description: str, rules_version: str,
        actor: str, at: datetime,
    ) -> None:
        self.organization_id = organization_id
        self.year = year
        self.category = category
        self.title = title
        self.description = description
        self.rules_version = rules_version
        self.status = IN_PROGRESS
        self.progress_reports = 0
        self.half_year_checked = False
        self.reason: str | None = None

    @staticmethod
    def check_registration(year: int, this_year: int, category: str, categories: tuple[str, ...], title: str) -> str:
        """A project is registered for this year or the next, in a category of the rules; returns the title."""
        if not this_year <= year <= this_year + 1:
            raise InvalidInput(f"key projects are registered for {this_year} or {this_year + 1}", field="year")
        if category not in categories:
            raise InvalidInput(f"category must be one of: {', '.join(categories)}", field="category")
        return _text(title, "title")

    def _require_in_progress(self) -> None:
        if self.status != IN_PROGRESS:
            raise Conflict(f"key project {self.id} is {self.status}; this needs it in progress", field="project_id")

    def report_progress(self, text: str, actor: str, at: datetime) -> None:
        self._require_in_progress()
        self._progress_reported(text=_text(text, "text"), actor=actor, at=at)

    @event("ProgressReported")
    def _progress_reported(self, text: str, actor: str, at: datetime) -> None:
        self.progress_reports += 1

    def record_half_year_check(self, findings: str, suggestions: str, actor: Actor, at: datetime) -> None:
        """年中检查 by the office, once a year."""
        require_office(actor, "records the half-year check")
        self._require_in_progress()
        if self.half_year_checked:
            raise Conflict(f"key project {self.id} has had its half-year check", field="project_id")
        self._half_year_checked(findings=_text(findings, "findings"), suggestions=suggestions.strip(), actor=actor.ref, at=at)

    @event("HalfYearChecked")
    def _half_year_checked(self, findings: str, suggestions: str, actor: str, at: datetime) -> None:
        self.half_year_checked = True

    def close_out(self, report: str, attachment_digests: list[str], actor: Actor, at: datetime) -> None:
        """结项: the office closes the project out on the unit's written report and its attachments."""
        require_office(actor, "closes key projects out")
        self._require_in_progress()
        digests = check_digests(attachment_digests, "attachment_digests")
        self._closed_out(report=_text(report, "report"), attachment_digests=digests, actor=actor.ref, at=at)

    @event("ClosedOut")
    def _closed_out(self, report: str, attachment_digests: list[str], actor: str, at: datetime) -> None:
        self.status = COMPLETED

    def carry_over(self, reason: str, actor: Actor, at: datetime) -> None:
        require_office(actor, "carries key projects over")
        self._require_in_progress()
        self._carried_over(reason=_text(reason, "reason"), actor=actor.ref, at=at)

    @event("CarriedOver")
    def _carried_over(self, reason: str, actor: str, at: datetime) -> None:
        self.status = CARRIED_OVER
        self.reason = reason

    def close_unfinished(self, reason: str, actor: Actor, at: datetime) -> None:
        require_office(actor, "closes key projects unfinished")
        self._require_in_progress()
        self._closed_unfinished(reason=_text(reason, "reason"), actor=actor.ref, at=at)

    @event("ClosedUnfinished")
    def _closed_unfinished(self, reason: str, actor: str, at: datetime) -> None:
        self.status = UNFINISHED
        self.reason = reason
