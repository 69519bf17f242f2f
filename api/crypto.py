"""Adapters for the application's security ports: personal data under a key per person
(crypto-shredding), argon2 password hashes, and signed access tokens (JWT).

Names, identity numbers, phones and birth dates are sealed with AES-GCM under a data key of the
volunteer's own before they reach any event, snapshot or view. Data keys are kept in a key store
outside the event log, each wrapped (AES-GCM again) by a master key from the settings. Destroying
a volunteer's data key erases their personal data everywhere at once, including in the immutable
events: what is left is ciphertext nobody can open.

Master keys rotate: the first configured key wraps new data keys; `rewrap_all` moves every data key
to it, after which older master keys can be removed from the configuration.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Column, DateTime, Engine, LargeBinary, MetaData, String, Table, Uuid, delete, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from timebank.clock import utcnow

SEALED_PREFIX = "pd1:"
NONCE_BYTES = 12


def derive_key(secret: str, purpose: str) -> bytes:
    """A 256-bit key for one purpose, derived from the service's secret key (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"timebank", info=purpose.encode()).derive(secret.encode())


def _aad(subject_id: UUID, purpose: bytes) -> bytes:
    return b"timebank:" + purpose + b":" + subject_id.bytes


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


class AesGcmVault:
    """Seals and opens personal data with per-subject data keys; erases by destroying the key."""

    def __init__(self, store: KeyStore | None = None, master_keys: Mapping[str, bytes] | None = None) -> None:
        self.store: KeyStore = store or MemoryKeyStore()
        self.master_keys = dict(master_keys or {"dev": os.urandom(32)})
        self.current_master_key_id = next(iter(self.master_keys))

    # Data keys -------------------------------------------------------------------
    def _wrap(self, subject_id: UUID, data_key: bytes) -> WrappedKey:
        nonce = os.urandom(NONCE_BYTES)
        kek = AESGCM(self.master_keys[self.current_master_key_id])
        return WrappedKey(subject_id, self.current_master_key_id, nonce + kek.encrypt(nonce, data_key, _aad(subject_id, b"key")))

    def _unwrap(self, key: WrappedKey) -> bytes:
        master = self.master_keys.get(key.master_key_id)
        if master is None:
            raise LookupError(f"master key {key.master_key_id!r} is not configured (TIMEBANK_MASTER_KEYS)")
        nonce, body = key.wrapped[:NONCE_BYTES], key.wrapped[NONCE_BYTES:]
        return AESGCM(master).decrypt(nonce, body, _aad(key.subject_id, b"key"))

    def _data_key(self, subject_id: UUID) -> bytes:
        found = self.store.get_many([subject_id]).get(subject_id)
        if found is None:
            fresh = self._wrap(subject_id, AESGCM.generate_key(bit_length=256))
            if self.store.add(fresh):
                return self._unwrap(fresh)
            found = self.store.get_many([subject_id])[subject_id]  # another process made it first
        return self._unwrap(found)

    # Sealing -----------------------------------------------------------------------
    def seal(self, subject_id: UUID, data: Mapping[str, Any]) -> str:
        """Encrypt a JSON-able mapping under the subject's data key (made on first use)."""
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
        sealed = AESGCM(self._data_key(subject_id)).encrypt(nonce, plain, _aad(subject_id, b"data"))
        return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, subject_id: UUID, sealed: Any) -> dict[str, Any] | None:
        """The subject's data, or None once their key is destroyed (erased) or if it was altered."""
        if not isinstance(sealed, str) or not sealed.startswith(SEALED_PREFIX):
            return None
        key = self.store.get_many([subject_id]).get(subject_id)
        if key is None:
            return None
        raw = base64.urlsafe_b64decode(sealed[len(SEALED_PREFIX):])
        try:
            plain = AESGCM(self._unwrap(key)).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(subject_id, b"data"))
        except InvalidTag:
            return None  # sealed for another subject, or altered: never shown
        result: dict[str, Any] = json.loads(plain)
        return result

    def erase(self, subject_id: UUID) -> bool:
        """Destroy the subject's data key: everything sealed under it becomes unreadable."""
        return self.store.destroy(subject_id)

    def rewrap_all(self) -> int:
        """Re-wrap every data key under the current master key; returns how many moved."""
        moved = 0
        for key in list(self.store.all_keys()):
            if key.master_key_id != self.current_master_key_id:
                self.store.replace(self._wrap(key.subject_id, self._unwrap(key)))
                moved += 1
        return moved



class Argon2Passwords:
    """argon2id with the library's defaults (RFC 9106's second recommended option)."""

    def __init__(self) -> None:
        self._hasher = PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


class JwtSigner:
    """HS256 access tokens with this service as issuer and audience."""

    issuer = "timebank"
    audience = "timebank-api"

    def __init__(self, key: bytes) -> None:
        self._key = key

    def sign(self, claims: Mapping[str, Any]) -> str:
        return jwt.encode({**claims, "iss": self.issuer, "aud": self.audience}, self._key, algorithm="HS256")

    def verify(self, token: str) -> dict[str, Any] | None:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._key, algorithms=["HS256"], audience=self.audience, issuer=self.issuer,
                # The application checks the expiry against its own clock.
                options={"require": ["exp", "sub", "iat"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            return None
        return claims


def security_adapters(secret: str, *, keys: KeyStore | None = None, master_keys: Mapping[str, bytes] | None = None) -> dict[str, Any]:
    """The keyword arguments that give a TimeBank its vault, password hasher and token signer."""
    return {
        "identity_secret": secret,
        "vault": AesGcmVault(keys, master_keys or {"s1": derive_key(secret, "master-key/s1")}),
        "passwords": Argon2Passwords(),
        "tokens": JwtSigner(derive_key(secret, "access-tokens")),
    }
