"""An external OpenID Connect provider's tokens, accepted instead of (or beside) our own logins.

Configure `TIMEBANK_OIDC_ISSUER`, `TIMEBANK_OIDC_AUDIENCE` and `TIMEBANK_OIDC_JWKS` (a file path or
an https:// URL of the provider's JSON Web Key Set, read at start-up). A bearer JWT whose `iss` is
the configured issuer is verified with joserfc (authlib's JOSE library; `authlib.jose` is deprecated
in its favour) against those keys (signature, issuer, audience,
expiry) and mapped to a principal: the claim named by `TIMEBANK_OIDC_VOLUNTEER_CLAIM` (default
`volunteer_number`) names the volunteer; a `timebank_role` claim of `auditor` or `admin` makes the
token an auditor's or admin's, identified in events by a stable id derived from issuer and subject.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from timebank.domain.actors import Actor, Role
from timebank.domain.ids import natural_id
from timebank.settings import Settings

ALGORITHMS = ["RS256", "ES256", "PS256", "EdDSA"]
PRIVILEGED = {"auditor": Role.AUDITOR, "admin": Role.ADMIN}


class OidcVerifier:
    def __init__(self, issuer: str, audience: str, jwks: dict[str, Any], volunteer_claim: str = "volunteer_number") -> None:
        self.issuer, self.audience, self.volunteer_claim = issuer, audience, volunteer_claim
        self._keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]  # a TypedDict of the same shape

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcVerifier | None:
        if not settings.oidc_issuer:
            return None
        if not (settings.oidc_audience and settings.oidc_jwks):
            raise ValueError("TIMEBANK_OIDC_ISSUER needs TIMEBANK_OIDC_AUDIENCE and TIMEBANK_OIDC_JWKS")
        source = settings.oidc_jwks
        if source.startswith("https://"):
            with urllib.request.urlopen(source, timeout=10) as response:  # noqa: S310 - https only
                jwks = json.load(response)
        else:
            jwks = json.loads(Path(source).read_text(encoding="utf-8"))
        return cls(settings.oidc_issuer, settings.oidc_audience, jwks, settings.oidc_volunteer_claim)

    def is_ours(self, token: str) -> bool:
        """Whether the token names this provider as issuer (read without trusting it)."""
        parts = token.split(".")
        if len(parts) != 3:
            return False
        try:
            payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (ValueError, TypeError):
            return False
        return isinstance(payload, dict) and payload.get("iss") == self.issuer

    def claims(self, token: str, now: float) -> dict[str, Any] | None:
        try:
            decoded = jwt.decode(token, self._keys, algorithms=ALGORITHMS)
            jwt.JWTClaimsRegistry(
                now=int(now), leeway=30,
                iss={"essential": True, "value": self.issuer}, aud={"essential": True, "value": self.audience},
                exp={"essential": True}, sub={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, ValueError):
            return None
        return dict(decoded.claims)

    def actor(self, claims: dict[str, Any], volunteer_id_by_number: Any) -> Actor | None:
        role = PRIVILEGED.get(str(claims.get("timebank_role", "")))
        if role is not None:
            return Actor(role, natural_id("oidc", self.issuer, str(claims["sub"])))
        number = claims.get(self.volunteer_claim)
        volunteer_id = volunteer_id_by_number(str(number)) if number else None
        return Actor(Role.VOLUNTEER, volunteer_id) if volunteer_id else None
