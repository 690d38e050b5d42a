"""A batch's page: one progress bar for the whole batch, and each image with its reason."""

import pytest

from cutouts.models import Image, UploadBatch
from tests.uploading import upload

pytestmark = pytest.mark.django_db

NO_CREDIT = "Waiting for credits: processing resumes by itself when credits are topped up."
REFUSED = "The API could not process this image: the image has no foreground."


@pytest.fixture
def batch(alice) -> UploadBatch:
    batch = UploadBatch.objects.create(owner=alice)
    for name, status, reason in [
        ("a.jpg", Image.Status.DONE, ""),
        ("b.jpg", Image.Status.DONE, ""),
        ("c.jpg", Image.Status.FAILED, REFUSED),
        ("d.jpg", Image.Status.WAITING_CREDITS, NO_CREDIT),
        ("e.jpg", Image.Status.QUEUED, "Waiting to be processed."),
    ]:
        image = upload(alice, name, status=status, status_reason=reason)
        Image.objects.filter(pk=image.pk).update(batch=batch)
    return batch


def test_it_shows_one_progress_bar_of_the_whole_batch(alice_client, batch):
    response = alice_client.get(f"/batches/{batch.pk}/")

    assert response.status_code == 200
    progress = response.context["progress"]
    assert (progress.total, progress.done, progress.failed) == (5, 2, 1)
    assert (progress.waiting_credits, progress.in_progress) == (1, 1)
    body = response.content.decode()
    assert 'aria-valuemax="5" aria-valuenow="3"' in body
    assert 'data-part="done" data-width="40.00"' in body
    assert 'data-part="failed" data-width="20.00"' in body
    assert 'data-part="waiting_credits" data-width="20.00"' in body
    assert 'data-part="in_progress" data-width="20.00"' in body
    assert '<strong data-count="done">2</strong>' in body
    assert '<strong data-count="total">5</strong>' in body


def test_each_image_is_shown_in_upload_order_with_its_reason(alice_client, batch):
    response = alice_client.get(f"/batches/{batch.pk}/")

    names = [image.original_name for image in response.context["page"]]
    assert names == ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"]
    body = response.content.decode()
    assert REFUSED in body
    assert NO_CREDIT in body
    assert "cutouts/live-status.js" in body


def test_other_members_cannot_see_it(bob_client, batch):
    assert bob_client.get(f"/batches/{batch.pk}/").status_code == 404


def test_admins_see_anyones_batch_with_a_retry_button(admin_client_, alice_client, batch):
    admin_page = admin_client_.get(f"/batches/{batch.pk}/").content.decode()
    member_page = alice_client.get(f"/batches/{batch.pk}/").content.decode()

    assert "by alice" in admin_page
    assert "Retry failed" in admin_page
    assert f'name="batch" value="{batch.pk}"' in admin_page
    assert "Retry failed" not in member_page


def test_an_empty_batch_says_so(alice_client, alice):
    batch = UploadBatch.objects.create(owner=alice)

    body = alice_client.get(f"/batches/{batch.pk}/").content.decode()

    assert "No images were uploaded in this batch." in body
    assert 'data-part="done" data-width="0.00"' in body


def test_library_cards_and_the_image_page_link_to_the_batch(alice_client, batch):
    image = batch.images.get(original_name="a.jpg")
    link = f'href="/batches/{batch.pk}/"'

    assert link in alice_client.get("/").content.decode()
    assert link in alice_client.get(f"/images/{image.pk}/").content.decode()
