"""A member holds at most API_TOKENS_PER_MEMBER live tokens, from the page or the command line."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from cutouts.models import ApiToken
from cutouts.teamapi.tokens import token_create, token_revoke

pytestmark = pytest.mark.django_db

TOKENS_URL = "/accounts/tokens/"
REFUSAL = "You have 3 live tokens, the most a member may hold."


@pytest.fixture(autouse=True)
def three_tokens_each(settings):
    settings.API_TOKENS_PER_MEMBER = 3


def make_tokens(user, count: int) -> list[ApiToken]:
    return [token_create(user=user, name=f"Script {n}")[0] for n in range(count)]


def test_the_page_refuses_a_token_past_the_limit_and_says_why(alice_client, alice):
    make_tokens(alice, 3)

    response = alice_client.post(TOKENS_URL, {"name": "One too many"})

    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    assert response.context["new_token"] is None
    assert ApiToken.objects.filter(user=alice).count() == 3


def test_the_page_makes_tokens_up_to_the_limit(alice_client, alice):
    for n in range(3):
        response = alice_client.post(TOKENS_URL, {"name": f"Script {n}"})
        assert response.context["new_token"].startswith("cut_")

    assert ApiToken.objects.filter(user=alice).count() == 3


def test_a_revoked_token_frees_its_place(alice_client, alice):
    first, *_ = make_tokens(alice, 3)
    token_revoke(token=first, by=alice)

    response = alice_client.post(TOKENS_URL, {"name": "Replacement"})

    assert response.context["new_token"].startswith("cut_")
    assert ApiToken.objects.filter(user=alice, revoked_at=None).count() == 3


def test_one_members_tokens_do_not_count_against_another(bob_client, alice):
    make_tokens(alice, 3)

    response = bob_client.post(TOKENS_URL, {"name": "Bob's script"})

    assert response.context["new_token"].startswith("cut_")


def test_the_command_refuses_a_token_past_the_limit(alice):
    make_tokens(alice, 3)
    out = io.StringIO()

    with pytest.raises(CommandError, match=f"alice: {REFUSAL}"):
        call_command("create_api_token", "alice", stdout=out, stderr=io.StringIO())

    assert out.getvalue() == ""
    assert ApiToken.objects.filter(user=alice).count() == 3


def test_a_refused_form_works_when_sent_again_after_revoking(alice_client, alice):
    first, *_ = make_tokens(alice, 3)
    page = alice_client.get(TOKENS_URL).content.decode()
    once = re.search(r'name="once" value="([\w-]+)"', page).group(1)
    form = {"name": "Replacement", "once": once}
    assert alice_client.post(TOKENS_URL, form).context["new_token"] is None

    token_revoke(token=first, by=alice)

    assert alice_client.post(TOKENS_URL, form).context["new_token"].startswith("cut_")
