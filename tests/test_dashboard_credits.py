"""The dashboard's credit figures: balance, expiry, engine, and what to do when one is wrong."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cutouts.models import CreditSnapshot, ProcessingState
from tests.ledger import snapshot

pytestmark = pytest.mark.django_db

CLOSED_PORT_URL = "http://127.0.0.1:9"


def dashboard(client) -> str:
    response = client.get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_balance_expiry_engine_and_address(api, admin_client_):
    api.configure(credits=4321, expires_at="2099-09-05 23:59:59")

    response = admin_client_.post("/dashboard/refresh-credits/", follow=True)

    page = response.content.decode()
    assert "Credits checked just now." in page
    assert "data-credit-balance>4,321<" in page
    assert "5 Sep 2099" in page
    assert "Engine <strong>sandbox</strong>" in page
    assert api.base_url in page
    assert "API key set" in " ".join(page.split())
    assert CreditSnapshot.objects.count() == 1


def test_the_api_key_never_appears_on_the_page(api, admin_client_, settings):
    admin_client_.post("/dashboard/refresh-credits/")
    settings.WITHOUTBG_API_KEY = "sk_test_refused_key_0123456789"
    refused = admin_client_.post("/dashboard/refresh-credits/", follow=True)

    for page in (dashboard(admin_client_), refused.content.decode()):
        assert api.key not in page
        assert "sk_test_refused_key" not in page


def test_an_unreachable_api_shows_the_last_known_figure_and_its_age(api, admin_client_, settings):
    snapshot(credit=420, at=timezone.now() - timedelta(hours=3))
    settings.WITHOUTBG_BASE_URL = CLOSED_PORT_URL

    response = admin_client_.post("/dashboard/refresh-credits/", follow=True)

    page = " ".join(response.content.decode().split())
    assert f"The credit check failed: Could not reach {CLOSED_PORT_URL}" in page
    assert "The last credit check failed" in page
    assert "data-credit-balance>420<" in page
    assert "Last known figure, from 3 hours ago: the latest check failed." in page


def test_an_unreachable_api_with_no_figure_yet_says_so(admin_client_, settings):
    settings.MATTING_ENGINE = "api"
    settings.WITHOUTBG_BASE_URL = CLOSED_PORT_URL
    admin_client_.post("/dashboard/refresh-credits/")

    page = dashboard(admin_client_)

    assert "No check has succeeded yet." in page
    assert "Could not reach" in page


@pytest.mark.parametrize(
    ("pause", "status", "what_to_do"),
    [
        (ProcessingState.Pause.INVALID_KEY, 401, "Check WITHOUTBG_API_KEY"),
        (ProcessingState.Pause.NO_CREDIT, 402, "Top them up"),
        (ProcessingState.Pause.EXPIRED, 403, "Renew them"),
    ],
)
def test_a_pause_is_shown_first_with_what_to_do(admin_client_, pause, status, what_to_do):
    ProcessingState.objects.create(pk=1, pause=pause, detail="As the API put it.")

    page = dashboard(admin_client_)

    attention = page[page.index('class="dash-attention"') :]
    first = attention[: attention.index("</div>")]
    assert 'class="attention bad"' in first
    assert f"Processing is paused: {pause.label} (HTTP {status})" in first
    assert what_to_do in first
    assert "The API said: As the API put it." in first


def test_a_refused_key_on_a_credit_check_is_shown_as_a_pause(api, admin_client_, settings):
    settings.WITHOUTBG_API_KEY = "sk_test_wrong"

    admin_client_.post("/dashboard/refresh-credits/")

    assert "(HTTP 401)" in dashboard(admin_client_)


def test_the_offline_model_has_no_credits_to_count(admin_client_, settings):
    settings.MATTING_ENGINE = "local"
    admin_client_.post("/dashboard/refresh-credits/")

    page = dashboard(admin_client_)

    assert "Unlimited" in page
    assert "Engine <strong>local-u2netp</strong>" in page
