"""A new API token or invite link is shown on the answer that made it, once, and stored nowhere.

Django keeps messages in a cookie or the session, so the token or link must
reach neither; the answer must not be cached, and the next visit to the page
must not show it again.
"""

import re

import pytest
from django.contrib.sessions.models import Session

from cutouts.models import ApiToken, Invite

pytestmark = pytest.mark.django_db

TOKENS_URL = "/accounts/tokens/"
INVITES_URL = "/accounts/invites/"


def form_page_once(client, url: str) -> str:
    """The hidden name of the form on the page, as a browser would send it back."""
    page = client.get(url).content.decode()
    return re.search(r'<input type="hidden" name="once" value="([\w-]+)"', page).group(1)


def assert_kept_nowhere(client, response, secret: str) -> None:
    for session in Session.objects.all():
        assert secret not in str(session.get_decoded())
    for jar in (client.cookies, response.cookies):
        for cookie in jar.values():
            assert secret not in cookie.value
    assert "no-store" in response["Cache-Control"]


def test_a_new_token_is_shown_once_and_kept_out_of_the_session(alice_client):
    response = alice_client.post(TOKENS_URL, {"name": "Shop sync"})

    raw = re.search(r'value="(cut_[\w-]+)"', response.content.decode()).group(1)
    assert_kept_nowhere(alice_client, response, raw)
    assert raw not in alice_client.get(TOKENS_URL).content.decode()


def test_a_new_invite_link_is_shown_once_and_kept_out_of_the_session(admin_client_):
    response = admin_client_.post(INVITES_URL, {"email": "new@example.com"})

    url = re.search(r"http://testserver/accounts/invite/[\w-]+/", response.content.decode())
    assert_kept_nowhere(admin_client_, response, url.group(0))
    token = url.group(0).rstrip("/").rsplit("/", 1)[1]
    assert_kept_nowhere(admin_client_, response, token)
    assert url.group(0) not in admin_client_.get(INVITES_URL).content.decode()


def test_the_token_form_is_empty_again_on_the_answer_that_shows_the_token(alice_client):
    response = alice_client.post(TOKENS_URL, {"name": "Shop sync"})

    assert not response.context["form"].is_bound


def test_sending_the_token_form_again_makes_no_second_token_and_shows_none(alice_client):
    form = {"name": "Shop sync", "once": form_page_once(alice_client, TOKENS_URL)}
    first = alice_client.post(TOKENS_URL, form)
    raw = first.context["new_token"]

    again = alice_client.post(TOKENS_URL, form, follow=True)

    assert ApiToken.objects.count() == 1
    assert again.redirect_chain == [(TOKENS_URL, 302)]
    assert raw not in again.content.decode()
    assert "That token was made already; it is not shown again." in again.content.decode()


def test_sending_the_invite_form_again_makes_no_second_invite_and_shows_none(admin_client_):
    form = {"email": "new@example.com", "once": form_page_once(admin_client_, INVITES_URL)}
    first = admin_client_.post(INVITES_URL, form)
    url = first.context["new_invite_url"]

    again = admin_client_.post(INVITES_URL, form, follow=True)

    assert Invite.objects.count() == 1
    assert again.redirect_chain == [(INVITES_URL, 302)]
    assert url not in again.content.decode()
    assert "That invite was made already" in again.content.decode()


def test_each_page_of_the_form_makes_its_own_token(alice_client):
    for name in ["First tab", "Second tab"]:
        form = {"name": name, "once": form_page_once(alice_client, TOKENS_URL)}
        assert alice_client.post(TOKENS_URL, form).context["new_token"]

    assert ApiToken.objects.count() == 2
