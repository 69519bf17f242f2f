"""Use cases of the registry: volunteers, organizations, projects, shifts and sign-ups."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime
from uuid import UUID, uuid4

from timebank.application.base import Registration, TimeBankBase, retrying
from timebank.clock import local_date
from timebank.domain.actors import Actor, Role
from timebank.domain.credentials import LoginPhone
from timebank.domain.errors import ConcurrencyConflict, Conflict
from timebank.domain.ledger import ORGANIZATION, VOLUNTEER, TimeAccount
from timebank.domain.organization import Organization
from timebank.domain.permissions import require
from timebank.domain.project import Project
from timebank.domain.shift import Shift
from timebank.domain.vocabulary import CURRENT as VOCABULARY
from timebank.domain.volunteer import (
    PRIVACY_POLICY_VERSION,
    IdentityClaim,
    Volunteer,
    VolunteerNumberClaim,
    check_registration,
)


class Registry(TimeBankBase):
    """Volunteers, organizations, projects, shifts and sign-ups."""

    # Volunteers ----------------------------------------------------------------
    @retrying
    def register_volunteer(
        self,
        *,
        name: str,
        sex: str,
        birth_date: date,
        id_type: str,
        id_number: str,
        phone: str,
        district: str,
        street: str | None = None,
        community: str | None = None,
        skills: Iterable[str] = (),
        service_categories: Iterable[str] = (),
        guardian_consent: bool = False,
    ) -> Registration:
        now = self._now()
        today = local_date(now)
        check_registration(
            birth_date=birth_date, guardian_consent=guardian_consent, today=today, rules=self._rules_on(today),
            name=name, sex=sex, id_type=id_type, id_number=id_number,
        )
        skills, service_categories = VOCABULARY.skills_of(skills), VOCABULARY.categories_of(service_categories)
        self._check_place(district, street, community)
        identity_key = self.identity_key(id_type, id_number)
        if IdentityClaim.create_id(identity_key) in self.repository:
            raise Conflict("a volunteer with this identity document is already registered", field="id_number")
        number = self._free_volunteer_number()
        volunteer_id = uuid4()
        actor = f"volunteer:{volunteer_id}"
        sealed = self.vault.seal(volunteer_id, {
            "name": name,
            "sex": sex,
            "birth_date": birth_date.isoformat(),
            "id_type": id_type,
            "id_number": id_number.strip().upper(),
            "phone": phone,
        })
        consents = [{"purpose": "registration", "policy_version": PRIVACY_POLICY_VERSION, "given_by": "self"}]
        if guardian_consent:
            consents.append({"purpose": "registration", "policy_version": PRIVACY_POLICY_VERSION, "given_by": "guardian"})
        volunteer = Volunteer(
            volunteer_id=volunteer_id,
            volunteer_number=number,
            personal_data=sealed,
            home={"district": district, "street": street or "", "community": community or ""},
            skills=skills,
            service_categories=service_categories,
            guardian_consent=guardian_consent,
            actor=actor,
            at=now,
            consents=consents,
        )
        claim = IdentityClaim(identity_key=identity_key, volunteer_id=volunteer_id, actor=actor, at=now)
        number_claim = VolunteerNumberClaim(volunteer_number=number, volunteer_id=volunteer_id, actor=actor, at=now)
        phone_index = self._login_phone(self.phone_key(phone), actor, now)
        phone_index.add(volunteer_id, actor=actor, at=now)
        account = TimeAccount(owner_id=volunteer_id, kind=VOLUNTEER, floor=None, actor=actor, at=now, district=district)
        secret, token = self._new_token(Role.VOLUNTEER, volunteer_id, "registration", actor, now)
        self.save(volunteer, claim, number_claim, phone_index, account, token)
        return Registration(volunteer_id, number, secret)

    def _login_phone(self, phone_key: str, actor: str, at: datetime) -> LoginPhone:
        return self._get_or_new(LoginPhone, LoginPhone.create_id(phone_key), lambda: LoginPhone(phone_key=phone_key, actor=actor, at=at))

    def _free_volunteer_number(self) -> str:
        for _ in range(20):
            # Drawn from the OS's generator: the global `random` can be seeded by anyone in the
            # process (a test framework, a library), which made numbers repeat and run out.
            number = "BJ" + "".join(secrets.choice("0123456789") for _ in range(10))
            if VolunteerNumberClaim.create_id(number) not in self.repository:
                return number
        raise ConcurrencyConflict("could not allocate a volunteer number; try again")

    # Organizations -------------------------------------------------------------
    def register_organization(self, actor: Actor, *, name: str, district: str, street: str | None = None, description: str = "") -> UUID:
        volunteer_id = self._volunteer_id(actor, "organization.register")
        self._check_place(district, street, None)
        self.get_volunteer(volunteer_id)
        now = self._now()
        org = Organization(
            name=name, district=district, street=street, description=description,
            registered_by=volunteer_id, actor=actor.ref, at=now,
        )
        account = TimeAccount(owner_id=org.id, kind=ORGANIZATION, floor=None, actor=actor.ref, at=now, district=district)
        self.save(org, account)
        return org.id

    @retrying
    def verify_organization(self, actor: Actor, organization_id: UUID) -> None:
        org = self.get_organization(organization_id)
        org.verify(actor, self._now())
        self.save(org)

    @retrying
    def add_organizer(self, actor: Actor, organization_id: UUID, volunteer_id: UUID) -> None:
        org = self.get_organization(organization_id)
        org.require_organizer(actor)
        self.get_volunteer(volunteer_id)
        org.add_organizer(volunteer_id, actor, self._now())
        self.save(org)

    @retrying
    def remove_organizer(self, actor: Actor, organization_id: UUID, volunteer_id: UUID) -> None:
        org = self.get_organization(organization_id)
        org.remove_organizer(volunteer_id, actor, self._now())
        self.save(org)

    # Projects and shifts -------------------------------------------------------
    def publish_project(
        self,
        actor: Actor,
        *,
        organization_id: UUID,
        name: str,
        description: str = "",
        category: str = "community_service",
        district: str | None = None,
        street: str | None = None,
        community: str | None = None,
        person_in_charge: str,
    ) -> UUID:
        org = self.get_organization(organization_id)
        org.require_organizer(actor)
        org.require_verified()
        category = VOCABULARY.category(category)
        Project.check_category(category)
        self._check_place(district or org.district, street, community)
        project = Project(
            organization_id=organization_id, name=name, description=description, category=category,
            district=district or org.district, street=street, community=community,
            person_in_charge=person_in_charge, actor=actor.ref, at=self._now(),
        )
        self.save(project)
        return project.id

    def add_shift(
        self,
        actor: Actor,
        project_id: UUID,
        *,
        title: str,
        starts_at: datetime,
        ends_at: datetime,
        place: str,
        capacity: int,
        required_skills: Iterable[str] = (),
    ) -> UUID:
        project = self.get_project(project_id)
        org = self.get_organization(project.organization_id)
        org.require_organizer(actor)
        org.require_verified()
        Shift.check_schedule(starts_at, ends_at, capacity)
        shift = Shift(
            project_id=project_id, organization_id=project.organization_id, title=title,
            starts_at=starts_at, ends_at=ends_at, place=place, required_skills=VOCABULARY.skills_of(required_skills, "required_skills"),
            capacity=capacity, actor=actor.ref, at=self._now(),
        )
        self.save(shift)
        return shift.id

    def _require_self_or_organizer(self, actor: Actor, volunteer_id: UUID, organization_id: UUID) -> None:
        require(actor, "shift.sign_up", about=volunteer_id, organizes=lambda: self.is_organizer(actor, organization_id))

    @retrying
    def sign_up(self, actor: Actor, shift_id: UUID, volunteer_id: UUID) -> None:
        shift = self.get_shift(shift_id)
        self._require_self_or_organizer(actor, volunteer_id, shift.organization_id)
        volunteer = self.get_volunteer(volunteer_id)
        now = self._now()
        shift.sign_up(volunteer_id, volunteer.skills, actor.ref, now)
        volunteer.commit_to_shift(shift.id, shift.starts_at, shift.ends_at, actor.ref, now)
        self.save(shift, volunteer)

    @retrying
    def cancel_sign_up(self, actor: Actor, shift_id: UUID, volunteer_id: UUID) -> None:
        shift = self.get_shift(shift_id)
        self._require_self_or_organizer(actor, volunteer_id, shift.organization_id)
        volunteer = self.get_volunteer(volunteer_id)
        now = self._now()
        shift.cancel_sign_up(volunteer_id, actor.ref, now)
        volunteer.release_shift(shift.id, actor.ref, now)
        self.save(shift, volunteer)

