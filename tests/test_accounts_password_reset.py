import re

import pytest

from tests.conftest import PASSWORD

# queue_redis empties the Redis database that counts reset requests.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue_redis")]

NEW_PASSWORD = "a much newer horse staple"


def reset_link(message) -> str:
    return re.search(r"https?://\S+/accounts/reset/\S+/", message.body).group(0)


def test_it_emails_a_working_reset_link(client, alice, mailoutbox, settings):
    settings.SITE_URL = "https://cutouts.example"
    response = client.post("/accounts/password_reset/", {"email": "alice@example.com"})
    assert response.status_code == 302
    assert response.url == "/accounts/password_reset/done/"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["alice@example.com"]
    assert mailoutbox[0].subject == "Reset your Cutouts password"

    link = reset_link(mailoutbox[0])
    assert link.startswith("https://cutouts.example/accounts/reset/")
    path = link.removeprefix("https://cutouts.example")
    form_page = client.get(path, follow=True)
    assert b"Choose a new password" in form_page.content
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.url == "/accounts/reset/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_the_link_works_once(client, alice, mailoutbox):
    client.post("/accounts/password_reset/", {"email": "alice@example.com"})
    path = re.sub(r"^https?://[^/]+", "", reset_link(mailoutbox[0]))
    form_url = client.get(path, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = client.get(path, follow=True)
    assert b"This link no longer works" in response.content


def test_it_builds_the_link_from_site_url_not_the_host_header(client, alice, mailoutbox, settings):
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    settings.SITE_URL = "https://cutouts.example"
    client.post(
        "/accounts/password_reset/", {"email": "alice@example.com"}, HTTP_HOST="evil.example"
    )
    assert "evil.example" not in mailoutbox[0].body
    assert reset_link(mailoutbox[0]).startswith("https://cutouts.example/")


def test_it_answers_the_same_for_unknown_addresses(client, mailoutbox):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response.url == "/accounts/password_reset/done/"
    assert mailoutbox == []


def test_it_keeps_the_old_password_until_the_link_is_used(client, alice, mailoutbox):
    client.post("/accounts/password_reset/", {"email": "alice@example.com"})
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
