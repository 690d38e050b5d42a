"""With Redis down an upload is still saved, the member is told, and the sweeper queues it later."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rq import Queue

from cutouts.models import Image, UploadBatch
from cutouts.processing.sweeper import sweep
from cutouts.processing.uploads import QUEUE_AWAY_REASON
from tests.images import image_bytes

# The upload's job is queued once its row is committed: real commits needed.
pytestmark = pytest.mark.django_db(transaction=True)

CLOSED_PORT = {"default": {"URL": "redis://127.0.0.1:1/0"}}


def test_the_upload_is_saved_and_queued_once_redis_is_back(
    alice_client, alice, settings, queue_redis
):
    batch = UploadBatch.objects.create(owner=alice)
    redis_queues = settings.RQ_QUEUES
    settings.RQ_QUEUES = CLOSED_PORT

    response = alice_client.post(
        "/upload/",
        {"files": SimpleUploadedFile("cat.jpg", image_bytes("JPEG")), "batch": batch.pk},
        headers={"accept": "application/json"},
    )

    assert response.status_code == 201
    answer = response.json()["image"]
    assert answer["status"] == "queued"
    assert answer["status_reason"] == QUEUE_AWAY_REASON
    assert "Processing will start shortly" in QUEUE_AWAY_REASON
    image = Image.objects.get(pk=answer["id"])
    assert image.status_reason == QUEUE_AWAY_REASON
    assert image.original.read() == image_bytes("JPEG")

    settings.RQ_QUEUES = redis_queues
    assert sweep() == 0  # too soon: a fresh upload's job may be on its way
    Image.objects.filter(pk=image.pk).update(updated_at=timezone.now() - timedelta(seconds=31))

    assert sweep() == 1

    image.refresh_from_db()
    assert image.status == Image.Status.QUEUED
    assert Queue("default", connection=queue_redis).job_ids == [image.job_id]


def test_with_redis_up_the_member_is_told_it_waits_its_turn(alice_client, alice, queue_redis):
    response = alice_client.post(
        "/upload/",
        {"files": SimpleUploadedFile("cat.jpg", image_bytes("JPEG"))},
        headers={"accept": "application/json"},
    )

    assert response.json()["image"]["status_reason"] == "Waiting to be processed."
    image = Image.objects.get()
    assert Queue("default", connection=queue_redis).job_ids == [image.job_id]
