"""When the team's pipeline cannot finish an image, the caller gets the vendor's code for why,
never a 401 about their own token, and the image stays in their library."""

import pytest
from rq import Queue

from cutouts.models import Image, MemberBudget, ProcessingState
from tests.api_calls import base64_body, client_for
from tests.images import product_photo

# Every test here runs the team API's pipeline, jobs and all, on the sandbox.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("pipeline")]

CALL = "/api/v1.0/alpha-channel-base64"


def test_no_credit_left_gets_402(alice, pipeline):
    pipeline.configure(credits=0)
    api = client_for(alice)

    response = api.post_json(CALL, base64_body(product_photo()))

    assert response.status_code == 402
    assert response.json() == {"detail": "Insufficient credit. Please top up API credits."}
    assert Image.objects.get().status == Image.Status.WAITING_CREDITS
    # Paused now: the next call is answered at once, without asking the vendor.
    calls_before = pipeline.state()["calls"]
    assert api.post_json(CALL, base64_body(product_photo(1))).status_code == 402
    assert pipeline.state()["calls"] == calls_before


def test_expired_credits_get_403(alice, pipeline):
    pipeline.configure(expires_at="2020-01-01T00:00:00")

    response = client_for(alice).post_json(CALL, base64_body(product_photo()))

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Credits Expired. Please top up API credits.")


def test_a_refused_team_key_gets_503_not_401(alice, settings):
    settings.WITHOUTBG_API_KEY = "sk_live_the_wrong_team_key"

    response = client_for(alice).post_json(CALL, base64_body(product_photo()))

    assert response.status_code == 503
    assert "team's API key" in response.json()["detail"]
    assert ProcessingState.load().pause == ProcessingState.Pause.INVALID_KEY


def test_an_image_the_vendor_refuses_gets_502_with_the_reason(alice, pipeline):
    pipeline.inject(error_rate=1.0, error_status=415)

    response = client_for(alice).post_json(CALL, base64_body(product_photo()))

    assert response.status_code == 502
    assert response.json()["detail"].startswith("Processing failed: The API could not process")
    assert Image.objects.get().status == Image.Status.FAILED


def test_a_slow_job_gets_504_and_finishes_in_the_library(alice, settings, queue_redis):
    settings.API_WAIT_SECONDS = 0.5
    # Queued for the workers, as in production, and no worker is running: the job waits.
    settings.RQ_QUEUES = {
        name: {**queue, "ASYNC": True} for name, queue in settings.RQ_QUEUES.items()
    }

    response = client_for(alice).post_json(CALL, base64_body(product_photo()))

    assert response.status_code == 504
    assert response.json() == {
        "detail": "Processing did not finish within 0.5 s; "
        "the image is in your library and will finish there."
    }
    image = Image.objects.get()
    assert image.status == Image.Status.QUEUED
    assert Queue("default", connection=queue_redis).job_ids == [image.job_id]


def test_a_member_over_their_monthly_budget_gets_402_naming_the_budget(alice, pipeline):
    MemberBudget.objects.create(user=alice, monthly_credits=1)
    api = client_for(alice)
    assert api.post_json(CALL, base64_body(product_photo(1))).status_code == 200

    response = api.post_json(CALL, base64_body(product_photo(2)))

    assert response.status_code == 402
    assert response.json()["detail"].startswith("Over your monthly budget (1 credit): waits")
    assert Image.objects.filter(status=Image.Status.OVER_BUDGET).count() == 1
    assert pipeline.state()["charges"] == 1
