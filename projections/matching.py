"""The matching views: open needs, and the supply index (what each volunteer offers, their bookings,
attendance and recent opportunities), kept from events for candidates and assignment runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Column, Float, Index, Integer, String, Table, Text, Uuid

from projections.base import Projection, event_of, handles
from projections.batch import Batch
from projections.db import UTCDateTime, metadata
from timebank.domain.matching import booked_minutes, window_minutes
from timebank.domain.need import Need
from timebank.domain.proposal import Proposal
from timebank.domain.shift import Shift
from timebank.domain.volunteer import Volunteer

needs = Table(
    "needs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("organization_id", Uuid, nullable=False, index=True),
    Column("project_id", Uuid, nullable=False),
    Column("shift_id", Uuid, nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("content", Text, nullable=False),
    Column("category", String(40), nullable=False),
    Column("required_skills", JSON, nullable=False),
    Column("district", String(64), nullable=False),
    Column("street", String(64), nullable=False),
    Column("community", String(64), nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("volunteers_needed", Integer, nullable=False),
    Column("min_age", Integer),
    Column("max_age", Integer),
    Column("requirements", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("posted_at", UTCDateTime, nullable=False),
    Index("ix_needs_open", "status", "district", "starts_at"),
)

supply = Table(
    "supply",
    metadata,
    Column("volunteer_id", Uuid, primary_key=True),
    Column("district", String(64), nullable=False),
    Column("street", String(64), nullable=False),
    Column("community", String(64), nullable=False),
    Column("skills", JSON, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("windows", JSON, nullable=False),
    Column("weekly_cap_minutes", Integer),
    Column("preferred_places", JSON, nullable=False),
    Column("attended", Integer, nullable=False),
    Column("erased", Boolean, nullable=False),
    Index("ix_supply_place", "district", "street", "community", "volunteer_id"),
)

# The index's small tables keep their rows in their primary key's order on SQLite (WITHOUT ROWID),
# and each index ends with volunteer_id: the candidate query reads a district's windows, skills
# and categories, a street's volunteers and a volunteer's bookings from the index alone, never from
# the table (10 µs a row fewer at a million volunteers; docs/PERFORMANCE.md).

def _codes_table(name: str, code: str) -> Table:
    """A volunteer's codes of one kind (`code`: skill or category), a row each, with their district."""
    return Table(
        name,
        metadata,
        Column(code, String(40), primary_key=True),
        Column("volunteer_id", Uuid, primary_key=True),
        Column("district", String(64), nullable=False),
        Index(f"ix_{name}_district", "district", code, "volunteer_id"),
        sqlite_with_rowid=False,
    )


supply_skills = _codes_table("supply_skills", "skill")
# Service categories, so that the candidate query finds a district's volunteers who prefer a
# need's category without reading the others (see projections/matching_queries.py).
supply_categories = _codes_table("supply_categories", "category")

# The weekly availability windows, a row each, so that the candidate query and runs find the
# volunteers whose window holds a need's time with an index instead of reading a district's rows.
supply_windows = Table(
    "supply_windows",
    metadata,
    Column("volunteer_id", Uuid, primary_key=True),
    Column("weekday", Integer, primary_key=True),
    Column("start_minute", Integer, primary_key=True),
    Column("end_minute", Integer, primary_key=True),
    Column("district", String(64), nullable=False),
    Column("street", String(64), nullable=False),  # of the volunteer's home, as district
    Index("ix_supply_windows_slot", "district", "weekday", "start_minute", "end_minute", "volunteer_id"),
    Index("ix_supply_windows_street", "district", "street", "weekday", "start_minute", "end_minute", "volunteer_id"),
    sqlite_with_rowid=False,
)

# Preferred places, a row each, so that the candidate query computes each volunteer's distance
# in the hierarchy (home or a preferred place, the nearer) in SQL.
supply_places = Table(
    "supply_places",
    metadata,
    Column("volunteer_id", Uuid, primary_key=True),
    Column("district", String(64), primary_key=True),
    Column("street", String(64), primary_key=True),
    Column("community", String(64), primary_key=True),
    Index("ix_supply_places_street", "district", "street", "volunteer_id"),
    sqlite_with_rowid=False,
)

bookings = Table(
    "bookings",
    metadata,
    Column("volunteer_id", Uuid, primary_key=True),
    Column("shift_id", Uuid, primary_key=True),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("minutes", Integer, nullable=False),  # as the weekly cap counts them (timebank.domain.matching.booked_minutes)
    Column("attended", Boolean, nullable=False),
    Column("booked_at", UTCDateTime, nullable=False),
    Index("ix_bookings_volunteer_time", "volunteer_id", "starts_at"),
    sqlite_with_rowid=False,
)

proposals = Table(
    "proposals",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("need_id", Uuid, nullable=False, index=True),
    Column("volunteer_id", Uuid, nullable=False, index=True),
    Column("organization_id", Uuid, nullable=False),
    Column("run_id", Uuid, nullable=False),
    Column("score", Float, nullable=False),
    Column("parts", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("declined_by", String(16)),
    Column("proposed_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
)


class MatchingViews(Projection):
    name = "matching"
    tables = (needs, supply, supply_skills, supply_categories, supply_windows, supply_places, bookings, proposals)

    # Needs ---------------------------------------------------------------------
    @handles(event_of(Need, "Posted"))
    def _posted(self, batch: Batch, e: Any) -> None:
        batch.insert(needs, dict(
            id=e.originator_id, organization_id=e.organization_id, project_id=e.project_id, shift_id=e.shift_id, title=e.title,
            content=e.content, category=e.category, required_skills=list(e.required_skills), district=e.place["district"],
            street=e.place["street"], community=e.place["community"], starts_at=e.starts_at, ends_at=e.ends_at,
            volunteers_needed=e.volunteers_needed, min_age=e.min_age, max_age=e.max_age, requirements=list(e.requirements),
            status="open", posted_at=e.at,
        ))

    @handles(event_of(Need, "Updated"))
    def _updated(self, batch: Batch, e: Any) -> None:
        batch.update(needs, e.originator_id, content=e.content, requirements=list(e.requirements), min_age=e.min_age, max_age=e.max_age)

    @handles(event_of(Need, "SlotsChanged"))
    def _slots_changed(self, batch: Batch, e: Any) -> None:
        batch.update(needs, e.originator_id, volunteers_needed=e.volunteers_needed)

    @handles(event_of(Need, "Rescheduled"))
    def _rescheduled(self, batch: Batch, e: Any) -> None:
        batch.update(needs, e.originator_id, starts_at=e.starts_at, ends_at=e.ends_at)

    @handles(event_of(Need, "Closed"))
    def _closed(self, batch: Batch, e: Any) -> None:
        batch.update(needs, e.originator_id, status="closed")

    @handles(event_of(Need, "Filled"))
    def _filled(self, batch: Batch, e: Any) -> None:
        batch.update(needs, e.originator_id, status="filled")

    # Supply --------------------------------------------------------------------
    def _codes(self, batch: Batch, table: Table, volunteer_id: Any, district: str, old: list[str], new: list[str]) -> None:
        """The rows of a volunteer's skills or categories (`table`), from the old codes to the new."""
        column = table.primary_key.columns.values()[0].name
        for code in set(old) - set(new):
            batch.delete(table, (code, volunteer_id))
        for code in set(new) - set(old):
            batch.insert(table, {column: code, "volunteer_id": volunteer_id, "district": district})

    def _windows(self, batch: Batch, volunteer_id: Any, home: dict[str, Any], old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
        before, after = set(map(window_minutes, old)), set(map(window_minutes, new))
        for weekday, start, end in before - after:
            batch.delete(supply_windows, (volunteer_id, weekday, start, end))
        for weekday, start, end in after - before:
            batch.insert(supply_windows, dict(volunteer_id=volunteer_id, weekday=weekday, start_minute=start, end_minute=end,
                                              district=home["district"], street=home["street"]))

    def _places(self, batch: Batch, volunteer_id: Any, old: list[dict[str, str]], new: list[dict[str, str]]) -> None:
        def keys(places: list[dict[str, str]]) -> set[tuple[str, str, str]]:
            return {(p.get("district") or "", p.get("street") or "", p.get("community") or "") for p in places}

        for district, street, community in keys(old) - keys(new):
            batch.delete(supply_places, (volunteer_id, district, street, community))
        for district, street, community in keys(new) - keys(old):
            batch.insert(supply_places, dict(volunteer_id=volunteer_id, district=district, street=street, community=community))

    @handles(event_of(Volunteer, "Registered"))
    def _registered(self, batch: Batch, e: Any) -> None:
        district = e.home.get("district", "")
        batch.insert(supply, dict(
            volunteer_id=e.originator_id, district=district, street=e.home.get("street", ""), community=e.home.get("community", ""),
            skills=list(e.skills), categories=list(e.service_categories), windows=[], weekly_cap_minutes=None, preferred_places=[],
            attended=0, erased=False,
        ))
        self._codes(batch, supply_skills, e.originator_id, district, [], list(e.skills))
        self._codes(batch, supply_categories, e.originator_id, district, [], list(e.service_categories))

    @handles(event_of(Volunteer, "SupplyOffered"))
    def _offered(self, batch: Batch, e: Any) -> None:
        row = batch.get(supply, e.originator_id)
        if row is None:
            return
        self._codes(batch, supply_skills, e.originator_id, row["district"], row["skills"], list(e.skills))
        self._codes(batch, supply_categories, e.originator_id, row["district"], row["categories"], list(e.service_categories))
        self._windows(batch, e.originator_id, row, row["windows"], list(e.availability))
        self._places(batch, e.originator_id, row["preferred_places"], list(e.preferred_places))
        batch.update(
            supply, e.originator_id, skills=list(e.skills), categories=list(e.service_categories), windows=list(e.availability),
            weekly_cap_minutes=None if e.weekly_hours_cap is None else e.weekly_hours_cap * 60, preferred_places=list(e.preferred_places),
        )

    @handles(event_of(Volunteer, "PersonalDataErased"))
    def _erased(self, batch: Batch, e: Any) -> None:
        batch.update(supply, e.originator_id, erased=True)

    @handles(event_of(Volunteer, "CommittedToShift"))
    def _committed(self, batch: Batch, e: Any) -> None:
        key = (e.originator_id, e.shift_id)
        if batch.get(bookings, key) is None:
            batch.insert(bookings, dict(volunteer_id=e.originator_id, shift_id=e.shift_id, starts_at=e.starts_at, ends_at=e.ends_at,
                                        minutes=booked_minutes(e.starts_at, e.ends_at), attended=False, booked_at=e.at))

    @handles(event_of(Volunteer, "ReleasedShift"))
    def _released(self, batch: Batch, e: Any) -> None:
        if batch.get(bookings, (e.originator_id, e.shift_id)) is not None:
            batch.delete(bookings, (e.originator_id, e.shift_id))

    @handles(event_of(Shift, "CheckedIn"))
    def _checked_in(self, batch: Batch, e: Any) -> None:
        key = (e.volunteer_id, e.originator_id)
        if batch.get(bookings, key) is not None:
            batch.update(bookings, key, attended=True)
        row = batch.get(supply, e.volunteer_id)
        if row is not None:
            batch.update(supply, e.volunteer_id, attended=row["attended"] + 1)

    # Proposals -----------------------------------------------------------------
    @handles(event_of(Proposal, "Made"))
    def _proposed(self, batch: Batch, e: Any) -> None:
        batch.insert(proposals, dict(
            id=e.originator_id, need_id=e.need_id, volunteer_id=e.volunteer_id, organization_id=e.organization_id, run_id=e.run_id,
            score=e.score, parts=dict(e.parts), status="proposed", proposed_at=e.at,
        ))

    @handles(event_of(Proposal, "Accepted"))
    def _accepted(self, batch: Batch, e: Any) -> None:
        batch.update(proposals, e.originator_id, status="accepted", decided_at=e.at)

    @handles(event_of(Proposal, "Declined"))
    def _declined(self, batch: Batch, e: Any) -> None:
        batch.update(proposals, e.originator_id, status="declined", declined_by=e.by, decided_at=e.at)
