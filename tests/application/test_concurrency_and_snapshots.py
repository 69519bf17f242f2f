"""Two writers on one store: exactly one decision wins. Long-lived accounts load from snapshots."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.builders import (
    FixedClock,
    Scene,
    a_declared_record,
    a_scene,
    a_shift,
    a_volunteer,
    account_of,
    as_volunteer,
    make_app,
)
from timebank.application import BatchEntry, Registration, TimeBank
from timebank.domain.errors import Conflict
from timebank.domain.ledger import TimeAccount, Transfer
from timebank.domain.service_record import CONFIRMED, REJECTED


def sqlite_app(tmp_path: Path) -> TimeBank:
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "e.sqlite"), "SQLITE_LOCK_TIMEOUT": "10"}
    return make_app(FixedClock(), env=env)


def hold_first_save(app: TimeBank, barrier: threading.Barrier) -> None:
    """Make the app's first save wait until the other writer is about to save too: a true race."""
    original = app.save
    state = {"first": True}

    def save(*objs: Any, **kwargs: Any) -> Any:
        if state.pop("first", False):
            barrier.wait(timeout=10)
        return original(*objs, **kwargs)

    app.save = save  # type: ignore[method-assign]


def race(*commands: Callable[[], object]) -> list[object]:
    """Run the commands in parallel threads; return what each returned or raised."""
    results: list[object] = [None] * len(commands)

    def run(i: int) -> None:
        try:
            results[i] = commands[i]()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(commands))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_confirming_and_rejecting_the_same_record_at_once_lets_exactly_one_win(tmp_path: Path) -> None:
    first = sqlite_app(tmp_path)
    scene = a_scene(first)
    record_id = a_declared_record(scene, minutes=120)
    second = sqlite_app(tmp_path)
    barrier = threading.Barrier(2)
    hold_first_save(first, barrier)
    hold_first_save(second, barrier)

    results = race(
        lambda: first.confirm_record(scene.organizer_actor, record_id),
        lambda: second.reject_record(scene.organizer_actor, record_id, "no such activity"),
    )

    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(conflicts) == 1 and results.count(None) == 1, results
    confirmed = results[0] is None
    fresh = sqlite_app(tmp_path)
    record = fresh.get_record(record_id)
    account: TimeAccount = fresh.repository.get(TimeAccount.create_id(scene.volunteer_id))
    transfer: Transfer = fresh.repository.get(record.transfer_ids[0])
    assert record.status == (CONFIRMED if confirmed else REJECTED)
    assert transfer.status == ("posted" if confirmed else "voided")
    assert (account.available, account.pending_credits) == ((120 if confirmed else 0), 0)
    assert [type(e).__name__ for e in fresh.events.get(record_id)] == ["Recorded", "Confirmed" if confirmed else "Rejected"]


def test_two_volunteers_racing_for_the_last_place_cannot_both_get_it(tmp_path: Path) -> None:
    first = sqlite_app(tmp_path)
    scene = a_scene(first)
    shift = a_shift(first, scene.organizer_actor, scene.project_id, starts_in=timedelta(hours=5), capacity=1)
    rival = a_volunteer(first)
    second = sqlite_app(tmp_path)
    barrier = threading.Barrier(2)
    hold_first_save(first, barrier)
    hold_first_save(second, barrier)

    results = race(
        lambda: first.sign_up(scene.volunteer_actor, shift, scene.volunteer_id),
        lambda: second.sign_up(as_volunteer(rival), shift, rival.volunteer_id),
    )

    assert sum(isinstance(r, Conflict) for r in results) == 1 and results.count(None) == 1, results
    winner = scene.volunteer_id if results[0] is None else rival.volunteer_id
    fresh = sqlite_app(tmp_path)
    assert fresh.get_shift(shift).signed_up == [winner]


def test_two_registrations_of_the_same_person_at_once_make_one_account(tmp_path: Path) -> None:
    first, second = sqlite_app(tmp_path), sqlite_app(tmp_path)
    barrier = threading.Barrier(2)
    hold_first_save(first, barrier)
    hold_first_save(second, barrier)

    results = race(
        lambda: a_volunteer(first, id_number="110101199005170016"),
        lambda: a_volunteer(second, id_number="110101199005170016"),
    )

    winners = [r for r in results if isinstance(r, Registration)]
    assert len(winners) == 1 and sum(isinstance(r, Conflict) for r in results) == 1, results
    fresh = sqlite_app(tmp_path)  # keep a reference: a collected app closes its connections
    topics = [n.topic for n in fresh.recorder.select_notifications(1, 100)]
    assert topics.count("timebank.domain.volunteer:Volunteer.Registered") == 1
    assert topics.count("timebank.domain.ledger:TimeAccount.Opened") == 1


def test_an_account_with_hundreds_of_events_loads_from_a_snapshot_with_the_right_balance() -> None:
    app = make_app()
    scene: Scene = a_scene(app)
    pending = [a_declared_record(scene, minutes=120) for _ in range(3)]  # open at snapshot time
    entries = [BatchEntry(scene.volunteer_id, scene.today(), 30, "社区清洁") for _ in range(210)]
    app.record_service_batch(scene.organizer_actor, scene.project_id, entries)
    account_id = TimeAccount.create_id(scene.volunteer_id)

    snapshots: list[Any] = list(app.snapshots.get(account_id)) if app.snapshots else []
    assert [s.originator_version for s in snapshots] == [200]
    assert len(snapshots[0].state["open_pending"]) == 3

    # Resolving the pending credits needs the open transfers restored from the snapshot.
    app.confirm_record(scene.organizer_actor, pending[0])
    app.confirm_record(scene.organizer_actor, pending[1])
    app.reject_record(scene.organizer_actor, pending[2], "duplicate")

    account = account_of(app, scene.volunteer)
    assert account.version == 1 + 3 + 210 + 3
    assert (account.available, account.pending_credits, account.open_pending) == (210 * 30 + 2 * 120, 0, {})
    replayed = None
    event: Any
    for event in app.events.get(account_id):
        replayed = event.mutate(replayed)
    assert replayed is not None and replayed.__dict__ == account.__dict__

