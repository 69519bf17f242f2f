"""Settings read from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from timebank.settings import Settings


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
