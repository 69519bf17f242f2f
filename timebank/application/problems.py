"""Use cases of the problem lists (问题清单): inspectors, 建账, 整改, 复查, 销账, overdue flags, histories."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from timebank.application.base import TimeBankBase, retrying
from timebank.clock import local_date
from timebank.domain.actors import Actor, Role
from timebank.domain.errors import InvalidInput, NotFound, RuleViolation
from timebank.domain.key_projects import MemberUnit
from timebank.domain.organization import Organization
from timebank.domain.permissions import permits, require
from timebank.domain.places import BEIJING_DISTRICTS
from timebank.domain.problems import Inspector, Problem
from timebank.domain.volunteer import Volunteer


class Problems(TimeBankBase):
    """Inspectors (督查, appointed by the office) record and re-check problems; the responsible unit rectifies."""

    # Inspectors ----------------------------------------------------------------
    def is_inspector(self, actor: Actor) -> bool:
        if actor.role is not Role.VOLUNTEER or actor.id is None:
            return False
        try:
            return self._get(Inspector, Inspector.create_id(actor.id), "volunteer_id", "inspector", read_only=True).active
        except NotFound:
            return False

    def _require_inspector(self, actor: Actor) -> None:
        require(actor, "problem.inspect", inspector=lambda: self.is_inspector(actor))

    def _organizes(self, actor: Actor, organization_id: UUID | None) -> bool:
        if organization_id is None:
            return False
        try:
            return self._get(Organization, organization_id, "organization_id", "organization", read_only=True).is_organizer(actor)
        except NotFound:
            return False

    @retrying
    def appoint_inspector(self, actor: Actor, volunteer_id: UUID) -> None:
        require(actor, "inspector.appoint")
        self._get(Volunteer, volunteer_id, "volunteer_id", "volunteer", read_only=True)
        inspector_id = Inspector.create_id(volunteer_id)
        now = self._now()
        if inspector_id in self.repository:
            inspector = self._get(Inspector, inspector_id, "volunteer_id", "inspector")
            inspector.reappoint(actor, now)
        else:
            inspector = Inspector(volunteer_id=volunteer_id, actor=actor.ref, at=now)
        self.save(inspector)

    @retrying
    def dismiss_inspector(self, actor: Actor, volunteer_id: UUID) -> None:
        require(actor, "inspector.appoint")
        inspector = self._get(Inspector, Inspector.create_id(volunteer_id), "volunteer_id", "inspector")
        inspector.dismiss(actor, self._now())
        self.save(inspector)

    # Problems ------------------------------------------------------------------
    def get_problem(self, problem_id: UUID) -> Problem:
        return self._get(Problem, problem_id, "problem_id", "problem")

    def may_read_problems_of(self, actor: Actor, organization_id: UUID | None) -> bool:
        """The office, auditors and inspectors read every problem (organization_id None: all); a unit's organizers its own."""
        action = "problem.list_all" if organization_id is None else "problem.read"
        return permits(actor, action, inspector=lambda: self.is_inspector(actor), organizes=lambda: self._organizes(actor, organization_id))

    @retrying
    def record_problem(
        self, actor: Actor, *, organization_id: UUID, district: str, area_level: str, area_name: str, category: str,
        description: str, evidence_digests: list[str], deadline: date,
    ) -> UUID:
        """建账: an inspector records a problem against a member unit, with a deadline."""
        self._require_inspector(actor)
        if MemberUnit.create_id(organization_id) not in self.repository:
            raise RuleViolation(f"organization {organization_id} is not a member unit (成员单位)", field="organization_id")
        if district not in BEIJING_DISTRICTS:
            raise InvalidInput(f"district must be one of: {', '.join(BEIJING_DISTRICTS)}", field="district")
        for name, value in (("area_name", area_name), ("category", category), ("description", description)):
            if not value.strip():
                raise InvalidInput(f"{name} must not be blank", field=name)
        now = self._now()
        digests = Problem.check_record(area_level, deadline, local_date(now), evidence_digests)
        problem = Problem(
            organization_id=organization_id, district=district, area_level=area_level, area_name=area_name.strip(),
            category=category.strip(), description=description.strip(), evidence_digests=digests, deadline=deadline,
            actor=actor.ref, at=now,
        )
        self.save(problem)
        return problem.id

    @retrying
    def rectify_problem(self, actor: Actor, problem_id: UUID, description: str, evidence_digests: list[str]) -> None:
        """整改: the responsible unit's organizer records what was done, with evidence."""
        problem = self.get_problem(problem_id)
        require(actor, "problem.rectify", field="problem_id", organizes=lambda: self._organizes(actor, problem.organization_id))
        problem.rectify(description, evidence_digests, actor.ref, self._now())
        self.save(problem)

    @retrying
    def recheck_problem(self, actor: Actor, problem_id: UUID, outcome: str, note: str = "") -> None:
        """复查: an inspector passes the rectification or reopens the problem with the reason."""
        self._require_inspector(actor)
        problem = self.get_problem(problem_id)
        problem.recheck(outcome, note, actor.ref, self._now())
        self.save(problem)

    @retrying
    def close_problem(self, actor: Actor, problem_id: UUID, note: str = "") -> None:
        """销账: an inspector closes a problem whose rectification passed its re-check."""
        self._require_inspector(actor)
        problem = self.get_problem(problem_id)
        problem.close(note, actor.ref, self._now())
        self.save(problem)

    @retrying
    def flag_problem_overdue(self, problem_id: UUID, actor: Actor) -> bool:
        """The clock's command: flag the problem if it is still open past its deadline; False if not (or already)."""
        problem = self.get_problem(problem_id)
        now = self._now()
        today = local_date(now)
        if problem.overdue_flagged or not problem.is_overdue(today):
            return False
        problem.flag_overdue(today, actor, now)
        self.save(problem)
        return True

    def problem_history(self, actor: Actor, problem_id: UUID) -> list[Any]:
        """Every step of a problem with its actor, oldest first, for those who may read it."""
        problem = self._get(Problem, problem_id, "problem_id", "problem", read_only=True)
        if not self.may_read_problems_of(actor, problem.organization_id):
            raise NotFound(f"problem {problem_id} not found", field="problem_id")
        return list(self.events.get(problem_id))
