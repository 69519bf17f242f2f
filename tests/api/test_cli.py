"""The command line: every command documented in --help, and `timebank records import`."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from api.cli import main
from tests.api.conftest import Walk
from tests.api.test_cli_reconcile import cli_env
from timebank.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found: list[tuple[tuple[str, ...], click.Command]] = []
    for name, command in sorted(group.commands.items()):
        found.append(((*prefix, name), command))
        if isinstance(command, click.Group):
            found += commands(command, (*prefix, name))
    return found


def test_timebank_help_lists_every_command_with_a_summary() -> None:
    result = subprocess.run([sys.executable, "-m", "api.cli", "--help"], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert result.returncode == 0, result.stderr
    for name, command in main.commands.items():
        assert name in result.stdout
        assert command.get_short_help_str().strip(), name


@pytest.mark.parametrize("path", [path for path, _ in commands(main)], ids=" ".join)
def test_every_command_and_group_has_help_and_every_option_is_described(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    command = dict(commands(main))[path]
    assert (command.help or "").strip(), f"{' '.join(path)} has no docstring"
    undocumented = [p.name for p in command.params if isinstance(p, click.Option) and not p.help]
    assert undocumented == [], f"{' '.join(path)}: options without help {undocumented}"


def test_serve_says_it_blocks_and_where_the_demo_tokens_are_kept() -> None:
    text = CliRunner().invoke(main, ["serve", "--help"]).output
    assert "blocks until Ctrl-C" in text and "demo-tokens.json" in text


# records import ------------------------------------------------------------------------------
def last_weekday() -> date:
    """The CLI runs on the real clock: the most recent working day (weekdays calendar) before today."""
    day = date.today() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def test_records_import_writes_every_row_or_lists_every_refused_one(walk: Walk, settings: Settings, tmp_path: Path) -> None:
    people = [walk.volunteer(), walk.volunteer()]
    good = tmp_path / "good.csv"
    good.write_text("volunteer_number,service_date,service_minutes,content\n" + "".join(
        f"{p.volunteer_number},{last_weekday()},{60 + i},整理图书\n" for i, p in enumerate(people)), encoding="utf-8-sig")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"volunteer_number,service_date,service_minutes,content\n{people[0].volunteer_number},{last_weekday()},0,x\n"
                   f"BJ0000000000,{last_weekday()},30,x\n", encoding="utf-8")
    args = ["records", "import", "--project", walk.project_id, "--as", walk.organizer.volunteer_number]
    env = cli_env(settings)

    before = walk.event_count()
    refused = CliRunner().invoke(main, [*args, str(bad)], env=env)
    assert refused.exit_code == 1
    assert "line 2: service_minutes" in refused.output and "line 3: volunteer_number" in refused.output
    assert "nothing was imported" in refused.output
    assert walk.event_count() == before

    imported = CliRunner().invoke(main, [*args, str(good)], env=env)
    assert imported.exit_code == 0, imported.output
    assert "imported 2 records from 2 rows" in imported.output
    walk.api.position = walk.event_count()
    assert [walk.account(p)["balance"] for p in people] == [60, 61]

    stranger = CliRunner().invoke(main, ["records", "import", "--project", walk.project_id, "--as", people[0].volunteer_number, str(good)], env=env)
    assert stranger.exit_code == 1 and "organizer" in stranger.output.lower()
