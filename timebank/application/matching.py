"""Use cases of matching (供需对接): needs, what volunteers offer, proposals and their decisions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from timebank.application.base import TimeBankBase, retrying
from timebank.clock import local_date
from timebank.domain.actors import Actor, Role
from timebank.domain.errors import InvalidInput, NotFound, RuleViolation
from timebank.domain.matching import available, check_windows
from timebank.domain.need import Need, check_need
from timebank.domain.permissions import permits, require
from timebank.domain.proposal import MatchingRun, Proposal
from timebank.domain.shift import Shift
from timebank.domain.vocabulary import CURRENT as VOCABULARY
from timebank.domain.volunteer import age_on


@dataclass(frozen=True)
class Pairing:
    """One pair an assignment run chose, with its score (computed from the supply index)."""

    need_id: UUID
    volunteer_id: UUID
    score: float
    parts: dict[str, float]


class Matching(TimeBankBase):
    """Needs, supply, proposals."""

    # Needs -----------------------------------------------------------------------
    def post_need(
        self,
        actor: Actor,
        *,
        organization_id: UUID,
        project_id: UUID,
        title: str,
        content: str,
        district: str,
        street: str,
        community: str,
        starts_at: datetime,
        ends_at: datetime,
        volunteers_needed: int,
        required_skills: Iterable[str] = (),
        category: str | None = None,
        min_age: int | None = None,
        max_age: int | None = None,
        requirements: Sequence[str] = (),
    ) -> UUID:
        """A need of the organization for a registered community; its shift is scheduled with it."""
        org = self.get_organization(organization_id)
        org.require_organizer(actor)
        org.require_verified()
        project = self.get_project(project_id)
        if project.organization_id != organization_id:
            raise InvalidInput("this project is not the organization's", field="project_id")
        now = self._now()
        skills = VOCABULARY.skills_of(required_skills, "required_skills")
        category = VOCABULARY.category(category or project.category)
        self._check_place(district, street, community, required=True)
        org.require_for_its_community({"district": district, "street": street, "community": community})
        check_need(starts_at=starts_at, ends_at=ends_at, volunteers_needed=volunteers_needed, min_age=min_age, max_age=max_age, now=now)
        Shift.check_schedule(starts_at, ends_at, volunteers_needed)
        shift = Shift(
            project_id=project_id, organization_id=organization_id, title=title, starts_at=starts_at, ends_at=ends_at,
            place=community, required_skills=skills, capacity=volunteers_needed, actor=actor.ref, at=now,
        )
        need = Need(
            organization_id=organization_id, project_id=project_id, shift_id=shift.id, title=title, content=content,
            category=category, required_skills=skills, place={"district": district, "street": street, "community": community},
            starts_at=starts_at, ends_at=ends_at, volunteers_needed=volunteers_needed, min_age=min_age, max_age=max_age,
            requirements=list(requirements), vocabulary_version=VOCABULARY.version, actor=actor.ref, at=now,
        )
        self.save(shift, need)
        return need.id

    def get_need(self, need_id: UUID, field: str = "need_id") -> Need:
        return self._get(Need, need_id, field, "need")

    @retrying
    def update_need(self, actor: Actor, need_id: UUID, *, content: str | None = None, requirements: Sequence[str] | None = None,
                    min_age: int | None = None, max_age: int | None = None, volunteers_needed: int | None = None,
                    starts_at: datetime | None = None, ends_at: datetime | None = None) -> None:
        """Change an open need; its slots and its time change with its shift's places and time, in
        one save (the time only while no one is signed up)."""
        need = self.get_need(need_id)
        self._require_organizer(actor, need.organization_id)
        now = self._now()
        changed: list[Any] = [need]
        slots_or_time = volunteers_needed is not None or starts_at is not None or ends_at is not None
        if not slots_or_time or (content, requirements, min_age, max_age) != (None, None, None, None):
            need.update(content=content, requirements=None if requirements is None else list(requirements), min_age=min_age,
                        max_age=max_age, actor=actor.ref, at=now)
        if slots_or_time:
            shift = self.get_shift(need.shift_id)
            changed.append(shift)
        if starts_at is not None or ends_at is not None:
            starts_at, ends_at = starts_at or need.starts_at, ends_at or need.ends_at
            need.reschedule(starts_at, ends_at, actor.ref, now)
            shift.reschedule(starts_at, ends_at, actor.ref, now)
        if volunteers_needed is not None:
            need.change_slots(volunteers_needed, len(shift.signed_up), actor.ref, now)
            shift.change_capacity(volunteers_needed, actor.ref, now, field="volunteers_needed")
        self.save(*changed)

    @retrying
    def close_need(self, actor: Actor, need_id: UUID, reason: str) -> None:
        need = self.get_need(need_id)
        self._require_organizer(actor, need.organization_id)
        need.close(reason, actor.ref, self._now())
        self.save(need)

    @retrying
    def fill_need(self, actor: Actor, need_id: UUID) -> None:
        """Mark the need filled (by hand: the organizer found volunteers some other way)."""
        need = self.get_need(need_id)
        self._require_organizer(actor, need.organization_id)
        need.mark_filled(actor.ref, self._now())
        self.save(need)

    # Supply ----------------------------------------------------------------------
    @retrying
    def offer_supply(
        self,
        actor: Actor,
        volunteer_id: UUID,
        *,
        availability: Sequence[dict[str, Any]],
        weekly_hours_cap: int | None = None,
        preferred_places: Sequence[dict[str, str]] = (),
        skills: Iterable[str] | None = None,
        service_categories: Iterable[str] | None = None,
    ) -> None:
        require(actor, "supply.offer", about=volunteer_id)
        volunteer = self.get_volunteer(volunteer_id)
        windows = check_windows(availability)
        places = []
        for i, place in enumerate(preferred_places):
            self._check_place(place.get("district", ""), place.get("street"), place.get("community"), prefix=f"preferred_places.{i}.")
            places.append({k: place.get(k) or "" for k in ("district", "street", "community")})
        volunteer.offer(
            availability=windows, weekly_hours_cap=weekly_hours_cap, preferred_places=places,
            skills=volunteer.skills if skills is None else VOCABULARY.skills_of(skills),
            service_categories=volunteer.service_categories if service_categories is None else VOCABULARY.categories_of(service_categories),
            actor=actor.ref, at=self._now(),
        )
        self.save(volunteer)

    def supply_of(self, actor: Actor, volunteer_id: UUID) -> dict[str, Any]:
        require(actor, "volunteer.read", about=volunteer_id)
        volunteer = self.get_volunteer(volunteer_id)
        return {
            "availability": list(volunteer.availability), "weekly_hours_cap": volunteer.weekly_hours_cap,
            "preferred_places": list(volunteer.preferred_places), "skills": volunteer.skills,
            "service_categories": volunteer.service_categories,
        }

    def age_exclusion(self, need_id: UUID, volunteer_id: UUID) -> str | None:
        """Why the need's age limits exclude this volunteer (their birth date is opened from the vault)."""
        return self.age_exclusions(need_id, [volunteer_id]).get(volunteer_id)

    def age_exclusions(self, need_id: UUID, volunteer_ids: Iterable[UUID]) -> dict[UUID, str]:
        """Of these volunteers, those the need's age limits exclude, with why. Birth dates are sealed,
        so the index cannot hold them: each is opened from the vault, and only for a need with limits."""
        need = self.get_need(need_id)
        if need.min_age is None and need.max_age is None:
            return {}
        excluded = {}
        for volunteer_id in volunteer_ids:
            data = self.personal_data_of(self.get_volunteer(volunteer_id))
            why = "this volunteer's personal data is erased" if data is None else need.check_age(
                age_on(date.fromisoformat(data["birth_date"]), local_date(need.starts_at)))
            if why is not None:
                excluded[volunteer_id] = why
        return excluded

    # Proposals -------------------------------------------------------------------
    def record_run(
        self, actor: Actor, pairings: Sequence[Pairing], *, needs: int, slots: int, solver: str, districts: list[str]
    ) -> MatchingRun:
        """Save an assignment run's pairs as proposals, with the run. Pairs already proposed (and so
        any declined pair), closed or filled needs and erased volunteers are left out."""
        if actor.role is not Role.SYSTEM:  # the nightly clock runs as the system
            require(actor, "matching.run")
        now = self._now()
        loaded: dict[UUID, Need] = {}
        kept = []
        for pairing in pairings:
            if Proposal.create_id(pairing.need_id, pairing.volunteer_id) in self.repository:
                continue
            need = loaded.get(pairing.need_id) or loaded.setdefault(pairing.need_id, self.get_need(pairing.need_id))
            if need.status == "open":
                kept.append((pairing, need))
        run = MatchingRun(needs=needs, slots=slots, proposals=len(kept), total_score=round(sum(p.score for p, _ in kept), 4),
                          solver=solver, districts=districts, actor=actor.ref, at=now)
        proposals = [
            Proposal(need_id=p.need_id, volunteer_id=p.volunteer_id, organization_id=need.organization_id, run_id=run.id,
                     score=p.score, parts=p.parts, actor=actor.ref, at=now)
            for p, need in kept
        ]
        self.save(run, *proposals)
        return run

    def get_proposal(self, proposal_id: UUID) -> Proposal:
        return self._get(Proposal, proposal_id, "proposal_id", "proposal")

    @retrying
    def accept_proposal(self, actor: Actor, proposal_id: UUID) -> None:
        """The organizer accepts: the volunteer is signed up to the need's shift (capacity, skills,
        overlaps, the need's age limits, the volunteer's weekly availability and weekly-hours cap
        hold, as they are now); the need is filled when its last slot is."""
        proposal = self.get_proposal(proposal_id)
        self._require_organizer(actor, proposal.organization_id, field="proposal_id")
        need = self.get_need(proposal.need_id)
        need.require_open()
        shift = self.get_shift(need.shift_id)
        volunteer = self.get_volunteer(proposal.volunteer_id)
        now = self._now()
        proposal.accept(actor.ref, now)
        age = self.age_exclusion(need.id, volunteer.id)
        if age:
            raise RuleViolation(age, field="volunteer_id")
        if not available(volunteer.availability, shift.starts_at, shift.ends_at):
            # The need's time (it may have moved since the proposal) or the volunteer's windows changed.
            raise RuleViolation("the volunteer's weekly availability does not hold the need's time now", field="proposal_id")
        over_cap = volunteer.weekly_cap_exclusion(shift.id, shift.starts_at, shift.ends_at)
        if over_cap:
            # Proposals from several runs, or sign-ups since, may together exceed the cap.
            raise RuleViolation(over_cap, field="proposal_id")
        shift.sign_up(volunteer.id, volunteer.skills, actor.ref, now)
        volunteer.commit_to_shift(shift.id, shift.starts_at, shift.ends_at, actor.ref, now)
        if len(shift.signed_up) >= shift.capacity:
            need.mark_filled(actor.ref, now)
        self.save(proposal, shift, volunteer, need)

    @retrying
    def decline_proposal(self, actor: Actor, proposal_id: UUID, reason: str = "") -> None:
        proposal = self.get_proposal(proposal_id)
        require(actor, "proposal.decline", about=proposal.volunteer_id,
                organizes=lambda: self.is_organizer(actor, proposal.organization_id))
        by = "volunteer" if actor.id == proposal.volunteer_id else "organizer"
        proposal.decline(by, reason, actor.ref, self._now())
        self.save(proposal)

    def proposal_for(self, actor: Actor, proposal_id: UUID) -> Proposal:
        proposal = self.get_proposal(proposal_id)
        if not self._may_see_proposal(actor, proposal):
            raise NotFound(f"proposal {proposal_id} not found", field="proposal_id")
        return proposal

    def _may_see_proposal(self, actor: Actor, proposal: Proposal) -> bool:
        return permits(actor, "proposal.read", about=proposal.volunteer_id, organizes=lambda: self.is_organizer(actor, proposal.organization_id))
