"""Settings, read once from the environment and passed down explicitly."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import unquote, urlparse


def _text_or_none(value: str) -> str | None:
    return value or None


def _path_or_none(value: str) -> Path | None:
    return Path(value) if value else None


def _env(name: str, parse: Callable[[str], object] = str) -> dict[str, object]:
    """Field metadata: the environment variable that sets the field, and how its text is read.
    A variable that is not set leaves the field's default; one set to "" is parsed like any text."""
    return {"env": name, "parse": parse}


@dataclass(frozen=True)
class Settings:
    # Every default is written here once; `from_env` reads each field's variable named in its metadata.
    # postgresql://user:pass@host:port/db; None: SQLite files
    database_url: str | None = field(default=None, metadata=_env("TIMEBANK_DATABASE_URL", _text_or_none))
    data_dir: Path = field(default=Path("var"), metadata=_env("TIMEBANK_DATA_DIR", Path))
    # PostgreSQL schema for events and read models
    database_schema: str | None = field(default=None, metadata=_env("TIMEBANK_DATABASE_SCHEMA", _text_or_none))
    # keys the identity hash; must stay the same for a deployment
    secret_key: str = field(default="", metadata=_env("TIMEBANK_SECRET_KEY"))
    rules_file: Path | None = field(default=None, metadata=_env("TIMEBANK_RULES_FILE", _path_or_none))
    # "china" (official working days with 调休) or "weekdays"
    calendar: str = field(default="china", metadata=_env("TIMEBANK_CALENDAR"))
    # how long `?min_position=` waits before 503
    read_wait_seconds: float = field(default=5.0, metadata=_env("TIMEBANK_READ_WAIT_SECONDS", float))
    # projector polling (PostgreSQL also wakes it on NOTIFY)
    poll_interval_seconds: float = field(default=0.02, metadata=_env("TIMEBANK_POLL_INTERVAL_SECONDS", float))
    # a request holding an Idempotency-Key longer than this is taken to have died with its process
    idempotency_lease_seconds: float = field(default=30.0, metadata=_env("TIMEBANK_IDEMPOTENCY_LEASE_SECONDS", float))
    # how often a standby clock (a second `timebank clock`, or `serve` beside one) tries to take over
    clock_retry_seconds: float = field(default=15.0, metadata=_env("TIMEBANK_CLOCK_RETRY_SECONDS", float))
    # /readyz answers 503 when a view is more than this many log positions behind the log's head
    ready_max_lag: int = field(default=1000, metadata=_env("TIMEBANK_READY_MAX_LAG", int))
    # for the eventsourcing library; no variable of its own
    extra_env: dict[str, str] = field(default_factory=dict)
    # base64 AES key: every event body encrypted at rest (set at creation only)
    event_cipher_key: str = field(default="", metadata=_env("TIMEBANK_EVENT_CIPHER_KEY"))
    # "id:base64key,..." wrapping personal-data keys; first is current
    master_keys: str = field(default="", metadata=_env("TIMEBANK_MASTER_KEYS"))
    # per access token (per IP without one)
    rate_limit: str = field(default="600/minute", metadata=_env("TIMEBANK_RATE_LIMIT"))
    # per IP, on the login, code and refresh routes
    login_rate_limit: str = field(default="20/minute", metadata=_env("TIMEBANK_LOGIN_RATE_LIMIT"))
    # a shared store (redis://...) when several processes serve
    rate_limit_storage: str = field(default="memory://", metadata=_env("TIMEBANK_RATE_LIMIT_STORAGE"))
    # an external OpenID Connect provider whose tokens are accepted
    oidc_issuer: str = field(default="", metadata=_env("TIMEBANK_OIDC_ISSUER"))
    oidc_audience: str = field(default="", metadata=_env("TIMEBANK_OIDC_AUDIENCE"))
    # the provider's JWKS: a file path or an https:// URL
    oidc_jwks: str = field(default="", metadata=_env("TIMEBANK_OIDC_JWKS"))
    oidc_volunteer_claim: str = field(default="volunteer_number", metadata=_env("TIMEBANK_OIDC_VOLUNTEER_CLAIM"))
    # base64 Ed25519 private key (32-byte seed) that signs audit checkpoints
    audit_signing_key: str = field(default="", metadata=_env("TIMEBANK_AUDIT_SIGNING_KEY"))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            f.name: f.metadata["parse"](env[f.metadata["env"]])
            for f in fields(cls) if "env" in f.metadata and f.metadata["env"] in env
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

    def resolved_audit_signing_seed(self) -> bytes:
        """The 32-byte Ed25519 seed that signs audit checkpoints: the configured one; on SQLite, one kept
        in the data directory (made on first use); on PostgreSQL without one, derived from the secret key."""
        if self.audit_signing_key:
            seed = base64.b64decode(self.audit_signing_key, validate=True)
            if len(seed) != 32:
                raise ValueError("TIMEBANK_AUDIT_SIGNING_KEY must be 32 bytes, base64")
            return seed
        if self.uses_postgres:
            return hmac.new(self.resolved_secret_key().encode(), b"audit-signing-key/1", hashlib.sha256).digest()
        path = self.data_dir / "audit-signing.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32), encoding="utf-8")
            path.chmod(0o600)
        return bytes.fromhex(path.read_text(encoding="utf-8").strip())

    def event_store_sql_url(self) -> str:
        """SQLAlchemy URL of the event store, for readers that use plain SQL (the audit sealer and verifier)."""
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return f"sqlite:///{self.data_dir / 'events.sqlite'}"
        return self.read_model_url()

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
            # How long one attempt waits for a pooled connection (eventsourcing's default: 30 s). The
            # recorder tries each call 10 times, so with the store down a request answers 503 after
            # about 12 s rather than 5 minutes; under load, 15 connections are not busy for a second.
            # No POSTGRES_PRE_PING: psycopg_pool's check backs off 1, 2, 4, 8 s between dead connections
            # (28 s once a restart had killed five); without it, a dead connection fails one attempt,
            # is dropped by the pool, and the recorder's retry takes the next.
            "POSTGRES_CONNECT_TIMEOUT": "1",
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
