"""POST /api/cutouts/v1/images: a script hands over an image and hears back at once.

The answer is 202 with the image's id, where to follow it and when it should
be done; the image then goes through the same fair line as any upload. An
Idempotency-Key makes a retried request safe: the same image, never a
second one, and a clear 409 when the key is reused for something else.
"""

import base64
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections

from cutouts.models import ApiSubmission, Image
from tests.api_calls import ApiClient, client_for
from tests.images import image_bytes, product_photo
from tests.uploading import assert_nothing_stored, stored_files

pytestmark = pytest.mark.django_db(transaction=True)

IMAGES = "/api/cutouts/v1/images"


def submit(api: ApiClient, data: bytes, name: str = "shoe.jpg", key: str = "", **fields):
    headers = {"Idempotency-Key": key} if key else {}
    return api.client.post(
        IMAGES,
        {"file": SimpleUploadedFile(name, data), **fields},
        headers={**api.headers, **headers},
    )


def test_a_multipart_upload_answers_202_at_once_with_where_to_follow_it(alice, queue_redis):
    api = client_for(alice)

    response = submit(api, product_photo(1, (240, 180)), preset="amazon-main")

    assert response.status_code == 202
    body = response.json()
    image = Image.objects.get(pk=body["id"])
    assert (image.owner, image.status, image.original_name) == (alice, "queued", "shoe.jpg")
    assert response["Location"] == f"{IMAGES}/{image.pk}"
    assert body["url"].endswith(f"{IMAGES}/{image.pk}")
    assert body["eta"].startswith("Done in")
    assert isinstance(body["eta_seconds"], int)
    assert (body["preset"], body["render"], body["engine"]) == ("amazon-main", None, None)
    # The status URL answers the same image to the same token.
    assert api.get(f"{IMAGES}/{image.pk}").json()["status"] == "queued"


def test_a_json_upload_takes_base64_a_name_and_a_webhook(alice, queue_redis, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    api = client_for(alice)
    payload = {
        "image_base64": base64.b64encode(image_bytes("PNG")).decode(),
        "name": "mug.png",
        "webhook_url": "http://127.0.0.1:9/hooks",
    }

    response = api.post_json(IMAGES, payload)

    assert response.status_code == 202
    submission = ApiSubmission.objects.get(image_id=response.json()["id"])
    assert (submission.image.original_name, submission.webhook_url, submission.preset) == (
        "mug.png",
        "http://127.0.0.1:9/hooks",
        "",
    )
    assert submission.token.user == alice


def test_the_same_idempotency_key_gives_back_the_same_image(alice, queue_redis):
    api = client_for(alice)
    photo = product_photo(2, (240, 180))

    first = submit(api, photo, key="order-1234-front")
    again = submit(api, photo, key="order-1234-front")

    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Image.objects.count() == 1


def test_a_key_sent_again_with_another_file_is_refused_with_409(alice, queue_redis):
    api = client_for(alice)
    first = submit(api, product_photo(3, (240, 180)), key="k-1")

    response = submit(api, product_photo(4, (240, 180)), key="k-1")

    assert response.status_code == 409
    assert f"image {first.json()['id']}" in response.json()["detail"]
    assert Image.objects.count() == 1


def test_a_key_sent_again_with_another_preset_is_refused_with_409(alice, queue_redis):
    api = client_for(alice)
    photo = product_photo(5, (240, 180))
    submit(api, photo, key="k-2", preset="amazon-main")

    response = submit(api, photo, key="k-2", preset="cutout")

    assert response.status_code == 409
    assert Image.objects.count() == 1


def test_keys_are_each_members_own(alice, bob, queue_redis):
    photo = product_photo(6, (240, 180))

    mine = submit(client_for(alice), photo, key="shared-key").json()["id"]
    theirs = submit(client_for(bob), photo, key="shared-key").json()["id"]

    assert mine != theirs
    assert Image.objects.get(pk=theirs).owner == bob


def test_the_same_key_sent_twice_at_once_makes_one_image(alice, queue_redis):
    api = client_for(alice)
    photo = product_photo(7, (240, 180))
    answers = []

    def send() -> None:
        try:
            answers.append(submit(api, photo, key="at-once"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [answer.status_code for answer in answers] == [202] * 4
    assert len({answer.json()["id"] for answer in answers}) == 1
    [image] = Image.objects.all()
    # The losers' files went with their rolled-back rows: the original and its thumbnail stay.
    assert {path.name for path in stored_files()} == {
        image.original.name.rsplit("/", 1)[1],
        image.thumbnail.name.rsplit("/", 1)[1],
    }


@pytest.mark.parametrize(
    ("fields", "headers", "status", "says"),
    [
        ({"preset": "no-such-preset"}, {}, 400, "There is no preset"),
        ({"webhook_url": "ftp://example.com/hook"}, {}, 400, "http"),
        ({"webhook_url": "http://10.0.0.5/hook"}, {}, 400, ""),
        ({"webhook_url": "http://169.254.169.254/latest"}, {}, 400, ""),
        ({"webhook_url": "https://example.com/" + "a" * 2100}, {}, 400, "long"),
        ({}, {"Idempotency-Key": "x" * 256}, 400, "Idempotency-Key"),
        ({}, {"Idempotency-Key": "bad\u00e9key"}, 400, "Idempotency-Key"),
    ],
)
def test_bad_fields_are_refused_with_a_message_and_nothing_stored(
    alice, queue_redis, fields, headers, status, says
):
    api = client_for(alice)

    response = api.client.post(
        IMAGES,
        {"file": SimpleUploadedFile("shoe.jpg", image_bytes("JPEG")), **fields},
        headers={**api.headers, **headers},
    )

    assert response.status_code == status
    assert says in response.json()["detail"]
    assert not Image.objects.exists()
    assert_nothing_stored()


def test_a_body_that_is_neither_form_nor_json_is_refused_with_415(alice):
    response = client_for(alice).post_raw(IMAGES, b"\x89PNG...", content_type="image/png")

    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["detail"]


def test_json_fields_must_be_strings(alice):
    payload = {"image_base64": base64.b64encode(image_bytes("PNG")).decode(), "preset": 7}

    response = client_for(alice).post_json(IMAGES, payload)

    assert response.status_code == 400
    assert response.json()["detail"] == "preset must be a string."
    assert not Image.objects.exists()


def test_json_without_an_image_gets_the_vendors_answer(alice):
    response = client_for(alice).post_json(IMAGES, {"preset": "cutout"})

    assert response.status_code == 400
    assert not Image.objects.exists()


def test_without_a_token_nothing_is_taken(alice):
    response = ApiClient(None).client.post(
        IMAGES, {"file": SimpleUploadedFile("shoe.jpg", image_bytes("JPEG"))}
    )

    assert response.status_code == 401
    assert not Image.objects.exists()
