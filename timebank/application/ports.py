"""What the application needs from outside and names here, so that it stays free of libraries:
sealing personal data, hashing passwords, signing access tokens. The adapters (AES-GCM,
argon2, JWT) are in `adapters/`; the composition root passes them in."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any, Protocol
from uuid import UUID


class Vault(Protocol):
    """Seals personal data under a key per subject; erasing destroys the key."""

    def seal(self, subject_id: UUID, data: Mapping[str, Any]) -> str: ...

    def open(self, subject_id: UUID, sealed: Any) -> dict[str, Any] | None: ...

    def erase(self, subject_id: UUID) -> bool: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches; False otherwise (never raises for a wrong password)."""


class TokenSigner(Protocol):
    def sign(self, claims: Mapping[str, Any]) -> str: ...

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this service signed (signature, issuer, audience checked; the
        expiry is left to the application's clock), or None."""


def keyed_hash(secret: bytes, *parts: str) -> str:
    """HMAC-SHA256 of normalized parts: finds a person by phone or ID number without storing either."""
    return hmac.new(secret, ":".join(parts).encode("utf-8"), hashlib.sha256).hexdigest()
