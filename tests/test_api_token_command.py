"""manage.py create_api_token: a working token, alone on the last line, for automation."""

import io

import pytest
from django.core.management import CommandError, call_command

from cutouts.models import ApiToken
from cutouts.teamapi.tokens import token_authenticate

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_prints_a_working_token_alone_on_its_last_line(alice):
    out, _ = _run("alice", "--name", "CI deploys")

    raw = out.strip().splitlines()[-1]
    token = token_authenticate(raw)
    assert token is not None
    assert (token.user, token.name) == (alice, "CI deploys")


def test_it_names_the_token_when_not_told(alice):
    _run("alice")

    assert ApiToken.objects.get(user=alice).name == "Command line"


def test_it_refuses_an_unknown_user(alice):
    with pytest.raises(CommandError, match="no active user called 'nobody'"):
        _run("nobody")
    assert not ApiToken.objects.exists()


def test_it_refuses_a_name_too_long(alice):
    with pytest.raises(CommandError, match="--name"):
        _run("alice", "--name", "x" * 81)
