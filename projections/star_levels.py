"""Star levels (星级): each volunteer's awarded level, milestones and five-star nomination; and the
queries that explain a level and find who is due one.

Counted hours are not copied here: they are the confirmed minutes of the service-record view by
category, which the rule set in force splits into counted and excluded when asked.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Column, Connection, Date, Index, Integer, String, Table, Uuid, func, select

from projections.base import Projection, event_of, handles
from projections.batch import Batch
from projections.db import UTCDateTime, metadata
from projections.service_records import service_records
from timebank.domain.rules import RuleBook
from timebank.domain.star_level import StarStanding, count_minutes, level_by_hours, milestones_due

star_levels = Table(
    "star_levels",
    metadata,
    Column("id", Uuid, primary_key=True),  # the standing's id, StarStanding.create_id(volunteer_id)
    Column("volunteer_id", Uuid, nullable=False),
    Column("level", Integer, nullable=False),
    Column("rules_version", String(40)),
    Column("threshold_hours", Integer),
    Column("counted_minutes_at_award", Integer),
    Column("awarded_at", UTCDateTime),
    Column("milestones", JSON, nullable=False),  # [{"name", "rules_version", "counted_minutes", "at"}]
    Column("nomination_status", String(12)),  # in_notice, granted, rejected
    Column("nominated_by", Uuid),
    Column("notice_ends_on", Date),
    Column("objections", JSON, nullable=False),  # {objection id: status}
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_star_levels_notice", "nomination_status", "notice_ends_on"),
    Index("ix_star_levels_volunteer", "volunteer_id", unique=True),
)


def _at(e: Any) -> str:
    return str(e.at.isoformat())


class StarLevels(Projection):
    name = "star_levels"
    tables = (star_levels,)

    @handles(event_of(StarStanding, "Opened"))
    def _opened(self, batch: Batch, e: Any) -> None:
        batch.insert(star_levels, dict(id=e.originator_id, volunteer_id=e.volunteer_id, level=0, milestones=[], objections={}, updated_at=e.at))

    def _set(self, batch: Batch, e: Any, **values: Any) -> None:
        batch.update(star_levels, e.originator_id, updated_at=e.at, **values)

    @handles(event_of(StarStanding, "LevelAwarded"), event_of(StarStanding, "FiveStarsGranted"))
    def _awarded(self, batch: Batch, e: Any) -> None:
        level = getattr(e, "level", 5)
        values: dict[str, Any] = dict(
            level=level, rules_version=e.rules_version, threshold_hours=e.threshold_hours,
            counted_minutes_at_award=e.counted_minutes, awarded_at=e.at,
        )
        if level == 5:
            values["nomination_status"] = "granted"
        self._set(batch, e, **values)

    @handles(event_of(StarStanding, "MilestoneReached"))
    def _milestone(self, batch: Batch, e: Any) -> None:
        row = batch.get(star_levels, e.originator_id)
        if row is not None:
            reached = {"name": e.name, "rules_version": e.rules_version, "counted_minutes": e.counted_minutes, "at": _at(e)}
            self._set(batch, e, milestones=[*row["milestones"], reached])

    @handles(event_of(StarStanding, "FiveStarNominated"))
    def _nominated(self, batch: Batch, e: Any) -> None:
        self._set(batch, e, nomination_status="in_notice", nominated_by=e.organization_id, notice_ends_on=e.notice_ends_on, objections={})

    @handles(event_of(StarStanding, "ObjectionLodged"))
    def _objection(self, batch: Batch, e: Any) -> None:
        row = batch.get(star_levels, e.originator_id)
        if row is not None:
            self._set(batch, e, objections={**row["objections"], str(e.objection_id): "open"})

    @handles(event_of(StarStanding, "ObjectionUpheld"))
    def _upheld(self, batch: Batch, e: Any) -> None:
        row = batch.get(star_levels, e.originator_id)
        if row is not None:
            self._set(batch, e, objections={**row["objections"], str(e.objection_id): "upheld"}, nomination_status="rejected")

    @handles(event_of(StarStanding, "ObjectionDismissed"))
    def _dismissed(self, batch: Batch, e: Any) -> None:
        row = batch.get(star_levels, e.originator_id)
        if row is not None:
            self._set(batch, e, objections={**row["objections"], str(e.objection_id): "dismissed"})


# Queries ---------------------------------------------------------------------------------------
def confirmed_minutes_by_category(conn: Connection, volunteer_id: UUID) -> dict[str, int]:
    c = service_records.c
    query = (
        select(c.category, func.sum(c.service_minutes))
        .where(c.volunteer_id == volunteer_id, c.status == "confirmed")
        .group_by(c.category)
    )
    return {category: int(minutes) for category, minutes in conn.execute(query)}


def counted_minutes(conn: Connection, volunteer_id: UUID, rules: RuleBook, today: date) -> int:
    """Confirmed minutes that count towards star levels (and incentives' minimum hours) today."""
    return count_minutes(rules.in_force(today), confirmed_minutes_by_category(conn, volunteer_id)).counted_minutes


def _all_confirmed(conn: Connection) -> dict[UUID, dict[str, int]]:
    c = service_records.c
    found: dict[UUID, dict[str, int]] = {}
    query = select(c.volunteer_id, c.category, func.sum(c.service_minutes)).where(c.status == "confirmed").group_by(c.volunteer_id, c.category)
    for volunteer_id, category, minutes in conn.execute(query):
        found.setdefault(volunteer_id, {})[category] = int(minutes)
    return found


def award_candidates(conn: Connection, rules: RuleBook, today: date) -> list[tuple[UUID, dict[str, int]]]:
    """Volunteers whose confirmed minutes reach a level (1-4) or a milestone they do not hold yet."""
    in_force = rules.in_force(today)
    held = {r.volunteer_id: r for r in conn.execute(select(star_levels.c.volunteer_id, star_levels.c.level, star_levels.c.milestones))}
    due = []
    for volunteer_id, minutes in _all_confirmed(conn).items():
        counted = count_minutes(in_force, minutes)
        row = held.get(volunteer_id)
        level, milestones = (row.level, {m["name"] for m in row.milestones}) if row else (0, set())
        if min(level_by_hours(in_force, counted.counted_minutes), 4) > level or set(milestones_due(in_force, counted)) - milestones:
            due.append((volunteer_id, minutes))
    return due


def five_star_candidates(conn: Connection, today: date) -> list[tuple[UUID, dict[str, int]]]:
    """Nominations whose public notice has ended, with the volunteer's confirmed minutes by category."""
    c = star_levels.c
    query = select(c.volunteer_id).where(c.nomination_status == "in_notice", c.notice_ends_on < today)
    return [(v, confirmed_minutes_by_category(conn, v)) for v in conn.execute(query).scalars()]


def explanation(conn: Connection, volunteer_id: UUID, rules: RuleBook, today: date) -> dict[str, Any]:
    """The level held and why: hours counted and excluded (by category, with the reason), the rule
    version of the award, the next threshold and the hours to go under the rules in force today."""
    in_force = rules.in_force(today)
    counted = count_minutes(in_force, confirmed_minutes_by_category(conn, volunteer_id))
    row = conn.execute(select(star_levels).where(star_levels.c.id == StarStanding.create_id(volunteer_id))).first()
    level = row.level if row else 0
    thresholds = in_force.star_level_thresholds_hours
    next_level = level + 1 if level < 5 else None
    next_hours = thresholds[level] if next_level else None
    by_hours = level_by_hours(in_force, counted.counted_minutes)
    return {
        "volunteer_id": volunteer_id,
        "level": level,
        "awarded_under_rules_version": row.rules_version if row else None,
        "awarded_threshold_hours": row.threshold_hours if row else None,
        "awarded_at": row.awarded_at if row else None,
        "counted_minutes": counted.counted_minutes,
        "counted_hours": counted.counted_minutes / 60,
        "excluded": [
            {"category": category, "minutes": minutes, "reason": f"the rules {in_force.version} exclude {category} from star levels"}
            for category, minutes in sorted(counted.excluded_minutes.items())
        ],
        "excluded_minutes": sum(counted.excluded_minutes.values()),
        "rules_in_force": in_force.version,
        "thresholds_hours": list(thresholds),
        "next_level": next_level,
        "next_threshold_hours": next_hours,
        "hours_to_go": max(0.0, next_hours - counted.counted_minutes / 60) if next_hours is not None else None,
        "next_level_needs_nomination": next_level == 5,
        # A correction lowered the hours below the level held: the level stays (README), and no level
        # is awarded again until the hours pass the next threshold.
        "hours_below_level_held": level > 0 and by_hours < level,
        "milestones": list(row.milestones) if row else [],
        "nomination": {
            "status": row.nomination_status, "organization_id": row.nominated_by, "notice_ends_on": row.notice_ends_on,
            "objections": [{"id": k, "status": v} for k, v in row.objections.items()],
        } if row and row.nomination_status else None,
    }

