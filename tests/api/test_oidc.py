"""Tokens of an external OpenID Connect provider, verified against its published keys."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from api.app import build_services, create_app
from tests.api.conftest import ApiClient, expect, register
from tests.conftest import Clock
from timebank.settings import Settings

ISSUER, AUDIENCE = "https://idp.example.org", "timebank-api"


@pytest.fixture
def provider_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "idp-1"})


@pytest.fixture
def oidc_api(settings: Settings, clock: Clock, provider_key: RSAKey, tmp_path: Path) -> Any:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [provider_key.as_dict(private=False)]}), encoding="utf-8")
    configured = replace(settings, oidc_issuer=ISSUER, oidc_audience=AUDIENCE, oidc_jwks=str(jwks))
    services = build_services(configured, clock=clock)
    services.projector.start(0.01)
    try:
        yield ApiClient(create_app(configured, services=services).test_client())
    finally:
        services.close()


def token(key: RSAKey, clock: Clock, **claims: Any) -> str:
    now = int(clock().timestamp())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "iat": now, "exp": now + 300, **claims}
    return jwt.encode({"alg": "RS256", "kid": "idp-1"}, body, key)


def test_a_providers_token_acts_as_the_volunteer_it_names(oidc_api: ApiClient, provider_key: RSAKey, clock: Clock) -> None:
    person = register(oidc_api)
    good = token(provider_key, clock, volunteer_number=person.volunteer_number)
    assert expect(oidc_api.get(f"/api/volunteers/{person.id}", good), 200)["id"] == person.id
    other = register(oidc_api)
    expect(oidc_api.get(f"/api/volunteers/{other.id}", good), 404)


@pytest.mark.parametrize("bad", ["expired", "audience", "issuer_key", "unknown_volunteer"])
def test_a_bad_provider_token_is_refused(oidc_api: ApiClient, provider_key: RSAKey, clock: Clock, bad: str) -> None:
    person = register(oidc_api)
    claims: dict[str, Any] = {"volunteer_number": person.volunteer_number}
    key = provider_key
    if bad == "expired":
        claims["exp"] = int(clock().timestamp()) - 3600
    elif bad == "audience":
        claims["aud"] = "another-service"
    elif bad == "issuer_key":
        key = RSAKey.generate_key(2048, parameters={"kid": "idp-1"})  # right kid, wrong key: forged
    else:
        claims["volunteer_number"] = "BJ0000000000"
    expect(oidc_api.get(f"/api/volunteers/{person.id}", token(key, clock, **claims)), 401)


def test_a_provider_can_grant_the_auditor_role(oidc_api: ApiClient, provider_key: RSAKey, clock: Clock) -> None:
    auditor = token(provider_key, clock, timebank_role="auditor", sub="inspector-7")
    assert expect(oidc_api.get("/api/reconciliation", auditor), 200)["balanced"] is True
    plain = token(provider_key, clock, sub="nobody")
    expect(oidc_api.get("/api/reconciliation", plain), 401)
