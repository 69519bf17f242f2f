"""`timebank places import FILE.csv`: institutes and stations from a CSV file, repeatable."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from api.cli import main
from api.services import Services
from tests.api.test_cli_reconcile import cli_env
from timebank.settings import Settings

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "places.sample.csv"


def test_the_sample_file_imports_and_a_second_import_adds_nothing(services: Services, settings: Settings) -> None:
    first = CliRunner().invoke(main, ["places", "import", str(SAMPLE)], env=cli_env(settings))
    assert first.exit_code == 0, first.output
    assert "7 new places registered from 4 rows" in first.output  # 3 streets and 4 communities
    again = CliRunner().invoke(main, ["places", "import", str(SAMPLE)], env=cli_env(settings))
    assert "0 new places" in again.output
    assert "幸福村社区" in services.timebank.places_of("朝阳区")["三里屯街道"]


def test_a_file_without_the_columns_is_refused(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("区,街道\n朝阳区,三里屯街道\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["places", "import", str(bad)], env=cli_env(settings))
    assert result.exit_code != 0 and "district,street,community" in result.output
