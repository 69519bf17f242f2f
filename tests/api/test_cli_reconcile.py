"""`timebank reconcile`: the auditor's command line check that hours and credits agree."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from sqlalchemy import update

from api.cli import main
from api.services import Services
from projections.balances import accounts
from tests.builders import a_declared_record, a_scene
from timebank.domain.ledger import TimeAccount
from timebank.settings import Settings


def cli_env(settings: Settings) -> dict[str, str]:
    env = {"TIMEBANK_DATA_DIR": str(settings.data_dir), "TIMEBANK_SECRET_KEY": settings.secret_key, "TIMEBANK_CALENDAR": "weekdays"}
    if settings.database_url:
        env["TIMEBANK_DATABASE_URL"] = settings.database_url
    if settings.database_schema:
        env["TIMEBANK_DATABASE_SCHEMA"] = settings.database_schema
    return env


def test_a_consistent_ledger_reconciles_and_exits_0(services: Services, settings: Settings, clock: Any) -> None:
    scene = a_scene(services.timebank)
    a_declared_record(scene, minutes=90, confirm=True)
    result = CliRunner().invoke(main, ["reconcile"], env=cli_env(settings))
    assert result.exit_code == 0, result.output
    assert "expected credits: 90; issued: 90" in result.output
    assert result.output.strip().endswith("balanced")


def test_a_view_that_no_longer_sums_to_zero_is_reported_and_exits_1(services: Services, settings: Settings) -> None:
    scene = a_scene(services.timebank)
    a_declared_record(scene, minutes=60, confirm=True)
    services.projector.catch_up()
    with services.engine.begin() as conn:  # someone altered a balance behind the ledger's back
        conn.execute(update(accounts).where(accounts.c.id == TimeAccount.create_id(scene.volunteer.volunteer_id)).values(posted_credits=999))
    result = CliRunner().invoke(main, ["reconcile", "--json"], env=cli_env(settings))
    assert result.exit_code == 1
    assert '"balances_sum": 939' in result.output and '"balanced": false' in result.output
