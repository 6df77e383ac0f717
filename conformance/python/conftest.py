"""Fixtures for driving Clerk's official Python SDK (`clerk-backend-api`) against Understudy.

conformance/run.sh starts the instances and passes their URLs and the secret key in the
environment. Without them the suite fails under CI and skips, saying why, elsewhere.
"""

import os
import secrets
from dataclasses import dataclass, field

import httpx
import pytest
from clerk_backend_api import Clerk
from clerk_backend_api.utils import RetryConfig

URL_VARS = {
    "default": "UNDERSTUDY_URL",
    "no_impersonation": "UNDERSTUDY_NO_IMPERSONATION_URL",
    "limited": "UNDERSTUDY_LIMITED_URL",
    "rate_limited": "UNDERSTUDY_RATE_LIMITED_URL",
}

# A broken server must fail a test quickly, not sit in the SDK's default 1 h of 5XX retries.
NO_RETRIES = RetryConfig("none", None, False)
TIMEOUT_MS = 10_000


@dataclass
class Instance:
    """One running Understudy: its base URL (no /v1) and a valid secret key."""

    base_url: str
    key: str

    @property
    def api_url(self) -> str:
        return self.base_url + "/v1"


@dataclass
class Recorder:
    """Keeps every response the SDK's httpx client received, body read, for wire-level asserts."""

    responses: list = field(default_factory=list)

    def hook(self, response: httpx.Response) -> None:
        response.read()
        self.responses.append(response)

    @property
    def last(self) -> httpx.Response:
        assert self.responses, "the SDK sent no request"
        return self.responses[-1]


def _require_env(name: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    reason = f"{name} is not set: run the suites with conformance/run.sh target/debug/understudy"
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def instances() -> dict:
    key = _require_env("UNDERSTUDY_SECRET_KEY")
    return {name: Instance(_require_env(var).rstrip("/"), key) for name, var in URL_VARS.items()}


@pytest.fixture(scope="session")
def server(instances) -> Instance:
    return instances["default"]


INSTANCE_KEY = object()  # make_clerk's default: the instance's valid key


def make_clerk(instance: Instance, recorder: Recorder | None = None, bearer_auth=INSTANCE_KEY, **hooks) -> Clerk:
    """The SDK configured exactly as its docs say, plus a recording httpx client.

    `hooks` adds httpx event hooks, e.g. `request=[fn]`, for the few tests that must bend a request.
    """
    event_hooks = {"response": [recorder.hook]} if recorder else {}
    for name, fns in hooks.items():
        event_hooks.setdefault(name, []).extend(fns)
    client = httpx.Client(follow_redirects=True, event_hooks=event_hooks)
    return Clerk(
        bearer_auth=instance.key if bearer_auth is INSTANCE_KEY else bearer_auth,
        server_url=instance.api_url,
        client=client,
        retry_config=NO_RETRIES,
        timeout_ms=TIMEOUT_MS,
    )


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def clerk(server, recorder) -> Clerk:
    return make_clerk(server, recorder)


def http(instance: Instance) -> httpx.Client:
    """A plain HTTP client with the bearer key, for calls the official SDK does not make."""
    return httpx.Client(
        base_url=instance.api_url,
        headers={"Authorization": f"Bearer {instance.key}"},
        timeout=TIMEOUT_MS / 1000,
    )


def create_user(instance: Instance, first_name: str = "Conformance") -> str:
    """POST /v1/users over plain HTTP; returns the new user's id."""
    with http(instance) as c:
        res = c.post(
            "/users",
            json={
                "first_name": first_name,
                "external_id": "conf-" + secrets.token_hex(6),
                "email_address": [f"{secrets.token_hex(6)}@conformance.example"],
            },
        )
    assert res.status_code == 200, f"POST /v1/users -> {res.status_code} {res.text}"
    user = res.json()
    assert user["object"] == "user"
    assert user["id"].startswith("user_")
    return user["id"]


@pytest.fixture
def user_id(server) -> str:
    return create_user(server, "Impersonated")


@pytest.fixture
def actor_id(server) -> str:
    return create_user(server, "Support Agent")
