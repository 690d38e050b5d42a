"""Delivering webhook events to a real receiver on 127.0.0.1, one attempt at a time, here."""

import json
import threading
import time
from datetime import timedelta

import django_rq
import pytest
from django.db import connection
from django.utils import timezone

from cutouts.models import WebhookEvent
from cutouts.processing.queueing import WEBHOOK_QUEUE
from cutouts.teamapi import webhook_deliveries, webhook_events
from cutouts.teamapi.tokens import token_revoke
from tests.webhooks_helpers import SECRET, finished_submission, signature_verifies


@pytest.fixture(autouse=True)
def _webhook_settings(settings, queue_redis):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 1.0
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.01
    settings.WEBHOOK_RETRY_MAX_SECONDS = 0.02
    settings.WEBHOOK_GIVE_UP_HOURS = 24.0
    settings.SITE_URL = "https://cutouts.example.com"


def image_done_event(user, receiver, **options) -> WebhookEvent:
    submission = finished_submission(user, receiver.url, **options)
    event = webhook_events.event_create(submission=submission, kind="image.done")
    assert event is not None
    return event


def deliver_until_settled(event: WebhookEvent, *, most: int = 10) -> WebhookEvent:
    """Run the event's attempts one after the other, each once it is due (back-off is tiny)."""
    for _ in range(most):
        event.refresh_from_db()
        if event.status != WebhookEvent.Status.PENDING:
            return event
        while event.next_attempt_at > timezone.now():
            time.sleep(0.01)
        webhook_deliveries.webhook_deliver(event_id=event.pk)
    event.refresh_from_db()
    return event


def test_a_delivery_is_the_stored_payload_signed_with_the_tokens_secret(db, alice, receiver):
    event = image_done_event(alice, receiver)

    webhook_deliveries.webhook_deliver(event_id=event.pk)

    [request] = receiver.hooks()
    assert request.body == event.payload.encode()
    assert signature_verifies(request)
    assert not signature_verifies(request, secret="whsec_someone_else")
    assert abs(int(request.headers["Cutouts-Timestamp"]) - time.time()) < 10
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "Cutouts-Webhooks/1"
    assert request.headers["Cutouts-Event"] == "image.done"
    assert request.headers["Cutouts-Delivery"] == f"evt_{event.pk}"
    body = json.loads(request.body)
    assert body["id"] == f"evt_{event.pk}"
    assert body["type"] == "image.done"
    assert body["data"]["image"]["id"] == event.submission.image_id
    assert body["data"]["image"]["url"].startswith("https://cutouts.example.com/api/")
    assert SECRET not in request.body.decode()
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DELIVERED
    assert event.delivered_at is not None and event.next_attempt_at is None
    [attempt] = event.tries.all()
    assert (attempt.number, attempt.http_status, attempt.ok, attempt.manual) == (
        1,
        200,
        True,
        False,
    )


def test_a_failing_receiver_is_tried_again_until_it_answers_2xx(db, alice, receiver):
    receiver.answer_next("fail", "fail")
    event = image_done_event(alice, receiver)

    event = deliver_until_settled(event)

    assert event.status == WebhookEvent.Status.DELIVERED
    assert [(a.number, a.http_status, a.ok) for a in event.tries.all()] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert event.attempts == 3
    assert "500" in event.tries.first().error
    # Every try is the same event, with the same body, signed anew.
    bodies = {request.body for request in receiver.hooks()}
    assert bodies == {event.payload.encode()}
    assert all(signature_verifies(request) for request in receiver.hooks())


def test_a_failed_attempt_is_queued_again_after_a_back_off(db, settings, alice, receiver):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 3600
    receiver.answer_next("fail")
    event = image_done_event(alice, receiver)

    webhook_deliveries.webhook_deliver(event_id=event.pk)

    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PENDING
    wait = (event.next_attempt_at - timezone.now()).total_seconds()
    assert 14 < wait <= 31  # half the base, up to as much again of jitter, to the second
    scheduled = django_rq.get_queue(WEBHOOK_QUEUE).scheduled_job_registry.get_job_ids()
    assert scheduled == [webhook_deliveries.delivery_job_id(event.pk, event.next_attempt_at)]
    # Not due yet: a copy of the job running early does nothing.
    webhook_deliveries.webhook_deliver(event_id=event.pk)
    assert len(receiver.hooks()) == 1


def test_a_redirect_is_a_failure_and_is_not_followed(db, alice, receiver):
    receiver.answer_next("redirect")
    event = image_done_event(alice, receiver)

    webhook_deliveries.webhook_deliver(event_id=event.pk)

    [attempt] = event.tries.all()
    assert attempt.http_status == 302 and not attempt.ok
    assert "not followed" in attempt.error
    assert [request.path for request in receiver.received] == ["/hook"]
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PENDING


def test_a_slow_receiver_is_cut_off_at_the_timeout_and_tried_again(db, alice, receiver):
    receiver.slow_seconds = 3
    receiver.answer_next("slow")
    event = image_done_event(alice, receiver)

    event = deliver_until_settled(event)

    first, second = event.tries.all()
    assert first.http_status is None and not first.ok
    assert "within 1 s" in first.error
    assert 900 <= first.latency_ms < 1500
    assert second.ok
    assert event.status == WebhookEvent.Status.DELIVERED


def test_an_address_refused_since_the_url_was_given_is_refused_at_delivery(
    db, settings, alice, receiver
):
    event = image_done_event(alice, receiver)
    settings.WEBHOOK_ALLOWED_NETWORKS = []  # as if DNS now pointed the name at 127.0.0.1

    webhook_deliveries.webhook_deliver(event_id=event.pk)

    assert receiver.received == []
    [attempt] = event.tries.all()
    assert not attempt.ok and attempt.http_status is None
    assert "loopback" in attempt.error
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PENDING  # it may change back


def test_an_event_is_given_up_after_the_window(db, settings, alice, receiver):
    settings.WEBHOOK_GIVE_UP_HOURS = 0.5
    receiver.answer_next(*["fail"] * 20)
    event = image_done_event(alice, receiver)
    WebhookEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(minutes=29, seconds=59.9)
    )

    event = deliver_until_settled(event)

    assert event.status == WebhookEvent.Status.FAILED
    assert event.next_attempt_at is None
    assert event.tries.count() >= 1
    assert len(receiver.hooks()) == event.tries.count()


def test_a_revoked_token_stops_its_webhooks(db, alice, receiver):
    event = image_done_event(alice, receiver)
    token_revoke(token=event.submission.token, by=alice)

    webhook_deliveries.webhook_deliver(event_id=event.pk)

    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.STOPPED
    assert receiver.received == []
    assert not event.tries.exists()
    with pytest.raises(webhook_deliveries.SendAgainRefused, match="revoked"):
        webhook_deliveries.webhook_send_again(event=event)


def test_an_event_made_after_its_token_was_revoked_is_stopped_at_once(db, alice, receiver):
    submission = finished_submission(alice, receiver.url)
    token_revoke(token=submission.token, by=alice)

    event = webhook_events.event_create(submission=submission, kind="image.done")

    assert event.status == WebhookEvent.Status.STOPPED
    assert event.next_attempt_at is None


def test_send_again_makes_a_manual_attempt_beside_the_schedule(db, alice, receiver):
    event = image_done_event(alice, receiver)
    webhook_deliveries.webhook_deliver(event_id=event.pk)
    event.refresh_from_db()

    webhook_deliveries.webhook_send_again(event=event)
    [job] = django_rq.get_queue(WEBHOOK_QUEUE).get_jobs()
    assert job.func_name == "cutouts.jobs.resend_webhook" and job.args == (event.pk,)
    webhook_deliveries.webhook_deliver_manual(event_id=event.pk)

    assert len(receiver.hooks()) == 2
    assert all(signature_verifies(request) for request in receiver.hooks())
    assert [(a.number, a.manual) for a in event.tries.all()] == [(1, False), (2, True)]
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DELIVERED


def test_send_again_delivers_an_event_given_up_on(db, settings, alice, receiver):
    settings.WEBHOOK_GIVE_UP_HOURS = 0
    receiver.answer_next("fail")
    event = image_done_event(alice, receiver)
    webhook_deliveries.webhook_deliver(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED

    webhook_deliveries.webhook_deliver_manual(event_id=event.pk)

    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DELIVERED
    assert [a.ok for a in event.tries.all()] == [False, True]


def test_a_manual_attempt_that_fails_leaves_the_schedule_alone(db, alice, receiver):
    receiver.answer_next("fail")
    event = image_done_event(alice, receiver)
    due = event.next_attempt_at

    webhook_deliveries.webhook_deliver_manual(event_id=event.pk)

    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PENDING
    assert event.next_attempt_at == due


def test_two_copies_of_one_attempt_post_once(transactional_db, alice, receiver):
    receiver.slow_seconds = 0.5
    receiver.answer_next("slow", "slow")
    event = image_done_event(alice, receiver)

    def deliver() -> None:
        try:
            webhook_deliveries.webhook_deliver(event_id=event.pk)
        finally:
            connection.close()

    copies = [threading.Thread(target=deliver) for _ in range(2)]
    for copy in copies:
        copy.start()
    for copy in copies:
        copy.join()

    assert len(receiver.hooks()) == 1
    assert event.tries.count() == 1


def test_the_sweep_queues_again_an_attempt_whose_job_redis_lost(db, alice, receiver, queue_redis):
    event = image_done_event(alice, receiver)
    long_ago = timezone.now() - timedelta(minutes=5)
    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=long_ago)

    assert webhook_deliveries.deliveries_sweep() == 1
    # Its job is back: a second sweep leaves it be.
    assert webhook_deliveries.deliveries_sweep() == 0
    [job] = django_rq.get_queue(WEBHOOK_QUEUE).get_jobs()
    assert job.id == webhook_deliveries.delivery_job_id(event.pk, long_ago)
    webhook_deliveries.webhook_deliver(event_id=job.args[0])
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DELIVERED


def test_a_job_run_within_the_schedulers_second_is_on_time(db, alice, receiver):
    # RQ's scheduler keeps times to the second: it may start a job a moment before its time.
    event = image_done_event(alice, receiver)
    WebhookEvent.objects.filter(pk=event.pk).update(
        next_attempt_at=timezone.now() + timedelta(seconds=0.9)
    )

    webhook_deliveries.webhook_deliver(event_id=event.pk)

    assert len(receiver.hooks()) == 1
