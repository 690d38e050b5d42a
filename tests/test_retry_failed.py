"""Admins retry every failed image at once: everywhere, or in one batch."""

import pytest
from rq import Queue

from cutouts.models import Image, UploadBatch
from tests.uploading import statuses_by_name, upload

pytestmark = pytest.mark.django_db


def _jobs(queue_redis) -> set[str]:
    return set(Queue("default", connection=queue_redis).job_ids)


def test_it_queues_every_failed_image_of_every_member(
    admin_client_, alice, bob, queue_redis, django_capture_on_commit_callbacks
):
    upload(alice, "a.jpg", status=Image.Status.FAILED, attempts=5)
    upload(bob, "b.jpg", status=Image.Status.FAILED, attempts=2)
    upload(alice, "done.jpg", status=Image.Status.DONE)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post("/images/retry-failed/")

    assert response.status_code == 302
    assert response["Location"] == "/?status=failed"
    assert statuses_by_name() == {"a.jpg": "queued", "b.jpg": "queued", "done.jpg": "done"}
    assert not Image.objects.filter(attempts__gt=0).exists()
    retried = Image.objects.filter(status=Image.Status.QUEUED)
    assert _jobs(queue_redis) == {image.job_id for image in retried}
    assert "2 failed images are queued again." in admin_client_.get("/").content.decode()


def test_it_can_keep_to_one_batch(
    admin_client_, alice, queue_redis, django_capture_on_commit_callbacks
):
    batch = UploadBatch.objects.create(owner=alice)
    image = upload(alice, "in-batch.jpg", status=Image.Status.FAILED)
    Image.objects.filter(pk=image.pk).update(batch=batch)
    upload(alice, "elsewhere.jpg", status=Image.Status.FAILED)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post("/images/retry-failed/", {"batch": batch.pk})

    assert response["Location"] == f"/batches/{batch.pk}/"
    assert statuses_by_name() == {"in-batch.jpg": "queued", "elsewhere.jpg": "failed"}
    assert len(_jobs(queue_redis)) == 1


def test_with_nothing_failed_it_says_so(admin_client_, alice):
    upload(alice, status=Image.Status.DONE)

    response = admin_client_.post("/images/retry-failed/", follow=True)

    assert "There are no failed images to retry." in response.content.decode()


def test_members_cannot_retry(alice_client, alice):
    upload(alice, status=Image.Status.FAILED)

    assert alice_client.post("/images/retry-failed/").status_code == 403
    assert statuses_by_name() == {"photo.jpg": "failed"}


def test_an_unknown_batch_is_not_found(admin_client_):
    assert admin_client_.post("/images/retry-failed/", {"batch": "999999"}).status_code == 404
    assert admin_client_.post("/images/retry-failed/", {"batch": "nonsense"}).status_code == 404


def test_admins_see_a_retry_all_button_in_the_library_when_something_failed(
    admin_client_, alice_client, alice
):
    assert b"Retry all failed" not in admin_client_.get("/").content
    upload(alice, status=Image.Status.FAILED)

    assert "Retry all failed (1)" in admin_client_.get("/").content.decode()
    assert b"Retry all failed" not in alice_client.get("/").content
