"""This service's access tokens: compact JWS (JWT) signed with HS256, by joserfc."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

ALGORITHM = "HS256"


class JwtSigner:
    """HS256 access tokens with this service as issuer and audience."""

    issuer = "timebank"
    audience = "timebank-api"

    def __init__(self, key: bytes) -> None:
        self._key = OctKey.import_key(key)
        # Signature, issuer, audience and the presence of subject, issue and expiry times. Not the
        # expiry itself: the application checks it against its own clock (the registry of
        # `jwt.JWTClaimsRegistry` would read the wall clock).
        self._required = jwt.BaseClaimsRegistry(
            iss={"essential": True, "value": self.issuer}, aud={"essential": True, "value": self.audience},
            sub={"essential": True}, iat={"essential": True}, exp={"essential": True},
        )

    def sign(self, claims: Mapping[str, Any]) -> str:
        return jwt.encode({"alg": ALGORITHM}, {**claims, "iss": self.issuer, "aud": self.audience}, self._key, algorithms=[ALGORITHM])

    def verify(self, token: str) -> dict[str, Any] | None:
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
            self._required.validate(decoded.claims)
        except (JoseError, ValueError):
            return None
        return dict(decoded.claims)
