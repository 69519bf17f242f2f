"""The data-set generator (benchmarks/generate.py) writes what the real commands write.

A tiny set is generated into a fresh store, every projection is rebuilt from it, and then: the
ledger reconciles, the views agree with the aggregates the application loads, sealed personal data
opens with the keys the generator stored, and the real application carries on from the generated
aggregates (their versions follow on, their accounts take new transfers).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from api.services import Services
from benchmarks.generate import NOW, REGISTRATION_EVENTS, generate
from demo.places import DISTRICTS
from projections import ledger_queries
from projections.balances import accounts
from projections.directory import organizations, volunteers
from projections.service_records import service_records
from tests.builders import FixedClock
from timebank.application import TransferRequest
from timebank.domain.actors import Actor, Role
from timebank.domain.ledger import GIFT, TimeAccount
from timebank.domain.service_record import PENDING


def _reconciled(services: Services) -> dict[str, Any]:
    services.projector.catch_up()
    with services.engine.connect() as conn:
        return ledger_queries.reconciliation(conn, services.timebank.rules)


def test_a_generated_data_set_rebuilds_reconciles_and_matches_the_aggregates(services: Services, clock: FixedClock) -> None:
    clock.set(NOW)
    totals = generate(services, volunteers=200, events=4000, chunk=80, progress=lambda _: None)
    app = services.timebank
    assert totals.volunteers == 200
    assert 3000 <= totals.events <= 5000
    assert totals.events == app.recorder.max_notification_id()
    assert {"bulk", "confirmed", "rejected"} <= set(totals.activities)

    assert services.projector.rebuild() == totals.events
    report = _reconciled(services)
    assert report["balanced"], report
    assert report["discrepancy_count"] == 0
    assert report["total"]["issued_credits"] > 0

    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(volunteers)).scalar_one() == 200
        assert conn.execute(select(func.count()).select_from(organizations)).scalar_one() == 2
        districts = Counter(r.district for r in conn.execute(select(volunteers.c.district)))
        account_rows = conn.execute(select(accounts)).all()
        record_rows = conn.execute(select(service_records.c.id, service_records.c.status, service_records.c.credited_minutes)).all()
        volunteer_ids = [r.id for r in conn.execute(select(volunteers.c.id).limit(20))]
    assert set(districts) <= set(DISTRICTS)
    assert districts.most_common(1)[0][1] > 10  # weighted by population, not one each

    # Every account in the view is the aggregate the application loads.
    for row in account_rows:
        if row.kind in ("issuance", "redemption"):
            continue
        account = app.repository.get(row.id)
        assert isinstance(account, TimeAccount)
        assert (row.posted_credits, row.posted_debits, row.pending_credits, row.pending_debits) == (
            account.posted_credits, account.posted_debits, account.pending_credits, account.pending_debits)
    assert Counter(r.status for r in record_rows).keys() >= {"confirmed", "rejected"}
    for row in record_rows[:100]:
        record = app.get_record(row.id)
        assert (record.status, record.credited_minutes) == (row.status, row.credited_minutes)

    # Personal data was sealed by the application's vault and opens with the stored keys.
    for volunteer_id in volunteer_ids:
        personal = app.personal_data_of(app.get_volunteer(volunteer_id))
        assert personal is not None and personal["name"] and personal["id_number"]

    # The real application carries on from the generated aggregates.
    pending = next((r for r in record_rows if r.status == PENDING), None)
    if pending is not None:
        record = app.get_record(pending.id)
        organizer = app.get_organization(record.organization_id).organizers[0]
        app.confirm_record(Actor(Role.VOLUNTEER, organizer), record.id)
    rich = max((r for r in account_rows if r.kind == "volunteer"), key=lambda r: r.posted_credits - r.posted_debits)
    other = next(r for r in account_rows if r.kind == "volunteer" and r.id != rich.id)
    payer = app.repository.get(rich.id)
    assert isinstance(payer, TimeAccount)
    app.transfer(Actor(Role.VOLUNTEER, payer.owner_id), TransferRequest(rich.id, other.id, 30, GIFT, relation="spouse"))
    app.register_volunteer(name="新人", sex="female", birth_date=NOW.date().replace(year=1990), id_type="passport",
                           id_number="NEW00001", phone="13700000000", district="海淀区")
    assert _reconciled(services)["balanced"]


def test_a_generated_registration_is_the_events_of_the_real_command(services: Services, clock: FixedClock) -> None:
    clock.set(NOW)
    totals = generate(services, volunteers=40, events=600, chunk=40, progress=lambda _: None)
    app = services.timebank
    app.register_volunteer(name="新人", sex="female", birth_date=NOW.date().replace(year=1990), id_type="passport",
                           id_number="NEW00001", phone="13700000000", district="海淀区")
    notifications = app.recorder.select_notifications(0, 10_000)
    topics = [n.topic for n in notifications]
    real = topics[totals.events:]
    assert len(real) == REGISTRATION_EVENTS
    starts = [i for i, t in enumerate(topics[: totals.events]) if t == real[0]]
    assert len(starts) == 40
    # A generated volunteer with a phone of their own has the same events, in the same order.
    assert any(topics[i : i + REGISTRATION_EVENTS] == real for i in starts)
    counted = Counter(t.rsplit(".", 1)[1] for t in topics[: totals.events])
    assert counted["Registered"] >= 40 and counted["Verified"] == 2
