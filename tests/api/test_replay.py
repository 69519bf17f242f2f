"""Replay: every view rebuilt from the log into fresh tables equals the live one, row by row; a view as of a log position."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from click.testing import CliRunner
from sqlalchemy import text

from api.cli import main as cli
from api.services import Services
from projections import replay
from tests.api.conftest import ApiClient, Walk, event_count, expect
from tests.api.test_audit_log import _env
from timebank.settings import Settings


def history(api: ApiClient, walk: Walk) -> None:
    """Records confirmed, rejected and corrected, credits moved between members."""
    first, second = walk.volunteer(), walk.volunteer()
    expect(walk.confirm(walk.declared(first, minutes=120)), 200)
    rejected = walk.declared(second, minutes=30)
    expect(api.post(f"/api/service-records/{rejected}/reject", {"reason": "未到场"}, walk.organizer.token), 200)
    corrected = walk.declared(second, minutes=90)
    expect(walk.confirm(corrected), 200)
    expect(api.post(f"/api/service-records/{corrected}/corrections", {"service_minutes": 60, "reason": "记错"}, walk.organizer.token), 201)
    account = walk.account(first)["id"]
    payee = walk.account(second)["id"]
    body = {"debit_account_id": account, "credit_account_id": payee, "minutes": 30, "kind": "exchange"}
    expect(api.post("/api/transfers", body, first.token), 201)


def run_replay(services: Services, settings: Settings, names: tuple[str, ...] = (), stop: int | None = None) -> tuple[replay.ReplayReport, Any]:
    services.projector.catch_up()
    app = services.timebank
    with replay.fresh_database(services.engine, settings.data_dir) as target:
        report = replay.replay(app.recorder, app.mapper, services.engine, target, names, stop=stop, compare=stop is None)
        rows = {t.name: list(replay.pages(target, t)) for p in replay.select_projections(names) for t in p.tables}
    return report, rows


def test_a_replay_of_the_whole_log_reproduces_every_view(api: ApiClient, walk: Walk, services: Services, settings: Settings) -> None:
    history(api, walk)

    report, _ = run_replay(services, settings)

    assert report.identical, report.differences
    assert report.position == event_count(services)
    assert report.rows["service_records"] == 3 and report.rows["statement_entries"] > 0 and report.rows["accounts"] > 0


def test_a_live_row_that_drifted_from_the_log_is_reported(api: ApiClient, walk: Walk, services: Services, settings: Settings) -> None:
    history(api, walk)
    services.projector.stop()
    with services.engine.begin() as conn:
        conn.execute(text("UPDATE service_records SET service_minutes = service_minutes + 1 WHERE status = 'confirmed'"))

    report, _ = run_replay(services, settings, ("service_records",))

    assert not report.identical
    assert {d.table for d in report.differences} == {"service_records"} and len(report.differences) == 2
    assert all(d.live and d.replayed and d.live["service_minutes"] == d.replayed["service_minutes"] + 1 for d in report.differences)


def test_service_records_as_of_a_log_position(api: ApiClient, walk: Walk, services: Services, settings: Settings) -> None:
    person = walk.volunteer()
    record_id = walk.declared(person, minutes=45)
    pending_at = event_count(services)
    expect(walk.confirm(record_id), 200)

    _, before = run_replay(services, settings, ("service_records",), stop=pending_at)
    _, after = run_replay(services, settings, ("service_records",), stop=event_count(services))

    assert [(str(r["id"]), r["status"]) for r in before["service_records"]] == [(record_id, "pending")]
    assert [(str(r["id"]), r["status"]) for r in after["service_records"]] == [(record_id, "confirmed")]


def test_the_replay_command_exits_0_when_identical_and_names_a_bad_view(api: ApiClient, walk: Walk, services: Services, settings: Settings) -> None:
    history(api, walk)
    services.projector.catch_up()
    runner = CliRunner()

    ok = runner.invoke(cli, ["audit", "replay"], env=_env(settings))
    bad = runner.invoke(cli, ["audit", "replay", "--view", "nonsense"], env=_env(settings))
    as_of = runner.invoke(cli, ["audit", "as-of", "3", "--view", "directory"], env=_env(settings))

    assert ok.exit_code == 0 and "identical" in ok.output, ok.output
    assert bad.exit_code == 2 and "--view" in bad.output
    assert as_of.exit_code == 0, as_of.output
    assert all(json.loads(line)["table"] for line in as_of.output.splitlines())


def test_service_records_as_of_a_moment(api: ApiClient, walk: Walk, services: Services, settings: Settings) -> None:
    """`--at` rebuilds up to the last event stored by then (events are stamped as they are stored)."""
    before_all = datetime.now(timezone.utc)
    time.sleep(0.01)
    person = walk.volunteer()
    record_id = walk.declared(person, minutes=45)
    time.sleep(0.01)
    between = datetime.now(timezone.utc)
    time.sleep(0.01)
    expect(walk.confirm(record_id), 200)
    runner = CliRunner()

    def statuses(*args: str) -> list[str]:
        result = runner.invoke(cli, ["audit", "as-of", *args, "--view", "service_records"], env=_env(settings))
        assert result.exit_code == 0, result.output
        return [row["status"] for row in map(json.loads, result.output.splitlines()) if row["table"] == "service_records"]

    assert statuses("--at", before_all.isoformat()) == []
    assert statuses("--at", between.astimezone(timezone(timedelta(hours=8))).isoformat()) == ["pending"]
    assert statuses("--at", datetime.now(timezone.utc).isoformat()) == ["confirmed"]
    for bad in (["3", "--at", between.isoformat()], [], ["--at", "2026-11-20T18:00:00"], ["--at", "yesterday"]):
        refused = runner.invoke(cli, ["audit", "as-of", *bad, "--view", "service_records"], env=_env(settings))
        assert refused.exit_code == 2, refused.output
