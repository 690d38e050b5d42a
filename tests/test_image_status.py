"""The live status endpoint: what live-status.js polls while images are processed."""

import pytest

from cutouts.models import Image, UploadBatch
from tests.outputs import finish
from tests.uploading import upload

pytestmark = pytest.mark.django_db


def _in_batch(batch: UploadBatch, name: str, **fields) -> Image:
    image = upload(batch.owner, name, **fields)
    Image.objects.filter(pk=image.pk).update(batch=batch)
    return image


def _statuses(client, *images: Image, batch: UploadBatch | None = None) -> dict:
    query = {"ids": ",".join(str(image.pk) for image in images)}
    if batch:
        query["batch"] = batch.pk
    response = client.get("/images/status/", query)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    return response.json()


def test_it_tells_the_status_label_and_reason_of_each_image(alice_client, alice):
    image = upload(alice, status_reason="Waiting for a free API slot.")

    body = _statuses(alice_client, image)

    assert body == {
        "images": [
            {
                "id": image.pk,
                "status": "queued",
                "label": "Queued",
                "reason": "Waiting for a free API slot.",
                "needs_review": False,
                "review_reasons": "",
                # First in line with every slot free: its call goes at once.
                "eta": "Done in under a minute",
                "thumbnail_url": f"/images/{image.pk}/thumbnail/",
                "preview_url": None,
                "cutout_thumbnail_url": None,
                "cutout_url": None,
                "matte_url": None,
            }
        ]
    }


def test_a_done_image_comes_with_its_preview_cutout_and_matte(alice_client, alice):
    image = upload(alice)
    cutout = finish(image)

    (status,) = _statuses(alice_client, image)["images"]

    assert status["status"] == "done"
    assert status["label"] == "Done"
    assert status["preview_url"] == f"/images/{image.pk}/preview/"
    assert status["cutout_thumbnail_url"] == f"/images/{image.pk}/cutout-thumbnail/"
    assert status["cutout_url"] == f"/renders/{cutout.pk}/download/"
    assert status["matte_url"] == f"/images/{image.pk}/matte/"


def test_members_only_hear_about_their_own_images(alice_client, admin_client_, alice, bob):
    mine = upload(alice, "mine.jpg")
    theirs = upload(bob, "theirs.jpg")

    member_sees = _statuses(alice_client, mine, theirs)["images"]
    admin_sees = _statuses(admin_client_, mine, theirs)["images"]

    assert [status["id"] for status in member_sees] == [mine.pk]
    assert sorted(status["id"] for status in admin_sees) == sorted([mine.pk, theirs.pk])


def test_it_counts_a_batch_by_how_far_each_image_got(alice_client, alice):
    batch = UploadBatch.objects.create(owner=alice)
    for number, status in enumerate(
        ["done", "done", "failed", "waiting_credits", "over_budget", "queued", "processing"]
    ):
        _in_batch(batch, f"{number}.jpg", status=status)
    upload(alice, "not-in-the-batch.jpg", status=Image.Status.DONE)

    body = _statuses(alice_client, batch=batch)

    assert body == {
        "images": [],
        "batch": {
            "id": batch.pk,
            "total": 7,
            "done": 2,
            "failed": 1,
            "waiting_credits": 1,
            "over_budget": 1,
            "in_progress": 2,
            "needs_review": 0,
            # One of its images waits for its member's budget: no figure can be given.
            "eta": "Waiting for budget: done once the monthly budget has room",
        },
    }


def test_another_members_batch_is_not_found(alice_client, admin_client_, bob):
    batch = UploadBatch.objects.create(owner=bob)

    assert alice_client.get("/images/status/", {"batch": batch.pk}).status_code == 404
    assert admin_client_.get("/images/status/", {"batch": batch.pk}).status_code == 200


@pytest.mark.parametrize("query", [{"ids": "1,x"}, {"batch": "x"}])
def test_it_refuses_what_is_not_a_number(alice_client, query):
    assert alice_client.get("/images/status/", query).status_code == 400


def test_it_refuses_more_images_than_a_page_could_show(alice_client):
    ids = ",".join(str(number) for number in range(1, 202))

    assert alice_client.get("/images/status/", {"ids": ids}).status_code == 400


@pytest.mark.parametrize("count", [1, 12])
def test_the_query_count_does_not_grow_with_the_images(
    admin_client_, alice, bob, count, django_assert_num_queries
):
    batch = UploadBatch.objects.create(owner=alice)
    images = [_in_batch(batch, f"{number}.jpg") for number in range(count)]
    for image in images[1::2]:
        finish(image)

    # Session, user, the images with their outputs, the line for their ETAs
    # (the pause, the fair order, recent call times), the batch, its waiting
    # images and its counts.
    with django_assert_num_queries(9):
        body = _statuses(admin_client_, *images, batch=batch)

    assert len(body["images"]) == count
    assert body["batch"]["total"] == count
