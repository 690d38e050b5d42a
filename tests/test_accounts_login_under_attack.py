"""Failing for someone else's username never locks them out; past a ceiling it only slows tries."""

import re
from datetime import timedelta

import pytest
from django.db.models import F

from cutouts.models import LoginFailure
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
ALICES_ADDRESS = "192.0.2.10"
SLOWED = "Too many sign-in attempts for this account. Try again in"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 20
    settings.LOGIN_FAILURE_NAME_LIMIT = 10
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900


def sign_in(client, password: str, ip: str):
    return client.post(LOGIN_URL, {"username": "alice", "password": password}, REMOTE_ADDR=ip)


def mallory_fails_for_alice(client, *, times: int, addresses: int) -> None:
    for n in range(times):
        response = sign_in(client, "guess", f"203.0.113.{n % addresses}")
        assert "_auth_user_id" not in client.session
        assert response.status_code in (200, 429)


def time_passes(seconds: float) -> None:
    LoginFailure.objects.update(created_at=F("created_at") - timedelta(seconds=seconds))


def test_alice_signs_in_while_mallory_fails_100_times_for_alice_from_another_address(client, alice):
    mallory_fails_for_alice(client, times=100, addresses=1)

    assert sign_in(client, PASSWORD, ALICES_ADDRESS).status_code == 302


def test_alice_signs_in_at_once_while_mallory_fails_100_times_from_100_addresses(client, alice):
    mallory_fails_for_alice(client, times=100, addresses=100)
    assert LoginFailure.objects.filter(username="alice").count() == 100

    assert sign_in(client, PASSWORD, ALICES_ADDRESS).status_code == 302


def test_mallory_is_locked_out_of_alice_from_his_own_address(client, alice):
    mallory_fails_for_alice(client, times=100, addresses=1)

    response = sign_in(client, PASSWORD, "203.0.113.0")

    assert response.status_code == 429
    assert b"Too many failed sign-in attempts. Try again in 15 minutes." in response.content
    assert LoginFailure.objects.count() == 5


def test_under_attack_alice_waits_a_second_after_a_typo_then_signs_in(client, alice):
    mallory_fails_for_alice(client, times=20, addresses=20)
    sign_in(client, "typo", ALICES_ADDRESS)

    response = sign_in(client, PASSWORD, ALICES_ADDRESS)
    assert response.status_code == 429
    assert f"{SLOWED} 1 second.".encode() in response.content

    time_passes(1)
    assert sign_in(client, PASSWORD, ALICES_ADDRESS).status_code == 302


def test_under_attack_the_wait_doubles_with_each_failure_from_the_address(client, alice):
    mallory_fails_for_alice(client, times=20, addresses=20)
    waits = []
    for _ in range(4):
        sign_in(client, "typo", ALICES_ADDRESS)
        page = sign_in(client, PASSWORD, ALICES_ADDRESS).content.decode()
        waits.append(re.search(rf"{SLOWED} (\d+ seconds?)\.", page).group(1))
        time_passes(8)

    assert waits == ["1 second", "2 seconds", "4 seconds", "8 seconds"]


def test_under_attack_the_wait_is_never_longer_than_8_seconds(client, alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 50
    mallory_fails_for_alice(client, times=20, addresses=20)
    for _ in range(10):
        sign_in(client, "typo", ALICES_ADDRESS)
        time_passes(8)
    sign_in(client, "typo", ALICES_ADDRESS)

    assert f"{SLOWED} 8 seconds.".encode() in sign_in(client, PASSWORD, ALICES_ADDRESS).content


def test_a_slowed_try_neither_counts_nor_checks_the_password(client, alice):
    mallory_fails_for_alice(client, times=20, addresses=20)
    sign_in(client, "typo", ALICES_ADDRESS)
    before = LoginFailure.objects.count()

    assert sign_in(client, "another guess", ALICES_ADDRESS).status_code == 429
    assert sign_in(client, PASSWORD, ALICES_ADDRESS).status_code == 429
    assert LoginFailure.objects.count() == before


def test_below_the_ceiling_a_typo_costs_no_wait(client, alice):
    mallory_fails_for_alice(client, times=8, addresses=8)
    sign_in(client, "typo", ALICES_ADDRESS)

    assert sign_in(client, PASSWORD, ALICES_ADDRESS).status_code == 302
