"""The personal-data vault: names, identity numbers, phones and birth dates sealed with AES-GCM
under a data key of the person's own (crypto-shredding).

Data are sealed before they reach any event, snapshot or view. Data keys are kept in a key store
(adapters/keys.py) outside the event log, each wrapped (AES-GCM again) by a master key from the
settings. Destroying a volunteer's data key erases their personal data everywhere at once,
including in the immutable events: what is left is ciphertext nobody can open.

Master keys rotate: the first configured key wraps new data keys; `rewrap_all` moves every data key
to it, after which older master keys can be removed from the configuration.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.keys import KeyStore, MemoryKeyStore, WrappedKey

SEALED_PREFIX = "pd1:"
NONCE_BYTES = 12


def _aad(subject_id: UUID, purpose: bytes) -> bytes:
    return b"timebank:" + purpose + b":" + subject_id.bytes


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
