"""What the composition root wires together and the views use: the TimeBank and the read models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Connection, Engine

from api.crypto import AesGcmVault, SqlKeyStore
from projections.runner import Projector
from timebank.application import TimeBank
from timebank.settings import Settings


@dataclass
class Services:
    settings: Settings
    timebank: TimeBank
    engine: Engine
    projector: Projector

    @contextmanager
    def read(self, min_position: int | None = None) -> Iterator[Connection]:
        """A read-model connection; with `min_position`, only once the views have reached it."""
        if min_position:
            self.projector.wait_for(min_position, self.settings.read_wait_seconds)
        with self.engine.connect() as conn:
            yield conn

    def close(self) -> None:
        self.projector.stop()
        self.timebank.close()
        self.engine.dispose()
        vault = self.timebank.vault
        keys = vault.store if isinstance(vault, AesGcmVault) else None
        if isinstance(keys, SqlKeyStore) and keys.engine is not self.engine:
            keys.engine.dispose()


def services() -> Services:
    found: Services = current_app.extensions["timebank"]
    return found


