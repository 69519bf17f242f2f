"""Keys: derivation from the service's secret, master keys from the settings, and the stores of
the wrapped per-person data keys (in memory for tests, a SQL table for a service)."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Column, DateTime, Engine, LargeBinary, MetaData, String, Table, Uuid, delete, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from timebank.clock import utcnow


def derive_key(secret: str, purpose: str) -> bytes:
    """A 256-bit key for one purpose, derived from the service's secret key (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"timebank", info=purpose.encode()).derive(secret.encode())


def derived_master_keys(secret: str) -> dict[str, bytes]:
    """The master key used when TIMEBANK_MASTER_KEYS is not set: `s1`, derived from the secret key."""
    return {"s1": derive_key(secret, "master-key/s1")}


def parse_master_keys(spec: str) -> dict[str, bytes]:
    """`id1:base64key,id2:base64key` (the first is current) -> {id: key}; keys are 32 bytes."""
    keys: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key_id, sep, encoded = item.partition(":")
        if not sep or not key_id:
            raise ValueError("TIMEBANK_MASTER_KEYS must be 'id:base64key[,id:base64key...]'")
        key = base64.b64decode(encoded)
        if len(key) != 32:
            raise ValueError(f"master key {key_id!r} must be 32 bytes (base64 of 32 random bytes)")
        keys[key_id] = key
    if not keys:
        raise ValueError("TIMEBANK_MASTER_KEYS is empty")
    return keys


@dataclass(frozen=True)
class WrappedKey:
    subject_id: UUID
    master_key_id: str
    wrapped: bytes


class KeyStore(Protocol):
    def add(self, key: WrappedKey) -> bool:
        """Store a new wrapped key; False if the subject already has one."""

    def get_many(self, subject_ids: Iterable[UUID]) -> dict[UUID, WrappedKey]: ...

    def replace(self, key: WrappedKey) -> None: ...

    def destroy(self, subject_id: UUID) -> bool: ...

    def all_keys(self) -> Iterable[WrappedKey]: ...


class MemoryKeyStore:
    """For tests and library use; a service must use `SqlKeyStore` (keys must outlive the process)."""

    def __init__(self) -> None:
        self._keys: dict[UUID, WrappedKey] = {}
        self._lock = threading.Lock()

    def add(self, key: WrappedKey) -> bool:
        with self._lock:
            if key.subject_id in self._keys:
                return False
            self._keys[key.subject_id] = key
            return True

    def get_many(self, subject_ids: Iterable[UUID]) -> dict[UUID, WrappedKey]:
        return {s: self._keys[s] for s in subject_ids if s in self._keys}

    def replace(self, key: WrappedKey) -> None:
        self._keys[key.subject_id] = key

    def destroy(self, subject_id: UUID) -> bool:
        with self._lock:
            return self._keys.pop(subject_id, None) is not None

    def all_keys(self) -> Iterable[WrappedKey]:
        return list(self._keys.values())


key_metadata = MetaData()
personal_data_keys = Table(
    "personal_data_keys",
    key_metadata,
    Column("subject_id", Uuid, primary_key=True),
    Column("master_key_id", String(64), nullable=False),
    Column("wrapped", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class SqlKeyStore:
    """Wrapped data keys in a table of their own, outside the event log and the rebuildable views.

    On SQLite give it a file of its own with a rollback journal, not WAL (`make_engine(...,
    journal="DELETE")`); `secure_delete` then overwrites a destroyed key in the file instead of
    leaving it in a free page.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        if engine.dialect.name == "sqlite":
            @event.listens_for(engine, "connect")
            def _secure_delete(dbapi_conn: Any, _record: Any) -> None:
                cursor = dbapi_conn.cursor()
                cursor.execute("PRAGMA secure_delete=ON")
                cursor.close()

    def create_table(self) -> None:
        key_metadata.create_all(self.engine)

    def add(self, key: WrappedKey) -> bool:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(personal_data_keys).values(
                    subject_id=key.subject_id, master_key_id=key.master_key_id, wrapped=key.wrapped, created_at=utcnow(),
                ))
        except IntegrityError:
            return False
        return True

    def get_many(self, subject_ids: Iterable[UUID]) -> dict[UUID, WrappedKey]:
        wanted = list(dict.fromkeys(subject_ids))
        found: dict[UUID, WrappedKey] = {}
        t = personal_data_keys.c
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                rows = conn.execute(select(t.subject_id, t.master_key_id, t.wrapped).where(t.subject_id.in_(wanted[start : start + 500])))
                found.update({r.subject_id: WrappedKey(r.subject_id, r.master_key_id, bytes(r.wrapped)) for r in rows})
        return found

    def replace(self, key: WrappedKey) -> None:
        t = personal_data_keys.c
        with self.engine.begin() as conn:
            conn.execute(update(personal_data_keys).where(t.subject_id == key.subject_id).values(
                master_key_id=key.master_key_id, wrapped=key.wrapped,
            ))

    def destroy(self, subject_id: UUID) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(delete(personal_data_keys).where(personal_data_keys.c.subject_id == subject_id))
        return bool(result.rowcount)

    def all_keys(self) -> Iterable[WrappedKey]:
        t = personal_data_keys.c
        with self.engine.connect() as conn:
            for r in conn.execute(select(t.subject_id, t.master_key_id, t.wrapped).order_by(t.subject_id)).all():
                yield WrappedKey(r.subject_id, r.master_key_id, bytes(r.wrapped))
