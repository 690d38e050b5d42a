"""Each token, and each member for all their tokens at once, has a per-minute limit: then 429."""

import pytest

from cutouts.models import ApiToken
from tests.api_calls import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def three_a_minute(settings, queue_redis):
    settings.API_TOKEN_RATE_LIMIT_PER_MINUTE = 3
    settings.API_MEMBER_RATE_LIMIT_PER_MINUTE = 5


def test_a_token_over_its_limit_gets_429_in_the_vendors_words(alice):
    api = client_for(alice)
    assert [api.get("/api/cutouts/v1/images").status_code for _ in range(3)] == [200] * 3

    response = api.get("/api/cutouts/v1/images")

    assert response.status_code == 429
    assert response.json() == {"detail": "Rate limit (3 request/minute) exceeded"}
    assert 55 <= int(response["Retry-After"]) <= 60


def test_refused_calls_do_not_count(alice, queue_redis):
    api = client_for(alice)
    for _ in range(3):
        api.get("/api/cutouts/v1/images")
    for _ in range(10):
        assert api.get("/api/cutouts/v1/images").status_code == 429

    # Only the three calls let through hold a place in the token's window, so
    # a script hammering the API is not locked out for longer than a minute.
    token = ApiToken.objects.get(user=alice)
    assert queue_redis.zcard(f"cutouts:ratelimit:token:{token.token_hash}") == 3


def test_each_token_has_its_own_limit(alice, bob):
    first, second, bobs = client_for(alice), client_for(alice, "Other"), client_for(bob)
    for _ in range(3):
        first.get("/api/cutouts/v1/images")

    assert first.get("/api/cutouts/v1/images").status_code == 429
    assert second.get("/api/cutouts/v1/images").status_code == 200
    assert bobs.get("/api/cutouts/v1/images").status_code == 200


def test_a_members_tokens_share_the_members_limit(alice, bob):
    first, second, third = (client_for(alice, name) for name in ["A", "B", "C"])
    for api in (first, first, first, second, second):
        assert api.get("/api/cutouts/v1/images").status_code == 200

    for api in (second, third):
        response = api.get("/api/cutouts/v1/images")
        assert response.status_code == 429
        assert response.json() == {"detail": "Rate limit (5 request/minute) exceeded"}
        assert 55 <= int(response["Retry-After"]) <= 60
    assert client_for(bob).get("/api/cutouts/v1/images").status_code == 200


def test_calls_one_limit_refuses_hold_no_place_under_the_other(alice, queue_redis):
    first, second = client_for(alice, "A"), client_for(alice, "B")
    for _ in range(3):
        first.get("/api/cutouts/v1/images")
    # Refused by the first token's limit: these take nothing from the member's.
    for _ in range(10):
        assert first.get("/api/cutouts/v1/images").status_code == 429
    assert [second.get("/api/cutouts/v1/images").status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]

    # Refused by the member's limit: that call takes nothing from the token's.
    token = ApiToken.objects.get(user=alice, name="B")
    assert queue_redis.zcard(f"cutouts:ratelimit:token:{token.token_hash}") == 2


def test_a_limit_of_zero_turns_it_off(alice, settings):
    settings.API_TOKEN_RATE_LIMIT_PER_MINUTE = 0
    settings.API_MEMBER_RATE_LIMIT_PER_MINUTE = 0
    api = client_for(alice)

    assert {api.get("/api/cutouts/v1/images").status_code for _ in range(10)} == {200}
