"""Events for images sent through the asynchronous API: made once, when the image or render ends."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from cutouts.models import ApiSubmission, Image, Render, WebhookEvent
from cutouts.processing.signals import image_finished, render_finished
from cutouts.teamapi import webhook_events
from tests.studio_images import processed
from tests.webhooks_helpers import finished_submission

URL = "https://hooks.example.com/cutouts"


@pytest.fixture(autouse=True)
def _queue(queue_redis, settings):
    settings.SITE_URL = "https://cutouts.example.com"


def announce_image(image: Image) -> None:
    image_finished.send(sender=Image, image_id=image.pk, status=image.status)


def kinds(submission: ApiSubmission) -> list[str]:
    return list(submission.webhook_events.order_by("pk").values_list("kind", flat=True))


def settled_a_while_ago(image: Image) -> None:
    Image.objects.filter(pk=image.pk).update(updated_at=timezone.now() - timedelta(minutes=2))


def test_an_image_done_makes_one_image_done_event(db, alice):
    submission = finished_submission(alice, URL)

    announce_image(submission.image)
    announce_image(submission.image)

    [event] = submission.webhook_events.all()
    assert (event.kind, event.url, event.status) == ("image.done", URL, "pending")
    assert event.next_attempt_at is not None
    body = json.loads(event.payload)
    assert body["id"] == f"evt_{event.pk}"
    assert body["type"] == "image.done"
    assert abs(body["created"] - timezone.now().timestamp()) < 60
    assert body["data"]["image"]["id"] == submission.image_id
    assert body["data"]["image"]["status"] == "done"


def test_a_failed_image_makes_an_image_failed_event(db, alice):
    submission = finished_submission(alice, URL)
    Image.objects.filter(pk=submission.image_id).update(
        status=Image.Status.FAILED, status_reason="The API refused it."
    )

    image_finished.send(sender=Image, image_id=submission.image_id, status="failed")

    assert kinds(submission) == ["image.failed"]
    body = json.loads(submission.webhook_events.get().payload)
    assert body["data"]["image"]["status_reason"] == "The API refused it."


def test_images_without_a_webhook_or_not_from_the_api_make_no_event(db, alice):
    quiet = finished_submission(alice, "")
    uploaded = processed(alice, "from-the-page.jpg")

    announce_image(quiet.image)
    announce_image(uploaded)

    assert not WebhookEvent.objects.exists()


def test_a_done_image_with_a_preset_gets_its_render_once_then_a_render_event(
    db, settings, alice, django_capture_on_commit_callbacks
):
    # The member is busy in the studio: the API's render does not count against it.
    settings.RENDER_MAX_IN_FLIGHT_PER_MEMBER = 0
    submission = finished_submission(alice, URL, preset="amazon-main")

    with django_capture_on_commit_callbacks(execute=False):
        announce_image(submission.image)
        announce_image(submission.image)

    submission.refresh_from_db()
    [render] = Render.objects.filter(image=submission.image_id)
    assert submission.render == render
    assert (render.preset, render.status, render.created_by) == ("amazon-main", "queued", alice)
    assert kinds(submission) == ["image.done"]

    Render.objects.filter(pk=render.pk).update(status=Render.Status.DONE)
    render_finished.send(sender=Render, render_id=render.pk, status="done")
    render_finished.send(sender=Render, render_id=render.pk, status="done")

    assert kinds(submission) == ["image.done", "render.ready"]
    body = json.loads(submission.webhook_events.get(kind="render.ready").payload)
    assert body["data"]["render"]["id"] == render.pk
    assert body["data"]["image"]["id"] == submission.image_id


def test_a_preset_that_cannot_be_rendered_ends_in_a_failed_render_and_its_event(
    db, alice, django_capture_on_commit_callbacks
):
    submission = finished_submission(alice, URL, preset="deleted-since")

    with django_capture_on_commit_callbacks(execute=True):
        announce_image(submission.image)

    submission.refresh_from_db()
    assert submission.render.status == Render.Status.FAILED
    assert "no such preset" in submission.render.error
    assert kinds(submission) == ["image.done", "render.failed"]


def test_renders_not_made_for_the_api_make_no_event(db, alice):
    image = processed(alice)
    render = Render.objects.create(image=image, created_by=alice, spec={}, status="done")

    render_finished.send(sender=Render, render_id=render.pk, status="done")

    assert not WebhookEvent.objects.exists()


def test_the_sweep_makes_the_events_and_renders_a_killed_worker_never_made(db, alice):
    submission = finished_submission(alice, URL, preset="amazon-main")
    settled_a_while_ago(submission.image)

    assert webhook_events.events_sweep() == 2  # the render and the image's event
    assert webhook_events.events_sweep() == 0

    submission.refresh_from_db()
    assert submission.render is not None
    assert kinds(submission) == ["image.done"]
    Render.objects.filter(pk=submission.render_id).update(
        status=Render.Status.DONE, created_at=timezone.now() - timedelta(minutes=2)
    )
    assert webhook_events.events_sweep() == 1
    assert kinds(submission) == ["image.done", "render.ready"]
    assert webhook_events.events_sweep() == 0


def test_the_sweep_leaves_images_just_finished_to_their_signal(db, alice):
    finished_submission(alice, URL, preset="amazon-main")

    assert webhook_events.events_sweep() == 0
    assert not WebhookEvent.objects.exists()
    assert not Render.objects.exists()


def test_the_sweep_skips_images_finished_before_the_give_up_window(db, settings, alice):
    settings.WEBHOOK_GIVE_UP_HOURS = 1
    submission = finished_submission(alice, URL)
    Image.objects.filter(pk=submission.image_id).update(
        updated_at=timezone.now() - timedelta(hours=2)
    )

    assert webhook_events.events_sweep() == 0
