"""The security adapters a TimeBank is given, made from the service's secret key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.keys import KeyStore, derive_key, derived_master_keys
from adapters.passwords import Argon2Passwords
from adapters.tokens import JwtSigner
from adapters.vault import AesGcmVault


def security_adapters(secret: str, *, keys: KeyStore | None = None, master_keys: Mapping[str, bytes] | None = None) -> dict[str, Any]:
    """The keyword arguments that give a TimeBank its vault, password hasher and token signer."""
    return {
        "identity_secret": secret,
        "vault": AesGcmVault(keys, master_keys or derived_master_keys(secret)),
        "passwords": Argon2Passwords(),
        "tokens": JwtSigner(derive_key(secret, "access-tokens")),
    }
