"""A call to the withoutbg-compatible API is an upload: processed by the pipeline, answered
as the vendor would, kept in the caller's library and ledger.

The upload's job goes on a real queue that runs it in this process the moment it is queued
(process_on_upload: django-rq's synchronous mode), against the sandbox;
tests/test_api_vendor_examples.py does the same with real workers.
"""

import base64
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from cutouts.models import ApiCall, Image
from tests.api_calls import base64_body, client_for, opened
from tests.images import product_photo

# Every test here runs the team API's pipeline, jobs and all, on the sandbox.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("pipeline")]


def test_the_alpha_matte_comes_back_as_base64_at_the_size_sent(alice):
    response = client_for(alice).post_json(
        "/api/v1.0/alpha-channel-base64", base64_body(product_photo(size=(640, 480)))
    )

    assert response.status_code == 200
    assert list(response.json()) == ["alpha_base64"]
    matte = opened(base64.b64decode(response.json()["alpha_base64"]))
    assert (matte.format, matte.mode, matte.size) == ("PNG", "L", (640, 480))


def test_the_cutout_comes_back_as_a_base64_rgba_png_at_the_size_sent(alice):
    response = client_for(alice).post_json(
        "/api/v1.0/image-without-background-base64", base64_body(product_photo(size=(500, 400)))
    )

    assert response.status_code == 200
    cutout = opened(base64.b64decode(response.json()["img_without_background_base64"]))
    assert (cutout.format, cutout.mode, cutout.size) == ("PNG", "RGBA", (500, 400))
    alpha = cutout.getchannel("A")
    assert alpha.getextrema() == (0, 255)


@pytest.mark.parametrize(
    ("path", "mode"),
    [("/api/v1.0/alpha-channel", "L"), ("/api/v1.0/image-without-background", "RGBA")],
)
def test_a_file_upload_gets_a_png_back(alice, path, mode):
    photo = SimpleUploadedFile("shoe.jpg", product_photo(size=(300, 200)))

    response = client_for(alice).post(path, {"file": photo})

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    picture = opened(response.content_bytes)
    assert (picture.mode, picture.size) == (mode, (300, 200))


def test_the_matte_is_the_one_kept_in_the_callers_library(alice):
    data = product_photo(size=(320, 240))

    response = client_for(alice).post(
        "/api/v1.0/alpha-channel", {"file": SimpleUploadedFile("shoe.jpg", data)}
    )

    image = Image.objects.get()
    assert (image.owner, image.original_name, image.status) == (alice, "shoe.jpg", "done")
    assert image.original.read() == data
    assert response.content_bytes == image.matte.file.read()


def test_a_base64_image_is_named_after_the_api_and_its_format(alice):
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")

    client_for(alice).post_json("/api/v1.0/alpha-channel-base64", base64_body(buffer.getvalue()))

    assert Image.objects.get().original_name == "api-upload.png"


def test_the_call_is_in_the_ledger_under_the_caller(alice, pipeline):
    client_for(alice).post_json("/api/v1.0/alpha-channel-base64", base64_body(product_photo()))

    call = ApiCall.objects.get()
    assert (call.user, call.outcome, call.http_status) == (alice, "success", 200)
    assert pipeline.state()["charges"] == 1


def test_the_same_bytes_again_cost_no_credit(alice, bob, pipeline):
    data = product_photo(seed=3)
    first = client_for(alice).post_json("/api/v1.0/alpha-channel-base64", base64_body(data))

    again = client_for(bob).post_json(
        "/api/v1.0/image-without-background-base64", base64_body(data)
    )

    assert again.status_code == 200
    assert pipeline.state()["charges"] == 1
    hit = ApiCall.objects.get(user=bob)
    assert hit.outcome == ApiCall.Outcome.CACHE_HIT
    assert first.json()["alpha_base64"]
    assert Image.objects.filter(owner=bob).count() == 1
