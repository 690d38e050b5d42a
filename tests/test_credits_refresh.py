"""A credit check keeps what the engine said as a snapshot, or why it could not say."""

from datetime import UTC, datetime

import pytest

from cutouts import jobs
from cutouts.models import CreditSnapshot, ProcessingState
from cutouts.processing.credits import credits_refresh
from cutouts.processing.queueing import get_limiter
from tests.sandbox_fixtures import credit_checks

pytestmark = pytest.mark.django_db

CLOSED_PORT_URL = "http://127.0.0.1:9"


def test_it_keeps_the_balance_and_expiry_the_api_reports(api):
    api.configure(credits=420, expires_at="2027-03-01 23:59:59")

    snapshot = credits_refresh()

    assert (snapshot.engine, snapshot.credit, snapshot.error) == ("sandbox", 420, "")
    assert snapshot.expires_at == datetime(2027, 3, 1, 23, 59, 59, tzinfo=UTC)
    assert list(CreditSnapshot.objects.all()) == [snapshot]


def test_the_periodic_job_keeps_a_snapshot_too(api):
    api.configure(credits=77)

    jobs.refresh_credits()

    assert CreditSnapshot.objects.get().credit == 77


def test_an_unreachable_api_is_kept_as_an_error(api, settings):
    settings.WITHOUTBG_BASE_URL = CLOSED_PORT_URL

    snapshot = credits_refresh()

    assert snapshot.credit is None
    assert snapshot.error.startswith(f"Could not reach {CLOSED_PORT_URL}")
    assert api.key not in snapshot.error
    assert ProcessingState.load().pause == ""


def test_a_refused_key_is_kept_with_the_apis_words_and_pauses_processing(api, settings):
    settings.WITHOUTBG_API_KEY = "sk_test_not_a_key_the_sandbox_knows"

    snapshot = credits_refresh()

    assert "Invalid API Key (HTTP 401)" in snapshot.error
    assert "sk_test_not_a_key" not in snapshot.error
    assert ProcessingState.load().pause == ProcessingState.Pause.INVALID_KEY


def test_it_skips_the_round_when_processing_has_every_rate_limit_slot(api, settings):
    settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE = 1
    get_limiter().reserve()  # a processing call took the one slot

    assert credits_refresh() is None

    assert not CreditSnapshot.objects.exists()
    assert credit_checks(api) == 0


def test_the_offline_model_is_kept_as_not_metered(settings):
    settings.MATTING_ENGINE = "local"

    snapshot = credits_refresh()

    assert (snapshot.engine, snapshot.credit, snapshot.error) == ("local-u2netp", None, "")
