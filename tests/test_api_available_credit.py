"""GET /api/available-credit: the team's balance in the vendor's shape, without spending
the team's per-minute calls on it more than once a minute."""

import httpx
import pytest

from cutouts.models import CreditSnapshot
from cutouts.processing.queueing import get_limiter
from tests.api_calls import client_for, use_sandbox
from tests.sandbox_fixtures import credit_checks

pytestmark = pytest.mark.django_db

CREDIT = "/api/available-credit"


@pytest.fixture
def vendor(settings, sandbox, queue_redis):
    use_sandbox(settings, sandbox)
    return sandbox


def test_it_answers_exactly_as_the_vendor_does(alice, vendor):
    vendor.configure(credits=138)
    direct = httpx.get(
        f"{vendor.base_url}/available-credit", headers={"X-API-Key": vendor.key}
    ).json()

    response = client_for(alice).get(CREDIT)

    assert response.status_code == 200
    assert response.json() == direct
    assert direct["credit"] == 138


def test_a_balance_checked_within_the_minute_is_reused(alice, vendor):
    api = client_for(alice)
    api.get(CREDIT)

    for _ in range(5):
        assert api.get(CREDIT).json()["credit"] == 100

    assert credit_checks(vendor) == 1
    assert CreditSnapshot.objects.count() == 1


def test_with_no_free_slot_it_gives_the_last_known_balance(alice, vendor, settings):
    CreditSnapshot.objects.create(engine="sandbox", credit=42)
    CreditSnapshot.objects.filter().update(taken_at="2020-01-01T00:00:00Z")
    settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE = 1
    get_limiter().reserve()

    response = client_for(alice).get(CREDIT)

    assert response.json() == {"credit": 42, "expiration_date": None}
    assert credit_checks(vendor) == 0


def test_with_no_free_slot_and_nothing_known_it_gets_429(alice, vendor, settings):
    settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE = 1
    get_limiter().reserve()

    response = client_for(alice).get(CREDIT)

    assert response.status_code == 429
    assert response.json() == {"detail": "Rate limit (1 request/minute) exceeded"}


def test_a_refused_team_key_gets_503(alice, vendor, settings):
    settings.WITHOUTBG_API_KEY = "sk_live_the_wrong_team_key"

    response = client_for(alice).get(CREDIT)

    assert response.status_code == 503
    assert "team's API key" in response.json()["detail"]


def test_the_vendor_away_gets_502(alice, vendor, settings):
    settings.WITHOUTBG_BASE_URL = "http://127.0.0.1:9"

    response = client_for(alice).get(CREDIT)

    assert response.status_code == 502
    assert "127.0.0.1" not in response.json()["detail"]


def test_offline_matting_has_no_credit_to_count(alice, settings):
    settings.MATTING_ENGINE = "local"

    response = client_for(alice).get(CREDIT)

    assert response.json() == {"credit": None, "expiration_date": None}
