"""Admins retry one failed image from its page; it goes back to the queue with a fresh start."""

import pytest
from rq import Queue

from cutouts.models import Image
from cutouts.processing.retrying import RETRY_REASON, image_retry
from tests.uploading import upload

pytestmark = pytest.mark.django_db

GAVE_UP = "The API kept failing (503); gave up after 5 attempts. An admin can retry it."


def _failed(owner, name: str = "photo.jpg") -> Image:
    return upload(owner, name, status=Image.Status.FAILED, status_reason=GAVE_UP, attempts=5)


def test_it_queues_a_failed_image_again_with_its_attempts_reset(
    admin_client_, alice, queue_redis, django_capture_on_commit_callbacks
):
    image = _failed(alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(f"/images/{image.pk}/retry/")

    assert response.status_code == 302
    assert response["Location"] == f"/images/{image.pk}/"
    image.refresh_from_db()
    assert image.status == Image.Status.QUEUED
    assert image.status_reason == RETRY_REASON == "Queued again by an admin."
    assert image.attempts == 0
    assert image.job_id in Queue("default", connection=queue_redis).job_ids
    page = admin_client_.get(response["Location"]).content.decode()
    assert "photo.jpg is queued again." in page


def test_an_image_that_has_not_failed_is_left_alone(
    admin_client_, alice, queue_redis, django_capture_on_commit_callbacks
):
    image = upload(alice, status=Image.Status.DONE)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client_.post(f"/images/{image.pk}/retry/", follow=True)

    assert "has not failed: there is nothing to retry." in response.content.decode()
    assert callbacks == []
    image.refresh_from_db()
    assert image.status == Image.Status.DONE
    assert Queue("default", connection=queue_redis).job_ids == []


def test_members_cannot_retry_even_their_own_images(alice_client, alice):
    image = _failed(alice)

    assert alice_client.post(f"/images/{image.pk}/retry/").status_code == 403
    image.refresh_from_db()
    assert image.status == Image.Status.FAILED


def test_it_only_takes_posts(admin_client_, alice):
    image = _failed(alice)

    assert admin_client_.get(f"/images/{image.pk}/retry/").status_code == 405


def test_an_unknown_image_is_not_found(admin_client_):
    assert admin_client_.post("/images/999999/retry/").status_code == 404


def test_the_image_page_offers_admins_a_retry_button_when_failed(
    admin_client_, alice_client, alice
):
    image = _failed(alice)
    form = f'action="/images/{image.pk}/retry/"'

    admin_page = admin_client_.get(f"/images/{image.pk}/").content.decode()
    member_page = alice_client.get(f"/images/{image.pk}/").content.decode()

    assert form in admin_page
    assert f'{form} data-live-show="failed">' in admin_page
    assert GAVE_UP in member_page
    assert form not in member_page


def test_a_retried_image_keeps_its_place_when_redis_is_away(alice, settings):
    image = _failed(alice)
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}

    assert image_retry(image=image)

    # The sweeper queues its job once Redis is back (see test_upload_queue_away).
    image.refresh_from_db()
    assert image.status == Image.Status.QUEUED


def test_it_returns_to_the_page_the_retry_came_from(admin_client_, alice, queue_redis):
    image = _failed(alice)

    response = admin_client_.post(f"/images/{image.pk}/retry/", {"next": "/dashboard/?days=7"})

    assert response["Location"] == "/dashboard/?days=7"


def test_it_never_sends_anyone_to_another_site(admin_client_, alice, queue_redis):
    image = _failed(alice)

    response = admin_client_.post(
        f"/images/{image.pk}/retry/", {"next": "https://elsewhere.example/"}
    )

    assert response["Location"] == f"/images/{image.pk}/"
