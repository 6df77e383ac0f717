"""Clerk's official Python SDK (`clerk-backend-api`) against Understudy: actor tokens.

Every call goes through the SDK exactly as its docs show it (`Clerk(bearer_auth=…,
server_url=…/v1)`, `clerk.actor_tokens.create(request=…)`, `clerk.actor_tokens.revoke(…)`).
Plain HTTP is used only to create users, to accept a ticket as a browser would, to read a
token back, and to send what the SDK refuses to send.

Note: in 7.0.0 the SDK's `ActorToken.actor` model declares no fields and ignores extra ones,
so the parsed `res.actor` is empty; what the server returned for `actor` is asserted on the
wire, from the response the SDK's own httpx client received.
"""

import asyncio
import json
import time
import urllib.parse

import httpx
import pydantic
import pytest
from clerk_backend_api import models

from conftest import create_user, http, make_clerk

SDK_API_VERSION = "2025-11-10"


def custom_actor(actor_id: str) -> dict:
    return {
        "sub": actor_id,
        "reason": "ticket #4711",
        "support": {"team": "tier-2", "level": 2, "tags": ["billing", "vip"]},
        "camelCaseKey": True,
    }


def sdk_request(user_id: str, actor: dict, **durations) -> models.CreateActorTokenRequestBody:
    extra = {k: v for k, v in actor.items() if k != "sub"}
    return models.CreateActorTokenRequestBody(
        user_id=user_id,
        actor=models.CreateActorTokenActor(sub=actor["sub"], **extra),
        **durations,
    )


def assert_trace_id(response) -> str:
    trace = response.headers.get("clerk-trace-id")
    assert trace, f"no Clerk-Trace-Id header on {response.status_code} {response.request.url}"
    return trace


def assert_error_shape(err: models.ClerkBaseError, status: int, code: str) -> dict:
    """The contract's error body, read from what the SDK received; returns errors[0]."""
    assert err.status_code == status, f"status {err.status_code}, body {err.body}"
    body = json.loads(err.body)
    assert isinstance(body["errors"], list) and body["errors"], body
    first = body["errors"][0]
    assert first["code"] == code, body
    assert first["message"] and first["long_message"], body
    assert body["clerk_trace_id"] == assert_trace_id(err.raw_response), body
    assert err.headers.get("content-type", "").startswith("application/json")
    return first


def expect_clerk_errors(excinfo, status: int, code: str) -> models.ClerkError:
    err = excinfo.value
    assert type(err) is models.ClerkErrors, f"expected ClerkErrors, got {type(err).__name__}: {err}"
    assert_error_shape(err, status, code)
    first = err.data.errors[0]
    assert first.code == code
    assert first.message and first.long_message
    return first


def expect_sdk_error(excinfo, status: int, code: str) -> dict:
    err = excinfo.value
    assert type(err) is models.SDKError, f"expected SDKError, got {type(err).__name__}: {err}"
    return assert_error_shape(err, status, code)


def assert_recent_millis(value: int) -> None:
    now_ms = time.time() * 1000
    assert isinstance(value, int)
    assert abs(now_ms - value) < 10 * 60 * 1000, f"{value} is not Unix milliseconds near now"


# --- create ---------------------------------------------------------------------------------


def test_create_returns_a_pending_token_and_keeps_every_actor_key(server, clerk, recorder, user_id, actor_id):
    actor = custom_actor(actor_id)
    res = clerk.actor_tokens.create(
        request=sdk_request(user_id, actor, expires_in_seconds=600, session_max_duration_in_seconds=900)
    )

    assert isinstance(res, models.ActorToken)
    assert res.object == models.ActorTokenObject.ACTOR_TOKEN
    assert res.id.startswith("act_")
    assert res.status == models.ActorTokenStatus.PENDING
    assert res.user_id == user_id
    assert res.token
    assert res.url == f"{server.base_url}/v1/tickets/accept?ticket={urllib.parse.quote(res.token, safe='')}"
    assert_recent_millis(res.created_at)
    assert res.updated_at >= res.created_at

    # What the SDK sent: the documented path, its API version, every actor key, both durations.
    sent = recorder.last.request
    assert sent.method == "POST"
    assert sent.url.path == "/v1/actor_tokens"
    assert sent.headers["clerk-api-version"] == SDK_API_VERSION
    assert sent.headers["authorization"] == f"Bearer {server.key}"
    assert json.loads(sent.content) == {
        "user_id": user_id,
        "actor": actor,
        "expires_in_seconds": 600,
        "session_max_duration_in_seconds": 900,
    }

    # What came back on the wire: 200 (not 201) and the actor payload in full, in order.
    wire = recorder.last
    assert wire.status_code == 200
    assert_trace_id(wire)
    body = wire.json()
    assert body["actor"] == actor
    assert list(body["actor"]) == list(actor)
    assert body["id"] == res.id and body["token"] == res.token

    # Stored as sent: read back with the server's GET /v1/actor_tokens/{id} (an Understudy
    # extension; Clerk has no such read), which never shows the plain token again.
    with http(server) as c:
        stored = c.get(f"/actor_tokens/{res.id}")
    assert stored.status_code == 200, stored.text
    assert stored.json()["actor"] == actor
    assert list(stored.json()["actor"]) == list(actor)
    assert stored.json()["status"] == "pending"
    assert stored.json().get("token") is None


def test_create_from_a_plain_dict_sends_the_default_durations(clerk, recorder, user_id, actor_id):
    res = clerk.actor_tokens.create(request={"user_id": user_id, "actor": {"sub": actor_id}})

    assert res.status == models.ActorTokenStatus.PENDING
    assert res.user_id == user_id
    assert json.loads(recorder.last.request.content) == {
        "user_id": user_id,
        "actor": {"sub": actor_id},
        "expires_in_seconds": 3600,
        "session_max_duration_in_seconds": 1800,
    }
    assert recorder.last.json()["actor"] == {"sub": actor_id}


def test_each_create_gives_a_new_id_and_token(clerk, user_id, actor_id):
    a = clerk.actor_tokens.create(request={"user_id": user_id, "actor": {"sub": actor_id}})
    b = clerk.actor_tokens.create(request={"user_id": user_id, "actor": {"sub": actor_id}})
    assert a.id != b.id
    assert a.token != b.token


# --- revoke ---------------------------------------------------------------------------------


def test_revoke_marks_the_token_revoked(server, clerk, recorder, user_id, actor_id):
    actor = custom_actor(actor_id)
    created = clerk.actor_tokens.create(request=sdk_request(user_id, actor))

    res = clerk.actor_tokens.revoke(actor_token_id=created.id)

    assert isinstance(res, models.ActorToken)
    assert res.id == created.id
    assert res.status == models.ActorTokenStatus.REVOKED
    assert res.user_id == user_id
    assert res.created_at == created.created_at
    assert res.updated_at >= created.updated_at

    sent = recorder.last.request
    assert sent.method == "POST"
    assert sent.url.path == f"/v1/actor_tokens/{created.id}/revoke"
    wire = recorder.last
    assert wire.status_code == 200
    body = wire.json()
    assert body["actor"] == actor
    # The plain token is shown once, on create; the server keeps only its hash.
    assert body.get("token") is None

    with http(server) as c:
        stored = c.get(f"/actor_tokens/{created.id}")
    assert stored.status_code == 200, stored.text
    assert stored.json()["status"] == "revoked"
    assert stored.json()["updated_at"] == res.updated_at


def test_async_create_and_revoke(clerk, user_id, actor_id):
    async def run():
        created = await clerk.actor_tokens.create_async(request={"user_id": user_id, "actor": {"sub": actor_id}})
        revoked = await clerk.actor_tokens.revoke_async(actor_token_id=created.id)
        with pytest.raises(models.ClerkErrors) as excinfo:
            await clerk.actor_tokens.revoke_async(actor_token_id=created.id)
        return created, revoked, excinfo

    created, revoked, excinfo = asyncio.run(run())
    assert created.status == models.ActorTokenStatus.PENDING
    assert created.id.startswith("act_")
    assert revoked.id == created.id
    assert revoked.status == models.ActorTokenStatus.REVOKED
    expect_clerk_errors(excinfo, 400, "actor_token_cannot_be_revoked_code")


def test_revoke_twice_is_clerk_errors_400(clerk, user_id, actor_id):
    created = clerk.actor_tokens.create(request={"user_id": user_id, "actor": {"sub": actor_id}})
    clerk.actor_tokens.revoke(actor_token_id=created.id)

    with pytest.raises(models.ClerkErrors) as excinfo:
        clerk.actor_tokens.revoke(actor_token_id=created.id)

    first = expect_clerk_errors(excinfo, 400, "actor_token_cannot_be_revoked_code")
    assert "revoked" in first.long_message


def test_revoking_an_accepted_token_is_clerk_errors_400_naming_accepted(clerk, user_id, actor_id):
    created = clerk.actor_tokens.create(request={"user_id": user_id, "actor": {"sub": actor_id}})
    # Use the ticket as a browser would, asking for JSON instead of the redirect (ours).
    accepted = httpx.get(created.url, headers={"Accept": "application/json"}, timeout=10, follow_redirects=False)
    assert accepted.status_code == 200, accepted.text

    with pytest.raises(models.ClerkErrors) as excinfo:
        clerk.actor_tokens.revoke(actor_token_id=created.id)

    first = expect_clerk_errors(excinfo, 400, "actor_token_cannot_be_revoked_code")
    assert "accepted" in first.long_message


def test_revoke_unknown_id_is_clerk_errors_404(clerk):
    with pytest.raises(models.ClerkErrors) as excinfo:
        clerk.actor_tokens.revoke(actor_token_id="act_doesnotexist0000000000000")
    expect_clerk_errors(excinfo, 404, "resource_not_found")


# --- errors on create -----------------------------------------------------------------------


def test_create_for_unknown_user_is_sdk_error_404(clerk, actor_id):
    # 404 is not among create's declared ClerkErrors codes (400, 402, 422): the SDK's fallback.
    with pytest.raises(models.SDKError) as excinfo:
        clerk.actor_tokens.create(request={"user_id": "user_doesnotexist000000000", "actor": {"sub": actor_id}})
    expect_sdk_error(excinfo, 404, "resource_not_found")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("expires_in_seconds", -1),
        ("expires_in_seconds", 0),
        ("expires_in_seconds", 2_592_001),  # one past the default 30-day maximum
        ("session_max_duration_in_seconds", -60),
        ("session_max_duration_in_seconds", 0),
        ("session_max_duration_in_seconds", 604_801),  # one past the default 7-day maximum
    ],
)
def test_out_of_range_duration_is_clerk_errors_422(clerk, user_id, actor_id, field, value):
    with pytest.raises(models.ClerkErrors) as excinfo:
        clerk.actor_tokens.create(request={"user_id": user_id, "actor": {"sub": actor_id}, field: value})
    first = expect_clerk_errors(excinfo, 422, "form_param_value_invalid")
    assert first.meta["param_name"] == field


def test_oversized_body_is_sdk_error_413(clerk, user_id, actor_id):
    # Bodies are bounded (64 KiB by default); 413 is not a declared code, so SDKError.
    actor = {"sub": actor_id, "notes": "x" * (100 * 1024)}
    with pytest.raises(models.SDKError) as excinfo:
        clerk.actor_tokens.create(request=sdk_request(user_id, actor))
    expect_sdk_error(excinfo, 413, "request_body_too_large")


def test_conflicting_api_versions_are_clerk_errors_400(server, user_id, actor_id):
    # The SDK always sends the Clerk-API-Version header; naming a version in the query as well
    # is the one 400 a create can meet through it.
    def add_query_version(request):
        request.url = request.url.copy_add_param("__clerk_api_version", SDK_API_VERSION)

    clerk = make_clerk(server, request=[add_query_version])
    with pytest.raises(models.ClerkErrors) as excinfo:
        clerk.actor_tokens.create(request={"user_id": user_id, "actor": {"sub": actor_id}})
    expect_clerk_errors(excinfo, 400, "api_version_invalid")


def test_impersonation_disabled_is_clerk_errors_402(instances):
    instance = instances["no_impersonation"]
    user_id, actor_id = create_user(instance), create_user(instance)
    clerk = make_clerk(instance)
    with pytest.raises(models.ClerkErrors) as excinfo:
        clerk.actor_tokens.create(request={"user_id": user_id, "actor": {"sub": actor_id}})
    expect_clerk_errors(excinfo, 402, "unsupported_subscription_plan_features")


def test_monthly_limit_is_clerk_errors_422_with_limit_and_used(instances):
    instance = instances["limited"]
    user_id, actor_id = create_user(instance), create_user(instance)
    clerk = make_clerk(instance)
    first_token = clerk.actor_tokens.create(request={"user_id": user_id, "actor": {"sub": actor_id}})
    assert first_token.status == models.ActorTokenStatus.PENDING

    with pytest.raises(models.ClerkErrors) as excinfo:
        clerk.actor_tokens.create(request={"user_id": user_id, "actor": {"sub": actor_id}})

    first = expect_clerk_errors(excinfo, 422, "impersonation_limit_exceeded")
    assert first.meta["limit"] == 1
    assert first.meta["used"] == 1


# --- authentication and rate limiting: SDKError for both operations ----------------------------


@pytest.mark.parametrize("operation", ["create", "revoke"])
def test_wrong_secret_key_is_sdk_error_401(server, operation):
    clerk = make_clerk(server, bearer_auth="sk_test_thisisnotavalidkey000000000000")
    with pytest.raises(models.SDKError) as excinfo:
        if operation == "create":
            clerk.actor_tokens.create(request={"user_id": "user_x", "actor": {"sub": "user_y"}})
        else:
            clerk.actor_tokens.revoke(actor_token_id="act_x")
    expect_sdk_error(excinfo, 401, "clerk_key_invalid")


def test_missing_secret_key_is_sdk_error_401(server, recorder):
    clerk = make_clerk(server, recorder, bearer_auth=None)
    with pytest.raises(models.SDKError) as excinfo:
        clerk.actor_tokens.create(request={"user_id": "user_x", "actor": {"sub": "user_y"}})
    assert "authorization" not in recorder.last.request.headers
    expect_sdk_error(excinfo, 401, "authorization_header_format_invalid")


def test_rate_limit_is_sdk_error_429_with_retry_after(instances):
    instance = instances["rate_limited"]
    clerk = make_clerk(instance)
    statuses = []
    for _ in range(3):
        with pytest.raises(models.SDKError) as excinfo:
            clerk.actor_tokens.create(request={"user_id": "user_doesnotexist000000000", "actor": {"sub": "user_y"}})
        statuses.append(excinfo.value.status_code)
    # Two requests a minute: two reach the handler (unknown user), the third is turned away.
    assert statuses == [404, 404, 429]
    expect_sdk_error(excinfo, 429, "too_many_requests")
    retry_after = int(excinfo.value.headers["retry-after"])
    assert 1 <= retry_after <= 60


# --- what the SDK cannot send, checked on the wire --------------------------------------------


def test_sdk_refuses_a_body_without_user_id_before_sending(clerk, recorder, actor_id):
    with pytest.raises(pydantic.ValidationError):
        clerk.actor_tokens.create(request={"actor": {"sub": actor_id}})
    assert recorder.responses == []


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"actor": {"sub": "user_y"}}, "form_param_missing", "user_id"),
        ({"user_id": "USER", "actor": {"reason": "no sub"}}, "form_param_missing", "actor.sub"),
        ({"user_id": "USER", "actor": {"sub": 42}}, "form_param_value_invalid", "actor.sub"),
        ({"user_id": "USER", "actor": {"sub": "user_y"}, "expires_in_seconds": "600"}, "form_param_value_invalid", "expires_in_seconds"),
        ({"user_id": "USER", "actor": {"sub": "user_y"}, "colour": "blue"}, "form_param_unknown", "colour"),
    ],
)
def test_invalid_bodies_are_422_in_the_error_shape(server, user_id, body, code, param):
    if body.get("user_id") == "USER":
        body = {**body, "user_id": user_id}
    with http(server) as c:
        res = c.post("/actor_tokens", json=body)
    assert res.status_code == 422, res.text
    first = res.json()["errors"][0]
    assert first["code"] == code, res.text
    assert first["meta"]["param_name"] == param, res.text
    assert res.json()["clerk_trace_id"] == assert_trace_id(res)


def test_missing_actor_is_422_form_param_missing(server, user_id):
    with http(server) as c:
        res = c.post("/actor_tokens", json={"user_id": user_id})
    assert res.status_code == 422, res.text
    first = res.json()["errors"][0]
    assert first["code"] == "form_param_missing"
    assert first["meta"]["param_name"] in ("actor", "actor.sub")


def test_a_body_that_is_not_json_content_is_415(server, user_id):
    with http(server) as c:
        res = c.post("/actor_tokens", content=f"user_id={user_id}", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert res.status_code == 415, res.text
    assert res.json()["errors"][0]["code"] == "unsupported_content_type"


def test_body_that_is_not_json_is_400_request_body_invalid(server):
    with http(server) as c:
        res = c.post("/actor_tokens", content=b"{not json", headers={"Content-Type": "application/json"})
    assert res.status_code == 400, res.text
    assert res.json()["errors"][0]["code"] == "request_body_invalid"
