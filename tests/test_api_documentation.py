"""/api/openapi.json describes every API route; /api/docs/ shows a member how to call it."""

import hashlib
import hmac
import html
import json
import time

import pytest
from django.urls import URLPattern, get_resolver

from tests.api_calls import ApiClient, client_for

pytestmark = pytest.mark.django_db


def _api_routes() -> set[str]:
    """Every /api/ route, as an OpenAPI path: /cutouts/v1/images/<int:pk> → …/images/{id}."""
    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/")
    routes = {
        "/" + str(p.pattern).replace("<int:pk>", "{id}")
        for p in api.url_patterns
        if isinstance(p, URLPattern) and p.name and p.name not in ("api_openapi", "api_docs")
    }
    return routes


def test_the_openapi_document_is_public_json():
    response = ApiClient(None).get("/api/openapi.json")

    assert response.status_code == 200
    document = json.loads(response.content_bytes)
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://testserver/api"}]


def test_it_describes_every_route_and_nothing_else():
    document = ApiClient(None).get("/api/openapi.json").json()

    assert set(document["paths"]) == _api_routes()
    assert len(_api_routes()) == 14


def test_every_call_needs_the_api_key_header():
    document = ApiClient(None).get("/api/openapi.json").json()

    assert document["components"]["securitySchemes"] == {
        "ApiKey": {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "A personal Cutouts token (cut_…).",
        }
    }
    assert document["security"] == [{"ApiKey": []}]


def test_every_reference_resolves():
    document = ApiClient(None).get("/api/openapi.json").json()
    text = json.dumps(document)

    for schema in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert schema in document["components"]["schemas"]


def test_the_docs_page_shows_the_members_base_url(alice_client):
    page = alice_client.get("/api/docs/").content.decode()

    assert "http://testserver/api/v1.0/image-without-background-base64" in page
    assert "http://testserver/api/available-credit" in page
    assert "X-API-Key" in page
    assert "Create a token" in page


def test_the_docs_page_points_members_with_a_token_to_it(alice_client, alice):
    client_for(alice)

    assert "Use one of" in alice_client.get("/api/docs/").content.decode()


def test_the_docs_page_is_for_signed_in_members(client):
    response = client.get("/api/docs/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_the_docs_page_shows_the_asynchronous_flow_and_webhooks(alice_client):
    page = alice_client.get("/api/docs/").content.decode()

    assert 'curl -X POST "http://testserver/api/cutouts/v1/images"' in page
    assert "Idempotency-Key" in page
    assert "Cutouts-Signature" in page
    assert "http://testserver/api/cutouts/v1/me" in page


def _verify_function(page: str):
    """The signature check the docs page gives receivers, as a function."""
    code = html.unescape(page.split('<code id="verify-python">')[1].split("</code>")[0])
    namespace: dict = {}
    exec(compile(code, "docs-verify", "exec"), namespace)  # noqa: S102 (our own page's example)
    return namespace["verify"]


def test_the_docs_signature_check_accepts_a_signed_body_and_nothing_else(alice_client):
    verify = _verify_function(alice_client.get("/api/docs/").content.decode())
    secret, body, now = "whsec_example", b'{"id": "evt_1", "type": "image.done"}', int(time.time())
    # Signed here as the docs say, independently of Cutouts' own signing code.
    mac = hmac.new(secret.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()

    assert verify(secret, body, str(now), f"v1={mac}")
    assert not verify(secret, body + b" ", str(now), f"v1={mac}")
    assert not verify("whsec_other", body, str(now), f"v1={mac}")
    assert not verify(secret, body, str(now + 1), f"v1={mac}")
    old = now - 3600
    old_mac = hmac.new(secret.encode(), f"{old}.".encode() + body, hashlib.sha256).hexdigest()
    assert not verify(secret, body, str(old), f"v1={old_mac}")
    assert not verify(secret, body, "not-a-time", f"v1={mac}")
