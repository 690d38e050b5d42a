from datetime import timedelta

import pytest
from django.contrib.auth.backends import BaseBackend
from django.utils import timezone

from cutouts.models import LoginFailure
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
REFUSAL = b"Too many failed sign-in attempts. Try again in"


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 5
    settings.LOGIN_FAILURE_NAME_LIMIT = 50
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 600


def sign_in(client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail(client, username: str, times: int, ip: str = "10.0.0.1") -> None:
    for _ in range(times):
        assert sign_in(client, username, "wrong", ip).status_code == 200


def test_it_refuses_a_username_from_the_address_that_failed_it_too_often(client, alice):
    fail(client, "alice", 3)
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert REFUSAL in response.content
    assert "_auth_user_id" not in client.session


def test_the_same_username_signs_in_from_another_address(client, alice):
    fail(client, "alice", 3)
    assert sign_in(client, "alice", PASSWORD, ip="10.9.9.9").status_code == 302


def test_it_allows_sign_in_below_the_limit(client, alice):
    fail(client, "alice", 2)
    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_it_refuses_an_address_after_failures_for_any_usernames(client, alice):
    for name in ["mallory", "trent", "eve", "oscar", "peggy"]:
        fail(client, name, 1)
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert REFUSAL in response.content
    assert sign_in(client, "alice", PASSWORD, ip="10.0.0.2").status_code == 302


def test_it_says_how_many_minutes_to_wait(client, alice):
    fail(client, "alice", 3)
    LoginFailure.objects.update(created_at=timezone.now() - timedelta(minutes=6, seconds=30))
    response = sign_in(client, "alice", PASSWORD)
    assert b"Too many failed sign-in attempts. Try again in 4 minutes." in response.content


def test_it_says_minute_for_the_last_minute(client, alice):
    fail(client, "alice", 3)
    LoginFailure.objects.update(created_at=timezone.now() - timedelta(minutes=9, seconds=30))
    response = sign_in(client, "alice", PASSWORD)
    assert b"Try again in 1 minute." in response.content


def test_it_allows_sign_in_once_failures_leave_the_window(client, alice):
    fail(client, "alice", 3)
    LoginFailure.objects.update(created_at=timezone.now() - timedelta(seconds=601))
    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_it_refuses_until_the_limit_th_latest_failure_leaves_the_window(client, alice):
    now = timezone.now()
    for minutes_ago in [12, 4, 3, 2]:
        failure = LoginFailure.objects.create(username="alice", ip_address="10.0.0.9")
        failure.created_at = now - timedelta(minutes=minutes_ago)
        failure.save()
    response = sign_in(client, "alice", PASSWORD, ip="10.0.0.9")
    assert b"Try again in 6 minutes." in response.content


class RecordingBackend(BaseBackend):
    """An authentication backend that notes each username it is asked to check, and checks none."""

    checked: list[str] = []

    def authenticate(self, request, username=None, password=None, **kwargs):
        self.checked.append(username)
        return None


@pytest.fixture
def password_checks(settings):
    settings.AUTHENTICATION_BACKENDS = [
        f"{__name__}.RecordingBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    RecordingBackend.checked.clear()
    yield RecordingBackend.checked
    RecordingBackend.checked.clear()


def test_it_checks_the_password_when_not_refusing(client, alice, password_checks):
    fail(client, "alice", 2)
    password_checks.clear()

    assert sign_in(client, "alice", PASSWORD).status_code == 302
    assert password_checks == ["alice"]


def test_it_does_not_check_the_password_while_refusing(client, alice, password_checks):
    fail(client, "alice", 3)
    assert password_checks == ["alice"] * 3
    password_checks.clear()

    assert sign_in(client, "alice", PASSWORD).status_code == 429
    assert password_checks == []


def test_it_does_not_count_refused_attempts(client, alice):
    fail(client, "alice", 3)
    sign_in(client, "alice", "wrong")
    assert LoginFailure.objects.count() == 3


def test_it_clears_the_usernames_failures_from_that_address_on_success(client, alice):
    fail(client, "alice", 2)
    fail(client, "alice", 2, ip="10.6.6.6")
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    assert list(LoginFailure.objects.values_list("ip_address", flat=True)) == ["10.6.6.6"] * 2


def test_it_counts_usernames_whatever_their_case(client, alice):
    fail(client, "Alice", 2)
    fail(client, "ALICE", 1)
    assert sign_in(client, "alice", PASSWORD).status_code == 429


def test_it_ignores_forwarded_for_headers(client, alice):
    for n in range(3):
        client.post(
            LOGIN_URL,
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    assert sign_in(client, "alice", PASSWORD).status_code == 429


def test_it_prunes_failures_older_than_the_window(client):
    LoginFailure.objects.create(username="old", ip_address="10.0.0.9")
    LoginFailure.objects.update(created_at=timezone.now() - timedelta(seconds=601))
    fail(client, "someone", 1)
    assert list(LoginFailure.objects.values_list("username", flat=True)) == ["someone"]


def test_it_records_overlong_usernames_without_error(client):
    response = client.post(LOGIN_URL, {"username": "x" * 500, "password": "wrong"})
    assert response.status_code == 200


def test_it_throttles_the_admin_sign_in_too(client, admin_user):
    fail(client, "root", 3)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
    )
    assert response.status_code == 200
    assert REFUSAL in response.content
    assert "_auth_user_id" not in client.session
