"""Every response carries the security headers: pages, media, API answers and static files.

Pages also carry a Content-Security-Policy with no inline script or style;
only Django's admin and django-rq's pages, which are not ours, may use inline
styles. HSTS and the redirect to HTTPS are off until settings turn them on.
"""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api_calls import client_for
from tests.debug_server import running_debug_server
from tests.studio_images import processed

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent
SAME_EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _policy(response) -> dict[str, list[str]]:
    directives = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {name: values for name, *values in directives}


def _assert_security_headers(headers) -> None:
    for name, value in SAME_EVERYWHERE.items():
        assert headers[name] == value, name


def test_pages_media_and_api_answers_carry_the_security_headers(alice, alice_client, client):
    image = processed(alice, "chair.jpg")

    for response in [
        client.get("/accounts/login/"),
        alice_client.get("/"),
        alice_client.get(f"/images/{image.pk}/original/"),
        alice_client.get(f"/images/{image.pk}/original/?download=1"),
        alice_client.get(f"/images/{image.pk}/matte/"),
        client_for(alice).get("/api/cutouts/v1/images"),
        client_for(alice).get(f"/api/cutouts/v1/images/{image.pk}/original"),
    ]:
        assert response.status_code == 200, response.request["PATH_INFO"]
        _assert_security_headers(response)


def test_pages_forbid_inline_scripts_and_styles(alice_client):
    policy = _policy(alice_client.get("/"))

    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert (policy["form-action"], policy["base-uri"]) == (["'self'"], ["'self'"])


def test_only_the_admin_pages_may_use_inline_styles(admin_client_):
    admin = _policy(admin_client_.get("/admin/"))
    queue = _policy(admin_client_.get("/admin/rq/"))

    assert admin["style-src"] == ["'self'", "'unsafe-inline'"]
    assert admin["script-src"] == ["'self'"]
    assert queue["style-src"] == ["'self'", "'unsafe-inline'"]
    # django-rq's one inline script, by its hash; never any inline script.
    assert queue["script-src"][0] == "'self'"
    assert [source[:8] for source in queue["script-src"][1:]] == ["'sha256-"]


def test_static_files_from_the_real_server_carry_the_security_headers(tmp_path):
    with running_debug_server(tmp_path) as server:
        response = httpx.get(f"{server.url}/static/cutouts/app.css", timeout=10)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    _assert_security_headers(response.headers)


def test_there_is_no_hsts_and_no_https_redirect_by_default(client):
    response = client.get("/accounts/login/", secure=True)

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response


def test_hsts_is_sent_over_https_when_set(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    response = client.get("/accounts/login/", secure=True)

    expected = "max-age=31536000; includeSubDomains; preload"
    assert response["Strict-Transport-Security"] == expected


def test_plain_http_is_redirected_to_https_when_set(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    response = client.get("/accounts/login/?next=/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/?next=/"


def test_behind_a_proxy_its_https_header_is_trusted_once_named(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    proxied = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    direct = client.get("/accounts/login/")

    assert proxied.status_code == 200
    assert direct.status_code == 301


@pytest.mark.parametrize(
    ("variable", "header"),
    [
        ("", "None"),
        ("HTTP_X_FORWARDED_PROTO", "('HTTP_X_FORWARDED_PROTO', 'https')"),
        ("X-Forwarded-Proto", "('HTTP_X_FORWARDED_PROTO', 'https')"),
    ],
)
def test_the_proxy_header_setting_reads_a_meta_key_or_a_header_name(variable, header):
    env = {**os.environ, "SECURE_PROXY_SSL_HEADER": variable}
    read = subprocess.run(
        [
            sys.executable,
            "-c",
            "from project import settings; print(settings.SECURE_PROXY_SSL_HEADER)",
        ],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert read.stdout.strip() == header
