"""The team API knows callers by their token alone, and answers in JSON, whatever happens."""

import pytest
from django.test import Client

from cutouts.teamapi.tokens import token_create, token_revoke
from tests.api_calls import ApiClient, client_for

pytestmark = pytest.mark.django_db

INVALID = {"detail": "Invalid API Key"}
CALLS = [
    ("post", "/api/v1.0/alpha-channel-base64"),
    ("post", "/api/v1.0/image-without-background-base64"),
    ("post", "/api/v1.0/alpha-channel"),
    ("post", "/api/v1.0/image-without-background"),
    ("get", "/api/available-credit"),
    ("get", "/api/cutouts/v1/images"),
    ("get", "/api/cutouts/v1/images/1"),
    ("get", "/api/cutouts/v1/presets"),
]


@pytest.mark.parametrize(("method", "path"), CALLS)
def test_a_call_without_a_token_gets_401(method, path):
    response = getattr(ApiClient(None), method)(path)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json() == INVALID


@pytest.mark.parametrize(("method", "path"), CALLS)
def test_a_call_with_a_wrong_token_gets_401(method, path, alice):
    token_create(user=alice, name="Script")

    response = getattr(ApiClient("cut_not-a-real-token"), method)(path)

    assert response.status_code == 401
    assert response.json() == INVALID


def test_a_revoked_token_gets_401(alice):
    token, raw = token_create(user=alice, name="Script")
    assert ApiClient(raw).get("/api/cutouts/v1/images").status_code == 200

    token_revoke(token=token, by=alice)

    response = ApiClient(raw).get("/api/cutouts/v1/images")
    assert response.status_code == 401
    assert response.json() == INVALID


def test_a_signed_in_session_is_not_a_token(alice_client):
    response = alice_client.get("/api/cutouts/v1/images")

    assert response.status_code == 401
    assert response.json() == INVALID


def test_a_post_needs_no_csrf_token(alice):
    _, raw = token_create(user=alice, name="Script")
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/api/v1.0/alpha-channel-base64",
        "not json",
        content_type="application/json",
        headers={"X-API-Key": raw},
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    "path", ["/api/", "/api/v1.0/nope", "/api/v2.0/alpha-channel", "/api/cutouts/v1/images/"]
)
def test_unknown_paths_get_a_json_404(path, alice):
    response = client_for(alice).get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_a_wrong_method_gets_a_json_405(alice):
    api = client_for(alice)

    response = api.get("/api/v1.0/alpha-channel")

    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert response["Allow"] == "POST"
    assert api.post("/api/available-credit").status_code == 405
