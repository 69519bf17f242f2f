"""Access tokens: HS256 compact JWS signed and verified by joserfc; the application applies the expiry."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from adapters.keys import derive_key
from adapters.security import security_adapters
from adapters.tokens import JwtSigner
from tests.builders import FixedClock, a_volunteer, as_volunteer, make_app
from timebank.application.security import ACCESS_TOKEN_LIFETIME

KEY = bytes.fromhex("785fd87f3473035bdc738dba02a6d0f7a5551266c409f87c71d112a9bc67735c")
CLAIMS = {"sub": "0b6c1c2e-7d1c-4a53-9f0e-6a1d8c1b2f10", "role": "volunteer", "sid": "5f1f0d0a-3b8e-4f55-8f9e-2a9a6f0c1d11",
          "jti": "a" * 32, "iat": 1795000000, "exp": 1795000900}
# Signed with KEY and these claims by the signer this one replaced (PyJWT 2.15).
ISSUED_BY_PYJWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwYjZjMWMyZS03ZDFjLTRhNTMtOWYwZS02YTFkOGMxYjJmMTAiLCJyb2xlIjoidm9sdW50ZWVyIiwi"
    "c2lkIjoiNWYxZjBkMGEtM2I4ZS00ZjU1LThmOWUtMmE5YTZmMGMxZDExIiwianRpIjoiYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWEiLCJpYXQiOjE3OTUw"
    "MDAwMDAsImV4cCI6MTc5NTAwMDkwMCwiaXNzIjoidGltZWJhbmsiLCJhdWQiOiJ0aW1lYmFuay1hcGkifQ.MlkDrmKV_WKXYv11Vc8oj5t_8_Wk7RtqAwX9vI32j20"
)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _payload(token: str) -> dict[str, object]:
    part = token.split(".")[1]
    loaded: dict[str, object] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return loaded


def test_a_signed_token_verifies_with_its_claims_and_this_service_as_issuer_and_audience() -> None:
    token = JwtSigner(KEY).sign(CLAIMS)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "HS256" and token.count(".") == 2
    assert JwtSigner(KEY).verify(token) == {**CLAIMS, "iss": "timebank", "aud": "timebank-api"}


def test_a_token_issued_before_joserfc_still_verifies() -> None:
    assert JwtSigner(KEY).verify(ISSUED_BY_PYJWT) == {**CLAIMS, "iss": "timebank", "aud": "timebank-api"}


def test_a_token_signed_with_another_key_fails() -> None:
    assert JwtSigner(KEY).verify(JwtSigner(b"k" * 32).sign(CLAIMS)) is None


def test_a_tampered_token_fails() -> None:
    header, _, signature = JwtSigner(KEY).sign(CLAIMS).split(".")
    raised = _b64({**_payload(ISSUED_BY_PYJWT), "role": "admin"})
    assert JwtSigner(KEY).verify(f"{header}.{raised}.{signature}") is None
    assert JwtSigner(KEY).verify(ISSUED_BY_PYJWT[:-2] + ("AA" if not ISSUED_BY_PYJWT.endswith("AA") else "BB")) is None


def test_an_unsigned_token_fails() -> None:
    payload = ISSUED_BY_PYJWT.split(".")[1]
    for alg in ("none", "None", "NONE"):
        assert JwtSigner(KEY).verify(f"{_b64({'alg': alg, 'typ': 'JWT'})}.{payload}.") is None


@pytest.mark.parametrize("change", [{"iss": "someone-else"}, {"aud": "another-api"}, {"exp": None}, {"sub": None}, {"iat": None}])
def test_a_token_for_another_audience_or_issuer_or_without_a_required_claim_fails(change: dict[str, object]) -> None:
    claims = {k: v for k, v in {**CLAIMS, "iss": "timebank", "aud": "timebank-api", **change}.items() if v is not None}
    token = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(KEY))  # signed with the right key
    assert JwtSigner(KEY).verify(token) is None


def test_garbage_fails() -> None:
    for garbage in ("", "a.b.c", "...", "eyJ.eyJ.x"):
        assert JwtSigner(KEY).verify(garbage) is None


def test_an_expired_access_token_no_longer_authenticates() -> None:
    clock = FixedClock()
    app = make_app(clock, **security_adapters("expiry"))
    reg = a_volunteer(app)
    app.set_password(as_volunteer(reg), "correct-horse-9")
    access = app.login(reg.volunteer_number, password="correct-horse-9").access_token
    assert app.tokens.verify(access) is not None
    assert app.authenticate(access) == as_volunteer(reg)
    clock.advance(seconds=ACCESS_TOKEN_LIFETIME.total_seconds() - 1)
    assert app.authenticate(access) == as_volunteer(reg)
    clock.advance(seconds=1)
    assert app.authenticate(access) is None


def test_the_signer_key_is_derived_from_the_secret_key_for_its_purpose() -> None:
    tokens = security_adapters("s")["tokens"]
    assert JwtSigner(derive_key("s", "access-tokens")).verify(tokens.sign(CLAIMS)) is not None
    assert JwtSigner(derive_key("s", "master-key/s1")).verify(tokens.sign(CLAIMS)) is None
