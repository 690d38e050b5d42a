"""Delivering webhook events: one signed POST per attempt, retried with back-off for a day.

Deliveries run on their own queue, "webhooks" (cutouts.processing.queueing), so
a slow receiver never holds a processing worker. Each attempt is one job,
`cutouts.jobs.deliver_webhook`, queued for the event's `next_attempt_at`. The job
claims the event by moving `next_attempt_at` forward past its deadline, only if
it is still the time it was queued for: two copies of the job (one queued again
by the sweep, say) never make one attempt twice. The sweep queues again the job
of any pending event overdue whose job Redis no longer has.
"""

import logging
import math
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from redis.exceptions import RedisError

from cutouts.lib.ratelimit import backoff_delay
from cutouts.lib.webhook_sender import PostResult, post
from cutouts.lib.webhook_signing import signature
from cutouts.models import ApiToken, WebhookAttempt, WebhookEvent
from cutouts.processing.queueing import enqueue_webhook, jobs_lost
from cutouts.teamapi.webhooks import WebhookUrlRefused, webhook_url_resolve

logger = logging.getLogger(__name__)

USER_AGENT = "Cutouts-Webhooks/1"
# A job is queued just after its event's row commits; give it that long
# before judging that Redis lost it.
_SWEEP_GRACE = timedelta(seconds=30)
# Beyond the attempt's own deadline: resolving the name and recording the answer.
_JOB_MARGIN_SECONDS = 20
# RQ's scheduler keeps times to the second, and another machine's clock may be a
# little ahead: a job this early is on time, not a stray copy to ignore.
_EARLY = timedelta(seconds=2)


class SendAgainRefused(Exception):
    """The event cannot be sent again; str() says why, for the member."""


def delivery_job_id(event_id: int, at: datetime) -> str:
    # Known from the row alone, so the sweep can ask Redis whether the job is there.
    return f"webhook-{event_id}-{at.astimezone(UTC):%Y%m%d%H%M%S%f}"


def delivery_queue(event_id: int, at: datetime) -> None:
    """Queue the event's attempt due at `at`; if Redis is away, the sweep queues it later."""
    try:
        enqueue_webhook(
            event_id, job_id=delivery_job_id(event_id, at), at=at, timeout=_job_timeout()
        )
    except RedisError:
        logger.warning("Redis is unavailable; webhook event %s will be queued later", event_id)


def manual_job_id(event_id: int) -> str:
    return f"webhook-{event_id}-manual-{time.time_ns()}"


def webhook_deliver(*, event_id: int) -> None:
    """Make the event's scheduled attempt, if it is still due and nobody else made it."""
    now = timezone.now()
    event = (
        WebhookEvent.objects.select_related("submission__token")
        .filter(pk=event_id, status=WebhookEvent.Status.PENDING)
        .first()
    )
    if event is None or event.next_attempt_at is None or event.next_attempt_at > now + _EARLY:
        return
    if _token_revoked(event.submission.token):
        _stop(event.pk)
        return
    lease = now + timedelta(seconds=_job_timeout())
    claimed = WebhookEvent.objects.filter(
        pk=event.pk, status=WebhookEvent.Status.PENDING, next_attempt_at=event.next_attempt_at
    ).update(next_attempt_at=lease)
    if not claimed:
        return
    attempt = _attempt(event, manual=False)
    still_ours = WebhookEvent.objects.filter(
        pk=event.pk, status=WebhookEvent.Status.PENDING, next_attempt_at=lease
    )
    if attempt.ok:
        still_ours.update(
            status=WebhookEvent.Status.DELIVERED, delivered_at=timezone.now(), next_attempt_at=None
        )
        return
    failures = event.tries.filter(manual=False, ok=False).count()
    delay = backoff_delay(
        failures, base=settings.WEBHOOK_RETRY_BASE_SECONDS, cap=settings.WEBHOOK_RETRY_MAX_SECONDS
    )
    # On a whole second, as RQ's scheduler keeps it, so the job never runs before it.
    at = (timezone.now() + timedelta(seconds=delay + 1)).replace(microsecond=0)
    if at > event.created_at + timedelta(hours=settings.WEBHOOK_GIVE_UP_HOURS):
        still_ours.update(status=WebhookEvent.Status.FAILED, next_attempt_at=None)
    elif still_ours.update(next_attempt_at=at):
        delivery_queue(event.pk, at)


def webhook_send_again(*, event: WebhookEvent) -> None:
    """Queue a manual attempt of the event now, whatever its state but stopped.

    Raises SendAgainRefused when it cannot be sent.
    """
    if event.status == WebhookEvent.Status.STOPPED or _token_revoked(event.submission.token):
        raise SendAgainRefused(
            "This event's token was revoked: its webhooks are not sent any more."
        )
    try:
        enqueue_webhook(
            event.pk,
            job_id=manual_job_id(event.pk),
            at=timezone.now(),
            timeout=_job_timeout(),
            manual=True,
        )
    except RedisError:
        raise SendAgainRefused(
            "The job queue is unavailable right now. Try again in a moment."
        ) from None


def webhook_deliver_manual(*, event_id: int) -> None:
    """The member's "Send again": one attempt now, which leaves the schedule as it was.

    A success marks the event delivered, even one given up on; a failure changes nothing.
    """
    event = (
        WebhookEvent.objects.select_related("submission__token")
        .filter(pk=event_id)
        .exclude(status=WebhookEvent.Status.STOPPED)
        .first()
    )
    if event is None or _token_revoked(event.submission.token):
        return
    if _attempt(event, manual=True).ok:
        WebhookEvent.objects.filter(
            pk=event.pk, status__in=[WebhookEvent.Status.PENDING, WebhookEvent.Status.FAILED]
        ).update(
            status=WebhookEvent.Status.DELIVERED, delivered_at=timezone.now(), next_attempt_at=None
        )


def deliveries_sweep() -> int:
    """Queue again the attempts of pending events overdue whose job Redis lost; how many."""
    overdue = list(
        WebhookEvent.objects.filter(
            status=WebhookEvent.Status.PENDING,
            next_attempt_at__lt=timezone.now() - _SWEEP_GRACE,
        )
        .order_by("next_attempt_at")
        .values_list("pk", "next_attempt_at")[:1000]
    )
    lost = jobs_lost([delivery_job_id(pk, at) for pk, at in overdue])
    requeued = [(pk, at) for (pk, at), gone in zip(overdue, lost, strict=True) if gone]
    for pk, at in requeued:
        delivery_queue(pk, at)
    if requeued:
        logger.warning("Queued again %d webhook deliveries whose job was lost", len(requeued))
    return len(requeued)


def _attempt(event: WebhookEvent, *, manual: bool) -> WebhookAttempt:
    number = _next_number(event.pk)
    token = event.submission.token
    assert token is not None  # checked by the callers
    try:
        target = webhook_url_resolve(event.url)
    except WebhookUrlRefused as refused:
        # DNS or the settings changed since the URL was given: it may change back.
        result = PostResult(ok=False, http_status=None, latency_ms=0, error=str(refused))
    else:
        body = event.payload.encode("utf-8")
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Cutouts-Event": event.kind,
            "Cutouts-Delivery": f"evt_{event.pk}",
            "Cutouts-Timestamp": str(timestamp),
            "Cutouts-Signature": signature(token.webhook_secret, timestamp, body),
        }
        result = post(target, body=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    if not result.ok:
        logger.info("Webhook event %s attempt %s failed: %s", event.pk, number, result.error)
    return WebhookAttempt.objects.create(
        event=event,
        number=number,
        http_status=result.http_status,
        ok=result.ok,
        latency_ms=result.latency_ms,
        error=result.error[:500],
        manual=manual,
    )


def _next_number(event_id: int) -> int:
    # Counted under the row's lock: a manual attempt may run beside a scheduled one.
    with transaction.atomic():
        attempts = (
            WebhookEvent.objects.select_for_update()
            .values_list("attempts", flat=True)
            .get(pk=event_id)
        )
        WebhookEvent.objects.filter(pk=event_id).update(attempts=attempts + 1)
    return attempts + 1


def _token_revoked(token: ApiToken | None) -> bool:
    return token is None or token.revoked_at is not None


def _stop(event_id: int) -> None:
    WebhookEvent.objects.filter(pk=event_id, status=WebhookEvent.Status.PENDING).update(
        status=WebhookEvent.Status.STOPPED, next_attempt_at=None
    )


def _job_timeout() -> int:
    return math.ceil(settings.WEBHOOK_TIMEOUT_SECONDS) + _JOB_MARGIN_SECONDS
