"""Webhook events of the asynchronous API: made when an image or its preset render ends.

Processing and the studio announce that an image or a render ended
(cutouts.processing.signals, connected in cutouts.apps); a sweep makes the
events a killed worker never announced. cutouts.teamapi.webhook_deliveries
sends them.

An image sent with a webhook_url gets one `image.done` or `image.failed` event
(both, if it failed and was retried to success); one sent with a preset gets
its render made once it is done, then `render.ready` or `render.failed`.
"""

import json
import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cutouts.lib.render_spec import SpecError
from cutouts.models import ApiSubmission, Image, Render, WebhookEvent
from cutouts.studio import services as studio
from cutouts.studio.services import StudioError
from cutouts.teamapi import webhook_deliveries
from cutouts.teamapi.representations import image_json, render_json

logger = logging.getLogger(__name__)

IMAGE_EVENTS = {Image.Status.DONE: "image.done", Image.Status.FAILED: "image.failed"}
RENDER_EVENTS = {Render.Status.DONE: "render.ready", Render.Status.FAILED: "render.failed"}
# A signal is sent just after its image's or render's commit: give it that
# long before the sweep makes what it should have.
_SWEEP_GRACE = timedelta(seconds=30)


def on_image_finished(sender: object, *, image_id: int, status: str, **kwargs: object) -> None:
    """An image of the asynchronous API ended: its preset render, and its event.

    Runs in the processing worker after the image's commit: it only writes rows
    and queues jobs. A failure here must not fail the image's job; the sweep
    makes whatever is missing.
    """
    try:
        submission = ApiSubmission.objects.filter(image_id=image_id).first()
        if submission is None:
            return
        # The image's event first: its render's, if any, always comes after it.
        if submission.webhook_url:
            event_create(submission=submission, kind=IMAGE_EVENTS[status])
        if status == Image.Status.DONE and submission.preset:
            _preset_render(submission)
    except Exception:
        logger.exception("Webhook event for image %s not made; the sweep will", image_id)


def on_render_finished(sender: object, *, render_id: int, status: str, **kwargs: object) -> None:
    """A render ended: if it is an API submission's preset render, its event."""
    try:
        submission = ApiSubmission.objects.filter(render_id=render_id).first()
        if submission is not None and submission.webhook_url:
            event_create(submission=submission, kind=RENDER_EVENTS[status])
    except Exception:
        logger.exception("Webhook event for render %s not made; the sweep will", render_id)


def event_create(*, submission: ApiSubmission, kind: str) -> WebhookEvent | None:
    """The submission's event of this kind, once; None if it was made already.

    Made under the submission's lock, so the signal and the sweep (or two
    sweeps) can never both make it. An event whose token is revoked is kept,
    stopped, so the member sees why nothing came.
    """
    with transaction.atomic():
        submission = (
            ApiSubmission.objects.select_for_update(of=("self",))
            .select_related("token", "image", "render")
            .get(pk=submission.pk)
        )
        if submission.webhook_events.filter(kind=kind).exists():
            return None
        now = timezone.now()
        stopped = submission.token is None or submission.token.revoked_at is not None
        event = WebhookEvent.objects.create(
            submission=submission,
            kind=kind,
            url=submission.webhook_url,
            payload="",
            status=WebhookEvent.Status.STOPPED if stopped else WebhookEvent.Status.PENDING,
            next_attempt_at=None if stopped else now,
        )
        event.payload = _payload(event, submission, now)
        event.save(update_fields=["payload"])
        if not stopped:
            transaction.on_commit(partial(webhook_deliveries.delivery_queue, event.pk, now))
    return event


def _payload(event: WebhookEvent, submission: ApiSubmission, now: datetime) -> str:
    base_url = settings.SITE_URL
    data = {"image": image_json(submission.image, base_url=base_url)}
    if event.kind in RENDER_EVENTS.values() and submission.render is not None:
        data["render"] = render_json(submission.render, base_url=base_url)
    body = {"id": f"evt_{event.pk}", "type": event.kind, "created": int(now.timestamp())}
    return json.dumps({**body, "data": data}, separators=(",", ":"))


def _preset_render(submission: ApiSubmission) -> None:
    """Start the submission's preset render, once, or record why it cannot be made."""
    with transaction.atomic():
        submission = (
            ApiSubmission.objects.select_for_update(of=("self",))
            .select_related("image", "user")
            .get(pk=submission.pk)
        )
        if submission.render_id is not None:
            return
        try:
            # Not held to the member's limit of renders on the queue: these come one per
            # image, at the pace images are processed, and must not fail if the member
            # is busy in the studio meanwhile.
            render = studio.render_create(
                image=submission.image,
                spec_or_preset=submission.preset,
                user=submission.user,
                limit_in_flight=False,
            )
        except (StudioError, SpecError) as error:
            # The preset was deleted, or no longer fits this image: say so like a render would.
            render = Render.objects.create(
                image=submission.image,
                created_by=submission.user,
                preset=submission.preset,
                spec={},
                status=Render.Status.FAILED,
                error=str(error)[:500],
            )
            failed = render.pk
            transaction.on_commit(
                lambda: on_render_finished(Render, render_id=failed, status=Render.Status.FAILED)
            )
        submission.render = render
        submission.save(update_fields=["render"])


def events_sweep() -> int:
    """Make the preset renders and events a worker died before making; how many.

    Looks at submissions whose image or render ended in the last
    WEBHOOK_GIVE_UP_HOURS (older events would be given up at once), and at
    least a little while ago, so the signal had its chance.
    """
    now = timezone.now()
    since = now - timedelta(hours=settings.WEBHOOK_GIVE_UP_HOURS)
    settled = now - _SWEEP_GRACE
    ended = Q(image__updated_at__gte=since, image__updated_at__lt=settled)
    made = 0
    hooked = ApiSubmission.objects.exclude(webhook_url="")
    for status, kind in IMAGE_EVENTS.items():
        for submission in hooked.filter(ended, image__status=status).exclude(
            webhook_events__kind=kind
        ):
            made += event_create(submission=submission, kind=kind) is not None
    unrendered = ApiSubmission.objects.filter(
        ended, image__status=Image.Status.DONE, render=None
    ).exclude(preset="")
    for submission in unrendered:
        _preset_render(submission)
        made += 1
    for status, kind in RENDER_EVENTS.items():
        rendered = hooked.filter(
            render__status=status,
            render__created_at__gte=since,
            render__created_at__lt=settled,
        ).exclude(webhook_events__kind=kind)
        for submission in rendered:
            made += event_create(submission=submission, kind=kind) is not None
    return made
