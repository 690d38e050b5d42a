"""Secrets never reach a page, an e-mail or a log line, whatever DEBUG says.

An anonymous visitor can make Django's parser refuse a request (too many
files, too many fields, a field too large); with DEBUG on, the answer is the
debug page, which prints the server's environment and every frame's locals.
"""

import logging
import secrets as random_secrets

import httpx
import pytest
from django.test import Client
from django.utils.log import AdminEmailHandler

from tests.debug_server import SANDBOX_KEYS, TEAM_KEY, leaked, running_debug_server
from tests.web_server import WebServer

LOGIN = "/accounts/login/"


@pytest.fixture(scope="module")
def debug_server(tmp_path_factory: pytest.TempPathFactory):
    with running_debug_server(tmp_path_factory.mktemp("debug-server")) as server:
        yield server


def _csrf_cookie() -> dict[str, str]:
    # Any well-formed token passes the cookie check, so the parser runs next.
    return {"csrftoken": random_secrets.token_hex(16)}


def _ask(server: WebServer, method: str, path: str, **kwargs) -> tuple[httpx.Response, str]:
    """Ask as an anonymous visitor; the response and what the server logged meanwhile."""
    logged_before = len(server.log())
    response = httpx.request(
        method, server.url + path, cookies=_csrf_cookie(), timeout=60, **kwargs
    )
    return response, server.log()[logged_before:]


def _assert_debug_page_without_secrets(response: httpx.Response, log: str, status: int) -> None:
    assert response.status_code == status
    # The debug page itself, with its environment table, so the test means something.
    assert "META" in response.text and "Traceback" in response.text
    assert "DEPLOY_NOTE" in response.text
    assert leaked(response.text) == []
    assert leaked(log) == []


def test_a_post_with_101_files_gets_a_400_page_without_secrets(debug_server):
    files = [("file", (f"photo-{number}.jpg", b"x", "image/jpeg")) for number in range(101)]
    response, log = _ask(debug_server, "POST", LOGIN, files=files)
    _assert_debug_page_without_secrets(response, log, 400)
    assert "TooManyFilesSent" in response.text


def test_a_post_with_1001_fields_gets_a_400_page_without_secrets(debug_server):
    fields = {f"field{number}": "x" for number in range(1001)}
    response, log = _ask(debug_server, "POST", LOGIN, data=fields)
    _assert_debug_page_without_secrets(response, log, 400)
    assert "TooManyFieldsSent" in response.text


def test_a_post_with_a_12_mb_field_gets_a_400_page_without_secrets(debug_server):
    response, log = _ask(
        debug_server, "POST", LOGIN, data={"username": "x" * (12 * 1024 * 1024)}, files={"f": b"x"}
    )
    _assert_debug_page_without_secrets(response, log, 400)
    assert "RequestDataTooBig" in response.text


def test_a_view_failing_with_secrets_in_its_locals_gets_a_500_page_without_them(debug_server):
    response, log = _ask(debug_server, "GET", "/_test/fails-holding-secrets/")
    _assert_debug_page_without_secrets(response, log, 500)
    # The locals are still there to debug with, only their secrets are hidden.
    assert "team_key" in response.text and "X-Api-Key" in response.text


def test_an_error_naming_a_secret_shows_neither_on_the_page_nor_in_the_log(debug_server):
    response, log = _ask(debug_server, "GET", "/_test/fails-naming-a-secret/")
    _assert_debug_page_without_secrets(response, log, 500)
    assert "The vendor refused the key" in response.text
    assert "The vendor refused the key" in log


def test_the_debug_404_page_shows_no_secret(debug_server):
    response, log = _ask(debug_server, "GET", "/_test/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert leaked(response.text) == []
    assert leaked(log) == []


@pytest.mark.urls("tests.leaky_urls")
def test_the_error_email_to_admins_carries_no_secret(settings, mailoutbox, monkeypatch):
    settings.ADMINS = [("Ops", "ops@example.com")]
    settings.WITHOUTBG_API_KEY = TEAM_KEY
    settings.WITHOUTBG_SANDBOX_KEYS = list(SANDBOX_KEYS)
    monkeypatch.setenv("DEPLOY_NOTE", f"rotated {TEAM_KEY} on Monday")
    # The HTML copy carries every frame's locals, as the debug page does.
    (to_admins,) = [
        handler
        for handler in logging.getLogger("django").handlers
        if isinstance(handler, AdminEmailHandler)
    ]
    monkeypatch.setattr(to_admins, "include_html", True)
    client = Client(raise_request_exception=False, HTTP_X_API_KEY=TEAM_KEY)

    response = client.get("/_test/fails-holding-secrets/")

    assert response.status_code == 500
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    ((html, _),) = mail.alternatives
    assert "RuntimeError" in mail.body and "HTTP_X_API_KEY" in mail.body
    assert "team_key" in html and "DEPLOY_NOTE" in html
    assert leaked(mail.subject + mail.body + html) == []
