"""Password reset e-mails are limited per account and per address, and the page never says so."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("queue_redis")]

RESET_URL = "/accounts/password_reset/"
DONE_URL = "/accounts/password_reset/done/"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.PASSWORD_RESET_ACCOUNT_LIMIT = 3
    settings.PASSWORD_RESET_ADDRESS_LIMIT = 10
    settings.PASSWORD_RESET_WINDOW_SECONDS = 3600


def ask_reset(client, email: str, ip: str = "192.0.2.1"):
    response = client.post(RESET_URL, {"email": email}, REMOTE_ADDR=ip)
    assert (response.status_code, response.url) == (302, DONE_URL)
    return response


def an_hour_passes(redis) -> None:
    for key in redis.scan_iter("cutouts:ratelimit:password-reset:*"):
        scores = redis.zrange(key, 0, -1, withscores=True)
        redis.zadd(key, {member: score - 3601 for member, score in scores})


def test_an_account_gets_three_reset_mails_an_hour_whatever_the_address(client, alice, mailoutbox):
    for n in range(6):
        ask_reset(client, "alice@example.com", ip=f"192.0.2.{n}")

    assert len(mailoutbox) == 3
    assert {tuple(mail.to) for mail in mailoutbox} == {("alice@example.com",)}


def test_an_over_the_limit_request_is_answered_like_any_other(client, alice, mailoutbox):
    answers = [ask_reset(client, "alice@example.com") for _ in range(4)]
    unknown = ask_reset(client, "nobody@example.com")

    assert len(mailoutbox) == 3
    pages = [client.get(answer.url).content for answer in [*answers, unknown]]
    assert len(set(pages)) == 1


def test_the_account_limit_ignores_the_e_mail_addresses_case(client, alice, mailoutbox):
    for email in [
        "alice@example.com",
        "Alice@Example.com",
        "ALICE@EXAMPLE.COM",
        "alice@example.com",
    ]:
        ask_reset(client, email)

    assert len(mailoutbox) == 3


def test_one_accounts_limit_does_not_hold_up_another(client, alice, bob, mailoutbox):
    for _ in range(4):
        ask_reset(client, "alice@example.com")
    ask_reset(client, "bob@example.com")

    assert [mail.to for mail in mailoutbox][-1] == ["bob@example.com"]
    assert len(mailoutbox) == 4


def test_an_address_gets_ten_requests_an_hour_whatever_the_accounts(client, alice, mailoutbox):
    for n in range(10):
        ask_reset(client, f"someone{n}@example.com")

    ask_reset(client, "alice@example.com")
    assert mailoutbox == []

    ask_reset(client, "alice@example.com", ip="192.0.2.99")
    assert len(mailoutbox) == 1


def test_mail_goes_out_again_an_hour_later(client, alice, mailoutbox, queue_redis):
    for _ in range(4):
        ask_reset(client, "alice@example.com")
    assert len(mailoutbox) == 3

    an_hour_passes(queue_redis)
    ask_reset(client, "alice@example.com")

    assert len(mailoutbox) == 4
