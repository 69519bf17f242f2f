"""Settings read from the environment: each default written once, every variable, bad values refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from timebank.settings import Settings

# Every variable, a text for it, the field it sets and the value read (README's configuration table).
VARIABLES = [
    ("TIMEBANK_DATABASE_URL", "postgresql://u@db/tb", "database_url", "postgresql://u@db/tb"),
    ("TIMEBANK_DATA_DIR", "/srv/timebank", "data_dir", Path("/srv/timebank")),
    ("TIMEBANK_DATABASE_SCHEMA", "tb", "database_schema", "tb"),
    ("TIMEBANK_SECRET_KEY", "s" * 64, "secret_key", "s" * 64),
    ("TIMEBANK_RULES_FILE", "rules.json", "rules_file", Path("rules.json")),
    ("TIMEBANK_CALENDAR", "weekdays", "calendar", "weekdays"),
    ("TIMEBANK_READ_WAIT_SECONDS", "1.5", "read_wait_seconds", 1.5),
    ("TIMEBANK_POLL_INTERVAL_SECONDS", "2", "poll_interval_seconds", 2.0),
    ("TIMEBANK_CLOCK_RETRY_SECONDS", "0.5", "clock_retry_seconds", 0.5),
    ("TIMEBANK_IDEMPOTENCY_LEASE_SECONDS", "4", "idempotency_lease_seconds", 4.0),
    ("TIMEBANK_READY_MAX_LAG", "50", "ready_max_lag", 50),
    ("TIMEBANK_EVENT_CIPHER_KEY", "Y2lwaGVy", "event_cipher_key", "Y2lwaGVy"),
    ("TIMEBANK_MASTER_KEYS", "m1:a2V5", "master_keys", "m1:a2V5"),
    ("TIMEBANK_RATE_LIMIT", "3/second", "rate_limit", "3/second"),
    ("TIMEBANK_LOGIN_RATE_LIMIT", "5/hour", "login_rate_limit", "5/hour"),
    ("TIMEBANK_RATE_LIMIT_STORAGE", "redis://cache:6379", "rate_limit_storage", "redis://cache:6379"),
    ("TIMEBANK_OIDC_ISSUER", "https://id.example", "oidc_issuer", "https://id.example"),
    ("TIMEBANK_OIDC_AUDIENCE", "timebank", "oidc_audience", "timebank"),
    ("TIMEBANK_OIDC_JWKS", "jwks.json", "oidc_jwks", "jwks.json"),
    ("TIMEBANK_OIDC_VOLUNTEER_CLAIM", "sub", "oidc_volunteer_claim", "sub"),
    ("TIMEBANK_AUDIT_SIGNING_KEY", "c2VlZA==", "audit_signing_key", "c2VlZA=="),
]


def test_without_variables_every_setting_is_its_default() -> None:
    settings = Settings.from_env({"PATH": "/usr/bin", "TIMEBANK_UNKNOWN": "x"})  # others are ignored
    assert settings == Settings()
    assert (settings.database_url, settings.data_dir, settings.calendar) == (None, Path("var"), "china")
    assert (settings.rate_limit, settings.login_rate_limit, settings.rate_limit_storage) == ("600/minute", "20/minute", "memory://")
    assert (settings.read_wait_seconds, settings.poll_interval_seconds) == (5.0, 0.02)
    assert (settings.secret_key, settings.rules_file, settings.oidc_volunteer_claim) == ("", None, "volunteer_number")


@pytest.mark.parametrize(("variable", "text", "name", "value"), VARIABLES, ids=[v[0] for v in VARIABLES])
def test_each_variable_sets_its_own_field_and_no_other(variable: str, text: str, name: str, value: object) -> None:
    assert Settings.from_env({variable: text}) == dataclasses.replace(Settings(), **{name: value})


def test_every_setting_but_the_library_environment_has_a_variable() -> None:
    assert {f.name for f in dataclasses.fields(Settings)} - {name for _, _, name, _ in VARIABLES} == {"extra_env"}


def test_a_blank_optional_variable_counts_as_unset() -> None:
    blank = Settings.from_env({"TIMEBANK_DATABASE_URL": "", "TIMEBANK_DATABASE_SCHEMA": "", "TIMEBANK_RULES_FILE": ""})
    assert (blank.database_url, blank.database_schema, blank.rules_file) == (None, None, None)


def test_the_process_environment_is_read_and_arguments_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEBANK_RATE_LIMIT", "3/second")
    monkeypatch.setenv("TIMEBANK_CALENDAR", "lunar")
    settings = Settings.from_env(calendar="weekdays")
    assert (settings.rate_limit, settings.calendar) == ("3/second", "weekdays")


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
    with pytest.raises(ValueError, match="could not convert string to float: 'soon'"):
        Settings.from_env({"TIMEBANK_READ_WAIT_SECONDS": "soon"})
    with pytest.raises(ValueError, match="could not convert string to float: ''"):
        Settings.from_env({"TIMEBANK_POLL_INTERVAL_SECONDS": ""})
    with pytest.raises(ValueError, match="CALENDAR"):
        Settings.from_env({}, calendar="lunar")  # arguments are checked like variables


def test_the_sqlite_secret_key_is_made_once_and_kept(tmp_path: Path) -> None:
    settings = Settings.from_env({"TIMEBANK_DATA_DIR": str(tmp_path)})
    first = settings.resolved_secret_key()
    assert len(first) == 64 and settings.resolved_secret_key() == first
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
