"""Settings, read once from the environment and passed down explicitly."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None  # postgresql://user:pass@host:port/db; None: SQLite files
    data_dir: Path = Path("var")
    database_schema: str | None = None  # PostgreSQL schema for events and read models
    secret_key: str = ""  # keys the identity hash; must stay the same for a deployment
    rules_file: Path | None = None
    calendar: str = "china"  # "china" (official working days with 调休) or "weekdays"
    read_wait_seconds: float = 5.0  # how long `?min_position=` waits before 503
    poll_interval_seconds: float = 0.02  # projector polling (PostgreSQL also wakes it on NOTIFY)
    extra_env: dict[str, str] = field(default_factory=dict)
    event_cipher_key: str = ""  # base64 AES key: every event body encrypted at rest (set at creation only)
    master_keys: str = ""  # "id:base64key,..." wrapping personal-data keys; first is current
    rate_limit: str = "600/minute"  # per access token (per IP without one)
    login_rate_limit: str = "20/minute"  # per IP, on the login, code and refresh routes
    rate_limit_storage: str = "memory://"  # a shared store (redis://...) when several processes serve
    oidc_issuer: str = ""  # an external OpenID Connect provider whose tokens are accepted
    oidc_audience: str = ""
    oidc_jwks: str = ""  # the provider's JWKS: a file path or an https:// URL
    oidc_volunteer_claim: str = "volunteer_number"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {
            "database_url": env.get("TIMEBANK_DATABASE_URL") or None,
            "data_dir": Path(env.get("TIMEBANK_DATA_DIR", "var")),
            "database_schema": env.get("TIMEBANK_DATABASE_SCHEMA") or None,
            "secret_key": env.get("TIMEBANK_SECRET_KEY", ""),
            "rules_file": Path(env["TIMEBANK_RULES_FILE"]) if env.get("TIMEBANK_RULES_FILE") else None,
            "calendar": env.get("TIMEBANK_CALENDAR", "china"),
            "read_wait_seconds": float(env.get("TIMEBANK_READ_WAIT_SECONDS", "5")),
            "poll_interval_seconds": float(env.get("TIMEBANK_POLL_INTERVAL_SECONDS", "0.02")),
            "master_keys": env.get("TIMEBANK_MASTER_KEYS", ""),
            "event_cipher_key": env.get("TIMEBANK_EVENT_CIPHER_KEY", ""),
            "rate_limit": env.get("TIMEBANK_RATE_LIMIT", "600/minute"),
            "login_rate_limit": env.get("TIMEBANK_LOGIN_RATE_LIMIT", "20/minute"),
            "rate_limit_storage": env.get("TIMEBANK_RATE_LIMIT_STORAGE", "memory://"),
            "oidc_issuer": env.get("TIMEBANK_OIDC_ISSUER", ""),
            "oidc_audience": env.get("TIMEBANK_OIDC_AUDIENCE", ""),
            "oidc_jwks": env.get("TIMEBANK_OIDC_JWKS", ""),
            "oidc_volunteer_claim": env.get("TIMEBANK_OIDC_VOLUNTEER_CLAIM", "volunteer_number"),
        }
        values.update(overrides)
        settings = cls(**values)  # type: ignore[arg-type]
        if settings.database_url and not settings.database_url.startswith(("postgresql://", "postgres://")):
            raise ValueError("TIMEBANK_DATABASE_URL must be a postgresql:// URL")
        if settings.calendar not in ("china", "weekdays"):
            raise ValueError("TIMEBANK_CALENDAR must be 'china' or 'weekdays'")
        return settings

    @property
    def uses_postgres(self) -> bool:
        return bool(self.database_url)

    def resolved_secret_key(self) -> str:
        """The configured key; on SQLite, one kept in the data directory is made on first use."""
        if self.secret_key:
            return self.secret_key
        if self.uses_postgres:
            raise ValueError("TIMEBANK_SECRET_KEY must be set when running on PostgreSQL")
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()

    def key_store_url(self) -> str:
        """Where data keys live: a SQLite file of their own, or the PostgreSQL database."""
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return f"sqlite:///{self.data_dir / 'keys.sqlite'}"
        return self.read_model_url()

    def event_store_env(self) -> dict[str, str]:
        """Environment for the eventsourcing library's persistence modules."""
        cipher = (
            {"CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher", "CIPHER_KEY": self.event_cipher_key}
            if self.event_cipher_key else {}
        )
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.data_dir / "events.sqlite"),
                "SQLITE_LOCK_TIMEOUT": "10",
                **cipher,
                **self.extra_env,
            }
        url = urlparse(self.database_url)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_MAX_OVERFLOW": "10",
        }
        if self.database_schema:
            env["POSTGRES_SCHEMA"] = self.database_schema
        env.update(cipher)
        env.update(self.extra_env)
        return env

    def read_model_url(self) -> str:
        """SQLAlchemy URL of the read models: the same PostgreSQL database, or a SQLite file."""
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return f"sqlite:///{self.data_dir / 'readmodels.sqlite'}"
        url = self.database_url.replace("postgres://", "postgresql://", 1)
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
