"""Use cases of the key-project ledgers (重点工作项目台账): member units, their projects, the office's checks."""

from __future__ import annotations

from uuid import UUID

from timebank.application.base import TimeBankBase, retrying
from timebank.clock import local_date
from timebank.domain.actors import Actor
from timebank.domain.errors import Conflict, NotFound, RuleViolation
from timebank.domain.key_projects import KeyProject, KeyProjectQuota, MemberUnit
from timebank.domain.organization import Organization
from timebank.domain.permissions import permits, require


class KeyProjects(TimeBankBase):
    """Member units (成员单位) register key projects; the civilization office (admins) checks and closes them."""

    # Member units --------------------------------------------------------------
    def _member_unit(self, organization_id: UUID, field: str = "organization_id") -> MemberUnit:
        try:
            return self._get(MemberUnit, MemberUnit.create_id(organization_id), field, "member unit", read_only=True)
        except NotFound:
            raise RuleViolation(
                f"organization {organization_id} is not a member unit (成员单位); the office designates member units", field=field,
            ) from None

    def is_member_unit(self, organization_id: UUID) -> bool:
        return MemberUnit.create_id(organization_id) in self.repository

    def acts_for_unit(self, actor: Actor, organization_id: UUID) -> bool:
        """Whether the actor is an organizer of this organization (read from the cache, not copied)."""
        try:
            return self._get(Organization, organization_id, "organization_id", "organization", read_only=True).is_organizer(actor)
        except NotFound:
            return False

    def may_read_unit(self, actor: Actor, organization_id: UUID | None) -> bool:
        """The office and auditors read every unit's ledger (organization_id None: all); a unit's organizers its own."""
        return permits(actor, "key_project.read", organizes=lambda: organization_id is not None and self.acts_for_unit(actor, organization_id))

    def _require_unit_organizer(self, actor: Actor, organization_id: UUID) -> None:
        require(actor, "key_project.register", organizes=lambda: self.acts_for_unit(actor, organization_id))

    @retrying
    def designate_member_unit(self, actor: Actor, organization_id: UUID) -> UUID:
        """The office designates a verified organization a member unit; returns the organization's id."""
        require(actor, "member_unit.designate")
        org = self._get(Organization, organization_id, "organization_id", "organization", read_only=True)
        org.require_verified()
        if self.is_member_unit(organization_id):
            raise Conflict(f"organization {organization_id} is already a member unit", field="organization_id")
        self.save(MemberUnit(organization_id=org.id, name=org.name, district=org.district, actor=actor.ref, at=self._now()))
        return org.id

    # Key projects --------------------------------------------------------------
    def get_key_project(self, project_id: UUID) -> KeyProject:
        return self._get(KeyProject, project_id, "project_id", "key project")

    @retrying
    def register_key_project(
        self, actor: Actor, *, organization_id: UUID, year: int, category: str, title: str, description: str = "",
    ) -> UUID:
        """A unit's organizer registers a key project; the unit's count for the year is saved with it."""
        self._require_unit_organizer(actor, organization_id)
        self._member_unit(organization_id)
        now = self._now()
        today = local_date(now)
        rules = self._rules_on(today, "year")
        title = KeyProject.check_registration(year, today.year, category, rules.key_project_categories, title)
        quota = self._get_or_new(
            KeyProjectQuota, KeyProjectQuota.create_id(organization_id, year),
            lambda: KeyProjectQuota(organization_id=organization_id, year=year, actor=actor.ref, at=now),
        )
        project = KeyProject(
            organization_id=organization_id, year=year, category=category, title=title, description=description.strip(),
            rules_version=rules.version, actor=actor.ref, at=now,
        )
        quota.take(project.id, rules.key_projects_per_unit_per_year, actor.ref, now)
        self.save(quota, project)
        return project.id

    @retrying
    def report_key_project_progress(self, actor: Actor, project_id: UUID, text: str) -> None:
        project = self.get_key_project(project_id)
        self._require_unit_organizer(actor, project.organization_id)
        project.report_progress(text, actor.ref, self._now())
        self.save(project)

    @retrying
    def record_half_year_check(self, actor: Actor, project_id: UUID, findings: str, suggestions: str = "") -> None:
        project = self.get_key_project(project_id)
        project.record_half_year_check(findings, suggestions, actor, self._now())
        self.save(project)

    @retrying
    def close_out_key_project(self, actor: Actor, project_id: UUID, report: str, attachment_digests: list[str]) -> None:
        project = self.get_key_project(project_id)
        project.close_out(report, attachment_digests, actor, self._now())
        self.save(project)

    @retrying
    def carry_over_key_project(self, actor: Actor, project_id: UUID, reason: str) -> None:
        project = self.get_key_project(project_id)
        project.carry_over(reason, actor, self._now())
        self.save(project)

    @retrying
    def close_key_project_unfinished(self, actor: Actor, project_id: UUID, reason: str) -> None:
        project = self.get_key_project(project_id)
        project.close_unfinished(reason, actor, self._now())
        self.save(project)
