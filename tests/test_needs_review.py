"""Needs review: doubtful mattes are flagged when stored, listed, explained and cleared."""

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageFilter

from cutouts.models import ApiCall, Image, UploadBatch
from tests.api_calls import process_on_upload
from tests.images import encoded, product_photo
from tests.uploading import upload

pytestmark = pytest.mark.django_db


def featureless_photo(seed: int, *, turned: bool = False) -> bytes:
    """A greyscale photo of fog: nothing in it a model can find."""
    rng = np.random.default_rng(seed)
    fog = PILImage.fromarray(rng.integers(120, 136, (360, 480), dtype=np.uint8), "L")
    fog = fog.filter(ImageFilter.GaussianBlur(6))
    if turned:
        exif = PILImage.Exif()
        exif[0x0112] = 6  # shown turned a quarter
        return encoded(fog, "JPEG", exif=exif.tobytes())
    return encoded(fog, "JPEG")


@pytest.fixture
def offline(settings, queue_redis, django_capture_on_commit_callbacks):
    """`upload`, with the offline model processing each image at once, here."""
    settings.MATTING_ENGINE = "local"
    process_on_upload(settings)

    def _upload(owner, name: str, data: bytes) -> Image:
        with django_capture_on_commit_callbacks(execute=True):
            image = upload(owner, name, data)
        image.refresh_from_db()
        return image

    return _upload


def test_a_product_photo_comes_out_fine_and_is_not_flagged(alice, offline):
    image = offline(alice, "mug.jpg", product_photo(3, (480, 360)))

    assert (image.status, image.needs_review, image.review_reasons) == ("done", False, "")


def test_greyscale_and_turned_photos_whose_mattes_came_out_empty_are_listed(
    alice_client, alice, offline
):
    fine = offline(alice, "mug.jpg", product_photo(4, (480, 360)))
    grey = offline(alice, "grey.jpg", featureless_photo(1))
    turned = offline(alice, "turned.jpg", featureless_photo(2, turned=True))

    page = alice_client.get("/?status=needs_review")

    listed = [image.pk for image in page.context["page"]]
    assert sorted(listed) == sorted([grey.pk, turned.pk])
    assert fine.pk not in listed
    tab = next(tab for tab in page.context["tabs"] if tab.status == "needs_review")
    assert (tab.label, tab.count) == ("Needs review", 2)
    grey.refresh_from_db()
    assert grey.review_reasons.startswith("Almost no subject")


def test_the_image_page_says_why_and_a_member_marks_it_reviewed(alice_client, alice):
    image = upload(
        alice,
        "grey.jpg",
        status=Image.Status.DONE,
        needs_review=True,
        review_reasons="Almost no subject: only 0.3% of the picture was kept.",
    )

    page = alice_client.get(f"/images/{image.pk}/").content.decode()
    assert "Almost no subject: only 0.3% of the picture was kept." in page

    alice_client.post(f"/images/{image.pk}/reviewed/")

    image.refresh_from_db()
    assert (image.needs_review, image.reviewed_by) == (False, alice)
    assert "Reviewed by alice" in alice_client.get(f"/images/{image.pk}/").content.decode()
    assert not alice_client.get("/?status=needs_review").context["page"].object_list


def test_another_member_cannot_mark_an_image_reviewed(bob_client, alice):
    image = upload(alice, "grey.jpg", status=Image.Status.DONE, needs_review=True)

    assert bob_client.post(f"/images/{image.pk}/reviewed/").status_code == 404
    image.refresh_from_db()
    assert image.needs_review


def test_reviewing_costs_nothing(alice_client, alice):
    image = upload(alice, "grey.jpg", status=Image.Status.DONE, needs_review=True)

    alice_client.post(f"/images/{image.pk}/reviewed/")

    assert not ApiCall.objects.exists()


def test_the_batch_page_counts_the_cutouts_that_need_a_look(alice_client, alice):
    batch = UploadBatch.objects.create(owner=alice)
    upload(alice, "a.jpg", batch=batch, status=Image.Status.DONE, needs_review=True)
    upload(alice, "b.jpg", batch=batch, status=Image.Status.DONE)

    page = alice_client.get(f"/batches/{batch.pk}/")
    live = alice_client.get(f"/images/status/?batch={batch.pk}").json()["batch"]

    assert page.context["progress"].needs_review == 1
    assert 'data-count="needs_review">1<' in page.content.decode()
    assert live["needs_review"] == 1


def test_live_statuses_say_which_cutouts_need_a_look(alice_client, alice):
    flagged = upload(
        alice, "a.jpg", status=Image.Status.DONE, needs_review=True, review_reasons="Fog."
    )

    [status] = alice_client.get(f"/images/status/?ids={flagged.pk}").json()["images"]

    assert (status["needs_review"], status["review_reasons"]) == (True, "Fog.")
