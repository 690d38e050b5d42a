"""The member's webhook deliveries page, an image's webhooks, and "Send again"."""

import django_rq
import pytest
from django.urls import reverse

from cutouts.models import WebhookAttempt, WebhookEvent
from cutouts.processing.queueing import WEBHOOK_QUEUE
from cutouts.teamapi.tokens import token_revoke
from tests.webhooks_helpers import SECRET, finished_submission

URL = "https://hooks.example.com/cutouts"


@pytest.fixture(autouse=True)
def _queue(queue_redis):
    pass


def event_for(user, *, status=WebhookEvent.Status.DELIVERED, kind="image.done") -> WebhookEvent:
    submission = finished_submission(user, URL)
    event = WebhookEvent.objects.create(
        submission=submission,
        kind=kind,
        url=URL,
        payload='{"id": "evt_x", "type": "image.done"}',
        status=status,
        attempts=2,
    )
    WebhookAttempt.objects.create(
        event=event,
        number=1,
        http_status=500,
        ok=False,
        latency_ms=812,
        error="The receiver answered 500.",
    )
    WebhookAttempt.objects.create(event=event, number=2, http_status=204, ok=True, latency_ms=35)
    return event


def test_members_see_their_own_events_with_each_attempt(alice_client, alice, bob):
    mine = event_for(alice)
    event_for(bob, kind="image.failed")

    page = alice_client.get(reverse("webhook_list")).content.decode()

    assert "image.done" in page and "image.failed" not in page
    assert mine.submission.image.original_name in page
    assert reverse("image_detail", args=[mine.submission.image_id]) in page
    assert "HTTP 204 in 35 ms" in page  # the last answer
    assert "The receiver answered 500." in page and "812 ms" in page
    assert reverse("webhook_send_again", args=[mine.pk]) in page
    assert SECRET not in page


def test_admins_see_only_their_own_events_on_the_page(admin_client_, alice):
    event_for(alice)

    page = admin_client_.get(reverse("webhook_list")).content.decode()

    assert "image.done" not in page
    assert "No webhook events yet" in page


def test_the_tokens_page_links_to_the_deliveries(alice_client):
    page = alice_client.get(reverse("token_list")).content.decode()
    assert reverse("webhook_list") in page


def test_an_images_page_shows_its_events_to_its_owner_only(alice_client, admin_client_, alice):
    event = event_for(alice)
    image_page = reverse("image_detail", args=[event.submission.image_id])

    assert "image.done" in alice_client.get(image_page).content.decode()
    assert "Webhooks" not in admin_client_.get(image_page).content.decode()


def test_send_again_queues_an_attempt_and_comes_back(alice_client, alice):
    event = event_for(alice)

    response = alice_client.post(reverse("webhook_send_again", args=[event.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("webhook_list")
    [job] = django_rq.get_queue(WEBHOOK_QUEUE).get_jobs()
    assert (job.func_name, job.args) == ("cutouts.jobs.resend_webhook", (event.pk,))
    # Nothing is sent from the web request itself.
    assert event.tries.count() == 2


def test_send_again_from_an_images_page_returns_to_it(alice_client, alice):
    event = event_for(alice)

    response = alice_client.post(reverse("webhook_send_again", args=[event.pk]), {"next": "image"})

    assert response["Location"] == reverse("image_detail", args=[event.submission.image_id])


def test_events_of_a_revoked_token_cannot_be_sent_again(alice_client, alice):
    event = event_for(alice, status=WebhookEvent.Status.STOPPED)
    token_revoke(token=event.submission.token, by=alice)

    page = alice_client.get(reverse("webhook_list")).content.decode()
    assert reverse("webhook_send_again", args=[event.pk]) not in page
    response = alice_client.post(reverse("webhook_send_again", args=[event.pk]), follow=True)

    assert "revoked" in response.content.decode()
    assert not django_rq.get_queue(WEBHOOK_QUEUE).get_jobs()


def test_no_one_sends_another_members_event_again(bob_client, admin_client_, alice):
    event = event_for(alice)
    url = reverse("webhook_send_again", args=[event.pk])

    assert bob_client.post(url).status_code == 404
    assert admin_client_.post(url).status_code == 404
    assert not django_rq.get_queue(WEBHOOK_QUEUE).get_jobs()
