"""Clerk's official Python SDK `verify_token` against session tokens Understudy mints after a
real accept (CONTRACT.md §6.4).

Keys: `clerk_backend_api.security.verify_token` fetches the JWKS itself from
`{api_url}/{api_version}/jwks` with the secret key, so `VerifyTokenOptions(secret_key=…,
api_url=<Understudy base URL>)` points it at Understudy directly; the networkless `jwt_key`
(PEM) form is checked too, with the PEM converted from that JWKS.

Expiry without sleeping: the SDK has no clock option, and a negative `clock_skew_in_ms` does not
help (PyJWT checks `iat` before `exp`, so it reports "not active yet"). The test instead moves the
clock PyJWT reads (`jwt.api_jwt.datetime`) 61 s past the token's lifetime; `verify_token` itself
runs unchanged.
"""

import asyncio
import base64
import json
import secrets
from datetime import datetime, timedelta

import httpx
import jwt.api_jwt
import pytest
from clerk_backend_api.security import (
    AuthenticateRequestOptions,
    TokenVerificationError,
    TokenVerificationErrorReason,
    VerifyTokenOptions,
    authenticate_request,
    verify_token,
    verify_token_async,
)
from clerk_backend_api.security import verifytoken as verifytoken_module
from clerk_backend_api.security.cache import Cache
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm

from conftest import TIMEOUT_MS, Instance, create_user, http

TOKEN_LIFETIME_S = 60
APP_ORIGIN = "http://app.conformance.example"


def remote(instance: Instance, **kw) -> VerifyTokenOptions:
    """Options that make the SDK fetch the JWKS from Understudy with the secret key."""
    return VerifyTokenOptions(secret_key=instance.key, api_url=instance.base_url, **kw)


def accept_as_json(instance: Instance, ticket: str, headers: dict | None = None) -> httpx.Response:
    with httpx.Client(base_url=instance.api_url, timeout=TIMEOUT_MS / 1000) as c:
        return c.get(
            "/tickets/accept",
            params={"ticket": ticket},
            headers={"Accept": "application/json", **(headers or {})},
            follow_redirects=False,
        )


def accepted_impersonation(instance: Instance) -> dict:
    """A user, an actor with extra keys, a token and its accept as JSON."""
    user_id = create_user(instance, "Verified")
    actor = {
        "sub": create_user(instance, "Verifying Agent"),
        "reason": "verify " + secrets.token_hex(3),
        "support": {"team": "tier-2", "level": 2},
    }
    with http(instance) as c:
        created = c.post(
            "/actor_tokens",
            json={
                "user_id": user_id,
                "actor": actor,
                "expires_in_seconds": 600,
                "session_max_duration_in_seconds": 900,
            },
        )
    assert created.status_code == 200, f"POST /v1/actor_tokens -> {created.status_code} {created.text}"

    res = accept_as_json(instance, created.json()["token"])
    assert res.status_code == 200, f"accept as JSON -> {res.status_code} {res.text}"
    session = res.json()
    assert session["object"] == "session"
    assert session["id"].startswith("sess_")
    assert session["user_id"] == user_id
    assert session["status"] == "active"
    assert session["actor"] == actor
    token = session.get("last_active_token") or {}
    assert token.get("object") == "token", f"no last_active_token: {res.text}"
    assert isinstance(token.get("jwt"), str)
    return {"user_id": user_id, "actor": actor, "session": session, "jwt": token["jwt"]}


@pytest.fixture(scope="module")
def subject(server) -> dict:
    return accepted_impersonation(server)


def b64url_json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def rejected(token: str, options: VerifyTokenOptions) -> TokenVerificationErrorReason:
    with pytest.raises(TokenVerificationError) as info:
        verify_token(token, options)
    return info.value.reason


def test_accepts_a_token_from_a_real_accept_via_understudys_jwks_and_exposes_act(server, subject):
    claims = verify_token(subject["jwt"], remote(server))

    assert claims["sub"] == subject["user_id"]
    assert claims["sid"] == subject["session"]["id"]
    assert claims["iss"] == server.base_url
    assert claims["v"] == 2
    assert claims["nbf"] == claims["iat"]
    assert claims["exp"] - claims["iat"] == TOKEN_LIFETIME_S
    assert claims["act"] == subject["actor"], "act must be the whole actor payload"
    assert claims["act"]["sub"] == subject["actor"]["sub"]
    assert claims["act"]["reason"] == subject["actor"]["reason"]


def jwks_pem(server: Instance, jwt: str) -> str:
    """The PEM of the key Understudy's JWKS publishes under the token's kid."""
    with http(server) as c:
        jwks = c.get("/jwks")
    assert jwks.status_code == 200, f"GET /v1/jwks -> {jwks.status_code} {jwks.text}"
    header = b64url_json(jwt.split(".")[0])
    assert header["alg"] == "RS256"
    jwk = next((k for k in jwks.json()["keys"] if k["kid"] == header["kid"]), None)
    assert jwk is not None, f"kid {header['kid']} not published in {jwks.text}"
    assert "d" not in jwk, "a private key part is published"
    pem = (
        RSAAlgorithm.from_jwk(jwk)
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return pem


def test_accepts_it_networklessly_with_the_pem_of_the_jwks_key(server, subject):
    claims = verify_token(subject["jwt"], VerifyTokenOptions(jwt_key=jwks_pem(server, subject["jwt"])))
    assert claims["sub"] == subject["user_id"]
    assert claims["act"] == subject["actor"]


def test_the_async_variant_fetches_the_jwks_and_accepts_it_too(server, subject, monkeypatch):
    # An empty key cache, so the async JWKS fetch runs rather than the sync test's cached key.
    fresh = Cache()
    monkeypatch.setattr(verifytoken_module, "__jwkcache", fresh)
    claims = asyncio.run(verify_token_async(subject["jwt"], remote(server)))
    assert len(fresh.cache) == 1, "verify_token_async did not fetch the key from Understudy"
    assert claims["sub"] == subject["user_id"]
    assert claims["act"] == subject["actor"]


def test_authenticate_request_signs_an_app_request_in_and_carries_act(server, subject):
    # authenticate_request builds its own VerifyTokenOptions without api_url, so with a secret
    # key it would ask api.clerk.com; it can reach Understudy's key only as jwt_key (PEM).
    options = AuthenticateRequestOptions(jwt_key=jwks_pem(server, subject["jwt"]))
    request = httpx.Request("GET", "http://app.conformance.example/api/me", headers={"Authorization": f"Bearer {subject['jwt']}"})
    state = authenticate_request(request, options)
    assert state.is_signed_in, state.message
    assert state.payload["sub"] == subject["user_id"]
    assert state.payload["act"] == subject["actor"]
    auth = state.to_auth()
    assert auth.sid == subject["session"]["id"]
    assert auth.sub == subject["user_id"]

    header, payload, signature = subject["jwt"].split(".")
    claims = b64url_json(payload)
    claims["act"] = {"sub": "user_someone_else"}
    forged = httpx.Request(
        "GET", "http://app.conformance.example/api/me", headers={"Authorization": f"Bearer {header}.{b64url(claims)}.{signature}"}
    )
    refused = authenticate_request(forged, options)
    assert not refused.is_signed_in
    assert refused.reason == TokenVerificationErrorReason.TOKEN_INVALID_SIGNATURE


def test_session_tokens_endpoint_sets_azp_from_origin_and_authorized_parties_hold(server, subject):
    with http(server) as c:
        minted = c.post(f"/sessions/{subject['session']['id']}/tokens", headers={"Origin": APP_ORIGIN})
    assert minted.status_code == 200, f"POST /v1/sessions/{{id}}/tokens -> {minted.status_code} {minted.text}"
    assert minted.json()["object"] == "token"
    token = minted.json()["jwt"]

    claims = verify_token(token, remote(server, authorized_parties=[APP_ORIGIN]))
    assert claims["azp"] == APP_ORIGIN
    assert claims["act"] == subject["actor"]
    assert (
        rejected(token, remote(server, authorized_parties=["http://other.example"]))
        == TokenVerificationErrorReason.TOKEN_INVALID_AUTHORIZED_PARTIES
    )


def test_rejects_a_tampered_token(server, subject):
    header, payload, signature = subject["jwt"].split(".")
    claims = b64url_json(payload)
    claims["act"] = {**claims["act"], "sub": "user_someone_else"}
    forged = f"{header}.{b64url(claims)}.{signature}"
    assert rejected(forged, remote(server)) == TokenVerificationErrorReason.TOKEN_INVALID_SIGNATURE

    # One character of the payload flipped, still valid base64url and JSON.
    flipped = b64url_json(payload)
    flipped["sub"] = flipped["sub"][:-1] + ("B" if flipped["sub"].endswith("A") else "A")
    one_char = f"{header}.{b64url(flipped)}.{signature}"
    assert rejected(one_char, remote(server)) == TokenVerificationErrorReason.TOKEN_INVALID_SIGNATURE


def test_rejects_an_expired_token(server, subject, monkeypatch):
    # Valid now: the rejection below is the clock, nothing else.
    verify_token(subject["jwt"], remote(server))

    ahead = timedelta(seconds=TOKEN_LIFETIME_S + 1) + timedelta(milliseconds=VerifyTokenOptions.clock_skew_in_ms)

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + ahead

    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)
    assert rejected(subject["jwt"], remote(server)) == TokenVerificationErrorReason.TOKEN_EXPIRED


def test_no_new_token_once_the_session_is_revoked(server):
    session = accepted_impersonation(server)["session"]
    with http(server) as c:
        revoked = c.post(f"/sessions/{session['id']}/revoke")
        assert revoked.status_code == 200, f"revoke -> {revoked.status_code} {revoked.text}"
        assert revoked.json()["status"] == "revoked"
        minted = c.post(f"/sessions/{session['id']}/tokens")
    assert minted.status_code in (400, 404), f"tokens after revoke -> {minted.status_code} {minted.text}"
    assert minted.json()["errors"][0]["code"] == "session_not_active"
