"""The admin's Images list has an action to retry the picked images that failed."""

import pytest
from rq import Queue

from cutouts.models import Image
from tests.uploading import statuses_by_name, upload

pytestmark = pytest.mark.django_db


def test_the_admin_action_retries_the_picked_failed_images(
    admin_client_, alice, queue_redis, django_capture_on_commit_callbacks
):
    picked = upload(alice, "picked.jpg", status=Image.Status.FAILED)
    finished = upload(alice, "finished.jpg", status=Image.Status.DONE)
    upload(alice, "other.jpg", status=Image.Status.FAILED)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            "/admin/cutouts/image/",
            {"action": "retry_failed", "_selected_action": [picked.pk, finished.pk]},
            follow=True,
        )

    body = response.content.decode()
    assert "1 failed image queued again. 1 not failed, left as they were." in body
    assert statuses_by_name() == {
        "picked.jpg": "queued",
        "finished.jpg": "done",
        "other.jpg": "failed",
    }
    picked.refresh_from_db()
    assert Queue("default", connection=queue_redis).job_ids == [picked.job_id]


def test_the_admin_lists_the_retry_action(admin_client_, alice):
    upload(alice)

    assert b"Retry selected failed images" in admin_client_.get("/admin/cutouts/image/").content
