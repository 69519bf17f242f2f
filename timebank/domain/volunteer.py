"""The volunteer (志愿者): real-name registration, one person one account, and their commitments."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.errors import Conflict, InvalidInput, RuleViolation
from timebank.domain.ids import natural_id
from timebank.domain.matching import booked_minutes, booked_minutes_in_week, week_of
from timebank.domain.rules import RuleSet

SEXES = ("female", "male", "unspecified")
ID_TYPES = ("resident_id", "passport", "hk_macao_permit", "taiwan_permit", "foreign_permanent_resident")

# Fields of `personal_data` that identify the person. They are sealed under the volunteer's own key
# (timebank/privacy.py) before any event is made; the API masks the ID number and the phone.
PERSONAL_FIELDS = ("name", "sex", "birth_date", "id_type", "id_number", "phone")
PRIVACY_POLICY_VERSION = "2026-11"


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def mask_id_number(id_number: str) -> str:
    """Keep the first 3 and the last 2 characters, as printed on certificates."""
    if len(id_number) <= 5:
        return "*" * len(id_number)
    return id_number[:3] + "*" * (len(id_number) - 5) + id_number[-2:]


def mask_phone(phone: str) -> str:
    digits = phone[-11:]
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "*" * len(digits)


def check_registration(
    *, birth_date: date, guardian_consent: bool, today: date, rules: RuleSet,
    name: str = "x", sex: str = "unspecified", id_type: str = "resident_id", id_number: str = "x",
) -> None:
    """Well-formed identity; registration from age 14; under 18 needs a guardian's consent (configurable)."""
    if not name.strip():
        raise InvalidInput("name is required", field="name")
    if sex not in SEXES:
        raise InvalidInput(f"sex must be one of {', '.join(SEXES)}", field="sex")
    if id_type not in ID_TYPES:
        raise InvalidInput(f"id_type must be one of {', '.join(ID_TYPES)}", field="id_type")
    if not id_number.strip():
        raise InvalidInput("id_number is required", field="id_number")
    if birth_date > today:
        raise InvalidInput("birth_date is in the future", field="birth_date")
    age = age_on(birth_date, today)
    if age < rules.min_registration_age:
        raise RuleViolation(
            f"registration is open from age {rules.min_registration_age}; this person is {age}",
            field="birth_date",
        )
    if age < rules.guardian_consent_below_age and not guardian_consent:
        raise RuleViolation(
            f"a volunteer under {rules.guardian_consent_below_age} needs guardian_consent",
            field="guardian_consent",
        )


class Volunteer(Aggregate):
    """A registered person. `personal_data` is sealed (ciphertext under the volunteer's key): the
    domain never sees names, ID numbers, phones or birth dates; the application opens them when a
    rule needs one (an age), and erasure destroys the key."""

    # Supply (供给) for matching, set by `offer`. Class defaults, so volunteers registered (or
    # snapshotted) before supply existed load with none.
    availability: tuple[dict[str, object], ...] = ()
    weekly_hours_cap: int | None = None
    preferred_places: tuple[dict[str, str], ...] = ()

    @staticmethod
    def create_id(volunteer_id: UUID) -> UUID:
        """The id is chosen before the event, so the token and the actor can name it."""
        return volunteer_id

    @event("Registered")
    def __init__(
        self,
        volunteer_id: UUID,
        volunteer_number: str,
        personal_data: str,
        home: dict[str, str],
        skills: list[str],
        service_categories: list[str],
        guardian_consent: bool,
        actor: str,
        at: datetime,
        consents: list[dict[str, str]] | None = None,
    ) -> None:
        self.volunteer_number = volunteer_number
        self.personal_data = personal_data
        # Consent records (PIPL): purpose, privacy-policy version, given by self or guardian.
        self.consents = list(consents or [])
        self.erased_at: datetime | None = None
        self.home = home
        self.skills = skills
        self.service_categories = service_categories
        self.guardian_consent = guardian_consent
        self.registered_at = at
        # shift id -> [start, end] of shifts signed up for and not yet cancelled.
        self.commitments: dict[str, list[datetime]] = {}

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    def erase_personal_data(self, actor: str, at: datetime) -> None:
        """Record the erasure (PIPL); the key is destroyed by the application. Repeats add nothing."""
        if not self.erased:
            self._erased(actor=actor, at=at)

    @event("PersonalDataErased")
    def _erased(self, actor: str, at: datetime) -> None:
        self.personal_data = ""
        self.erased_at = at

    def offer(
        self, *, availability: list[dict[str, object]], weekly_hours_cap: int | None, preferred_places: list[dict[str, str]],
        skills: list[str], service_categories: list[str], actor: str, at: datetime,
    ) -> None:
        """Replace what the volunteer offers: weekly windows, a weekly-hours cap, preferred places,
        skills and categories (all checked by the caller against the vocabulary and the places)."""
        if self.erased:
            raise RuleViolation("this volunteer's personal data is erased", field="volunteer_id")
        if weekly_hours_cap is not None and not 1 <= weekly_hours_cap <= 84:
            raise InvalidInput("weekly_hours_cap is 1 to 84 hours", field="weekly_hours_cap")
        self._offered(availability=availability, weekly_hours_cap=weekly_hours_cap, preferred_places=preferred_places,
                      skills=skills, service_categories=service_categories, actor=actor, at=at)

    @event("SupplyOffered")
    def _offered(
        self, availability: list[dict[str, object]], weekly_hours_cap: int | None, preferred_places: list[dict[str, str]],
        skills: list[str], service_categories: list[str], actor: str, at: datetime,
    ) -> None:
        self.availability = tuple(availability)
        self.weekly_hours_cap = weekly_hours_cap
        self.preferred_places = tuple(preferred_places)
        self.skills = skills
        self.service_categories = service_categories

    def commit_to_shift(self, shift_id: UUID, starts_at: datetime, ends_at: datetime, actor: str, at: datetime) -> None:
        """Refuse a second booking that overlaps one already held (ended shifts are forgotten)."""
        for other_id, (start, end) in self.commitments.items():
            if other_id != str(shift_id) and start < ends_at and starts_at < end:
                raise Conflict(
                    f"this volunteer is already signed up for shift {other_id}, which overlaps",
                    field="volunteer_id",
                    overlapping_shift_id=other_id,
                )
        self._committed(shift_id=shift_id, starts_at=starts_at, ends_at=ends_at, actor=actor, at=at)

    @event("CommittedToShift")
    def _committed(self, shift_id: UUID, starts_at: datetime, ends_at: datetime, actor: str, at: datetime) -> None:
        # Keep the state small for long-lived volunteers: drop commitments that have ended, but
        # not those of the current (Beijing) week, which its weekly cap still counts.
        monday, _ = week_of(at)
        self.commitments = {k: v for k, v in self.commitments.items() if v[1] > at or v[0] >= monday}
        self.commitments[str(shift_id)] = [starts_at, ends_at]

    def weekly_cap_exclusion(self, shift_id: UUID, starts_at: datetime, ends_at: datetime) -> str | None:
        """Why booking the shift would break the volunteer's weekly-hours cap, or None. Counts as
        the matching rules do (timebank.domain.matching.booked_minutes_in_week): the whole minutes of
        the bookings held that start in the Beijing week the shift starts in. Commitments of the
        current week and later are all kept, so a shift that has not ended is counted exactly."""
        if self.weekly_hours_cap is None:
            return None
        held = booked_minutes_in_week((v for k, v in self.commitments.items() if k != str(shift_id)), starts_at)
        wanted = booked_minutes(starts_at, ends_at)
        if held + wanted <= self.weekly_hours_cap * 60:
            return None
        return (f"the volunteer's weekly cap is {self.weekly_hours_cap} h: {held} min are booked in that week "
                f"and this shift adds {wanted}")

    def release_shift(self, shift_id: UUID, actor: str, at: datetime) -> None:
        if str(shift_id) in self.commitments:
            self._released(shift_id=shift_id, actor=actor, at=at)

    @event("ReleasedShift")
    def _released(self, shift_id: UUID, actor: str, at: datetime) -> None:
        self.commitments.pop(str(shift_id), None)


class IdentityClaim(Aggregate):
    """Claims one identity document for one volunteer: its id is a keyed hash, never the number."""

    @staticmethod
    def create_id(identity_key: str) -> UUID:
        return natural_id("identity", identity_key)

    @event("Claimed")
    def __init__(self, identity_key: str, volunteer_id: UUID, actor: str, at: datetime) -> None:
        self.volunteer_id = volunteer_id


class VolunteerNumberClaim(Aggregate):
    """Reserves a volunteer number (志愿者编号) so that two people never share one."""

    @staticmethod
    def create_id(volunteer_number: str) -> UUID:
        return natural_id("volunteer-number", volunteer_number)

    @event("Claimed")
    def __init__(self, volunteer_number: str, volunteer_id: UUID, actor: str, at: datetime) -> None:
        self.volunteer_id = volunteer_id
