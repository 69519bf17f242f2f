"""What the composition root wires together and the views use: the TimeBank and the read models."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg_pool
from flask import current_app
from sqlalchemy import Connection, Engine

from adapters.keys import SqlKeyStore
from adapters.oidc import OidcVerifier
from adapters.vault import AesGcmVault
from audit.log import AuditLog
from projections.runner import Projector
from timebank.application import TimeBank
from timebank.domain.errors import InvalidInput
from timebank.domain.volunteer import mask_phone
from timebank.settings import Settings

log = logging.getLogger(__name__)
RECONNECT_GIVE_UP_SECONDS = 2.0


@dataclass
class Services:
    settings: Settings
    timebank: TimeBank
    engine: Engine
    projector: Projector
    # Delivers one-time login codes. The default writes them to the log, for development only;
    # a deployment plugs in its SMS gateway here.
    code_sender: Callable[[str, str], None] = field(default=lambda phone, code: _log_code(phone, code))
    oidc: OidcVerifier | None = None  # an external OpenID Connect provider, when configured
    audit: AuditLog | None = None  # the sealed sequence, checkpoints and proofs (audit/)

    def send_code(self, phone: str, code: str) -> None:
        self.code_sender(phone, code)

    @contextmanager
    def read(self, min_position: int | None = None) -> Iterator[Connection]:
        """A read-model connection; with `min_position`, only once the views have reached it."""
        if min_position:
            # A position beyond the log's head came from no command: waiting cannot help, it is a bad value.
            head = self.timebank.recorder.max_notification_id() or 0
            if min_position > head:
                raise InvalidInput(
                    f"min_position {min_position} is beyond the event log (at {head}); pass a command's X-Event-Position",
                    field="min_position", head_position=head,
                )
            self.projector.wait_for(min_position, self.settings.read_wait_seconds)
        with self.engine.connect() as conn:
            yield conn

    def __post_init__(self) -> None:
        pool = getattr(getattr(self.timebank.recorder, "datastore", None), "pool", None)
        if isinstance(pool, psycopg_pool.ConnectionPool):
            # psycopg_pool retries a lost connection with backoff (1, 2, 4, 8 ... s) for 5 minutes, and
            # while it does, waiting requests start no new attempt: a PostgreSQL back after 14 s down
            # was used only 8 to 20 s later. Giving up after 2 s lets the next request that waits for
            # a connection start a fresh attempt at once (the pool grows again on demand).
            pool.reconnect_timeout = RECONNECT_GIVE_UP_SECONDS

    def close(self) -> None:
        self.projector.stop()
        self.timebank.close()
        self.engine.dispose()
        if self.audit is not None and self.audit.events is not self.engine:
            self.audit.events.dispose()
        vault = self.timebank.vault
        keys = vault.store if isinstance(vault, AesGcmVault) else None
        if isinstance(keys, SqlKeyStore) and keys.engine is not self.engine:
            keys.engine.dispose()


def _log_code(phone: str, code: str) -> None:
    log.warning("one-time login code %s for %s (development sender: plug in an SMS gateway)", code, mask_phone(phone))


def audit_log() -> AuditLog:
    found = services().audit
    assert found is not None, "build_services wires the audit log"
    return found


def services() -> Services:
    found: Services = current_app.extensions["timebank"]
    return found


