"""Webhooks end to end on real workers: an image sent with a webhook, processed by `rqworker`
processes, announced to a real receiver on 127.0.0.1."""

import pytest

from cutouts.models import Image, WebhookEvent
from cutouts.processing.queueing import QUEUE, QUEUES, RENDER_QUEUE, WEBHOOK_QUEUE
from cutouts.teamapi import webhook_events
from cutouts.teamapi.tokens import token_revoke
from tests.sandbox_fixtures import charges
from tests.webhooks_helpers import (
    event_type,
    finished_submission,
    signature_verifies,
    submit,
    webhook_token,
)
from tests.worker_fixtures import wait_until

DELIVERY_WORKER = "cutouts.processing.queueing.DeliveryWorker"
WEBHOOK_ENV = {
    # Production's address rules, with the receiver's one address let through.
    "DEBUG": "false",
    "SECRET_KEY": "webhook-tests-only",
    "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
    "WEBHOOK_TIMEOUT_SECONDS": "2",
    "WEBHOOK_RETRY_BASE_SECONDS": "0.2",
    "WEBHOOK_RETRY_MAX_SECONDS": "1",
}


@pytest.fixture
def hooked_workers(workers, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    workers.env.update(WEBHOOK_ENV)
    return workers


def settled(events: int):
    def check() -> bool:
        pending = WebhookEvent.objects.filter(status=WebhookEvent.Status.PENDING).exists()
        return WebhookEvent.objects.count() == events and not pending

    return check


def test_an_image_and_its_render_are_announced_signed_after_failed_deliveries(
    hooked_workers, sandbox, alice, receiver
):
    receiver.answer_next("fail", "fail")
    image = submit(alice, receiver.url, token=webhook_token(alice), preset="amazon-main")

    # As scripts/run.sh starts them: deliveries on their own worker, which does not fork.
    hooked_workers.start(1, queues=[QUEUE, RENDER_QUEUE])
    hooked_workers.start(1, cron=False, queues=[WEBHOOK_QUEUE], worker_class=DELIVERY_WORKER)

    wait_until(settled(2), timeout=90, message=f"two events delivered\n{hooked_workers.logs()}")
    assert set(WebhookEvent.objects.values_list("kind", "status")) == {
        ("image.done", "delivered"),
        ("render.ready", "delivered"),
    }
    requests = receiver.hooks()
    assert len(requests) == 4  # two failures, then each event once
    assert all(signature_verifies(request) for request in requests)
    assert {event_type(request) for request in requests[-2:]} <= {"image.done", "render.ready"}
    assert Image.objects.get(pk=image.pk).status == Image.Status.DONE
    assert charges(sandbox) == 1


def test_a_revoked_token_stops_the_webhooks_but_the_image_finishes(
    hooked_workers, sandbox, alice, receiver
):
    token = webhook_token(alice)
    image = submit(alice, receiver.url, token=token)
    token_revoke(token=token, by=alice)

    hooked_workers.start(1, queues=QUEUES)

    wait_until(settled(1), timeout=60, message=f"the image's event\n{hooked_workers.logs()}")
    assert Image.objects.get(pk=image.pk).status == Image.Status.DONE
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.STOPPED
    assert receiver.received == []


def test_the_sweep_delivers_an_event_whose_job_redis_lost(
    hooked_workers, queue_redis, alice, receiver
):
    submission = finished_submission(alice, receiver.url)
    event = webhook_events.event_create(submission=submission, kind="image.done")
    queue_redis.flushdb()  # its job, queued on commit, is gone
    WebhookEvent.objects.filter(pk=event.pk).update(
        next_attempt_at=event.next_attempt_at.replace(year=event.next_attempt_at.year - 1)
    )

    hooked_workers.start(1, queues=QUEUES)

    wait_until(settled(1), timeout=60, message=f"the event delivered\n{hooked_workers.logs()}")
    [request] = receiver.hooks()
    assert signature_verifies(request)
