"""The projector: batched, exactly once, and a rebuild equals what was built live."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from api.services import Services
from projections import ledger_queries
from projections.balances import Balances, accounts, entries
from projections.db import metadata
from projections.runner import ProjectionLagging, Projector, all_projections
from timebank.application import BatchEntry
from timebank.domain.actors import Actor, Role
from timebank.domain.ids import ISSUANCE_ACCOUNT_ID
from timebank.domain.ledger import TimeAccount, Transfer

ADMIN = Actor(Role.ADMIN)


def person(services: Services, seq: int) -> Actor:
    reg = services.timebank.register_volunteer(
        name=f"志愿者{seq}", sex="female", birth_date=date(1990, 1, 1), id_type="resident_id",
        id_number=f"ID-{seq}", phone="13900000000", district="海淀区",
    )
    return Actor(Role.VOLUNTEER, reg.volunteer_id)


def a_history(services: Services, clock: Any) -> dict[str, Any]:
    """Records in every state, credits moved every way."""
    app = services.timebank
    organizer, a, b = person(services, 1), person(services, 2), person(services, 3)
    org = app.register_organization(organizer, name="学院路志愿团", district="海淀区")
    app.verify_organization(ADMIN, org)
    project = app.publish_project(organizer, organization_id=org, name="助老", person_in_charge="王老师")
    shift = app.add_shift(organizer, project, title="上午", starts_at=clock() + timedelta(hours=1),
                          ends_at=clock() + timedelta(hours=4), place="社区", capacity=3)
    for v in (a, b):
        app.sign_up(v, shift, v.id)
    clock.advance(hours=1)
    for v in (a, b):
        app.check_in(organizer, shift, v.id)
    clock.advance(hours=2)
    confirmed = app.check_out(organizer, shift, a.id)
    pending = app.check_out(organizer, shift, b.id)
    app.confirm_record(organizer, confirmed)
    rejected = app.declare_service(a, project_id=project, service_date=date.fromisoformat("2026-11-17"), service_minutes=90, content="x")
    app.reject_record(organizer, rejected, "duplicate")
    app.correct_record(organizer, confirmed, 100, "left early")
    batch = app.record_service_batch(organizer, project, [BatchEntry(b.id, date(2026, 11, 17), 240, "bulk")])
    app.revoke_record(organizer, batch[0], "entered in error")
    app.correct_record(organizer, pending, 30, "arrived late")
    return {"a": a, "b": b, "confirmed": confirmed, "pending": pending, "rejected": rejected}


def dump(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    with services.engine.connect() as conn:
        return {
            table.name: sorted(tuple(str(v) for v in row) for row in conn.execute(select(table)))
            for p in services.projector.projections for table in p.tables
        }


def test_a_rebuild_gives_exactly_what_was_built_live_batch_by_batch(services: Services, clock: Any) -> None:
    a_history(services, clock)
    for _ in range(100):  # live: tiny batches, as if events arrived one by one
        if not services.projector.run_once(limit=1):
            break
    live = dump(services)
    assert live["service_records"], "the scenario must have produced rows"
    services.projector.rebuild()
    assert dump(services) == live


def test_balances_follow_the_records_and_the_issuance_account_mirrors_them(services: Services, clock: Any) -> None:
    h = a_history(services, clock)
    services.projector.catch_up()
    with services.engine.connect() as conn:
        a = ledger_queries.account(conn, TimeAccount.create_id(h["a"].id))
        b = ledger_queries.account(conn, TimeAccount.create_id(h["b"].id))
        issuance = conn.execute(select(accounts).where(accounts.c.id == ISSUANCE_ACCOUNT_ID)).mappings().one()
        total = conn.execute(select(func.sum(accounts.c.posted_credits - accounts.c.posted_debits))).scalar_one()
    assert a is not None and b is not None
    assert (a["balance"], a["pending"]) == (100, 0)  # 120 confirmed, corrected to 100; the rejected 90 never arrives
    assert (b["balance"], b["pending"]) == (0, 30)  # bulk 240 revoked; check-out pending, corrected to 30
    assert issuance["posted_debits"] - issuance["posted_credits"] == 100
    assert total == 0  # double entry: the sum over all accounts is zero


def test_a_failing_batch_writes_nothing_and_is_replayed_whole(services: Services, clock: Any) -> None:
    a_history(services, clock)

    class Exploding(Balances):
        calls = 0

        def handle(self, batch: Any, event: Any) -> None:
            super().handle(batch, event)
            if isinstance(event, Transfer.Posted):
                raise RuntimeError("disk full")

    projector = Projector(services.timebank.recorder, services.timebank.mapper, services.engine,
                          [p if p.name != "balances" else Exploding() for p in all_projections()])
    with pytest.raises(RuntimeError):
        projector.catch_up(limit=10_000)
    assert projector.positions() == {p.name: 0 for p in projector.projections}
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(entries)).scalar_one() == 0

    services.projector.catch_up(limit=10_000)  # the healthy projector replays the batch whole, once
    with services.engine.connect() as conn:
        lines = conn.execute(select(func.count()).select_from(entries)).scalar_one()
        distinct = conn.execute(select(func.count(func.distinct(entries.c.transfer_id)))).scalar_one()
    assert lines > distinct > 0
    stored = services.timebank.recorder.select_notifications(1, 100_000, topics=[
        Transfer.Created.__module__ + ":" + Transfer.Created.__qualname__])
    assert distinct == len(stored)


def test_rebuilding_one_projection_leaves_the_others_alone(services: Services, clock: Any) -> None:
    a_history(services, clock)
    services.projector.catch_up()
    before = dump(services)
    last = services.timebank.recorder.max_notification_id()
    services.projector.rebuild(["balances"])
    assert dump(services) == before
    assert set(services.projector.positions().values()) == {last}
    with pytest.raises(KeyError):
        services.projector.rebuild(["no_such_view"])


def test_waiting_for_a_position_the_views_have_not_reached_times_out(services: Services, clock: Any) -> None:
    person(services, 9)
    last = services.timebank.recorder.max_notification_id()
    with pytest.raises(ProjectionLagging) as raised:
        services.projector.wait_for(last, timeout=0.05)
    assert raised.value.reached == 0
    services.projector.catch_up()
    services.projector.wait_for(last, timeout=0.05)  # reached: returns


def test_every_table_belongs_to_exactly_one_projection() -> None:
    owned = [t.name for p in all_projections() for t in p.tables]
    assert len(owned) == len(set(owned))
    assert set(owned) | {"projection_positions"} == set(metadata.tables)
