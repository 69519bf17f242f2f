"""The official working-day calendar adapter, and settings read from the environment."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from api.calendar import ChinaCalendar
from timebank.domain.errors import ServiceUnavailable
from timebank.domain.rules import add_working_days
from timebank.settings import Settings


def test_a_weekend_made_a_working_day_counts_and_a_holiday_does_not() -> None:
    calendar = ChinaCalendar()
    assert calendar.is_working_day(date(2025, 1, 26))  # a Sunday worked for the Spring Festival (调休)
    assert not calendar.is_working_day(date(2025, 10, 1))  # National Day, a Wednesday
    # From 2025-09-30 (Tue) the count skips the National Day week (10-01..10-08) and includes
    # Saturday 10-11, a working day by 调休.
    assert add_working_days(calendar, date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_working_days(calendar, date(2025, 9, 30), 3) == date(2025, 10, 11)


def test_a_year_the_calendar_does_not_know_fails_loudly() -> None:
    with pytest.raises(ServiceUnavailable, match="2100"):
        ChinaCalendar().is_working_day(date(2100, 1, 4))


def test_sqlite_is_the_default_and_postgres_is_chosen_by_url(tmp_path: Path) -> None:
    sqlite = Settings.from_env({"TIMEBANK_DATA_DIR": str(tmp_path)})
    assert not sqlite.uses_postgres
    assert sqlite.event_store_env()["SQLITE_DBNAME"] == str(tmp_path / "events.sqlite")
    assert sqlite.read_model_url() == f"sqlite:///{tmp_path / 'readmodels.sqlite'}"
    pg = Settings.from_env({"TIMEBANK_DATABASE_URL": "postgresql://u:p%40ss@db:5433/tb", "TIMEBANK_DATABASE_SCHEMA": "s1"})
    env = pg.event_store_env()
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DBNAME"]) == (
        "db", "5433", "u", "p@ss", "tb")
    assert env["POSTGRES_SCHEMA"] == "s1"
    assert pg.read_model_url().startswith("postgresql+psycopg://")


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="postgresql"):
        Settings.from_env({"TIMEBANK_DATABASE_URL": "mysql://x"})
    with pytest.raises(ValueError, match="CALENDAR"):
        Settings.from_env({"TIMEBANK_CALENDAR": "lunar"})
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings.from_env({"TIMEBANK_DATABASE_URL": "postgresql://x/y"}).resolved_secret_key()


def test_the_sqlite_secret_key_is_made_once_and_kept(tmp_path: Path) -> None:
    settings = Settings.from_env({"TIMEBANK_DATA_DIR": str(tmp_path)})
    first = settings.resolved_secret_key()
    assert len(first) == 64 and settings.resolved_secret_key() == first
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
