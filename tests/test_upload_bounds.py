"""Pictures too costly to decode, or the pipeline could not write, are refused from the header."""

import contextlib
import io
import threading
from collections.abc import Iterator

import pytest
from PIL import Image as PILImage
from PIL import ImageChops, ImageStat

from cutouts.models import Image
from cutouts.processing.uploads import decode_slot
from tests.api_calls import base64_body, client_for
from tests.bombs import flat_png, png_4_000_000_by_1, png_7070_rgba, webp_16383_by_3000
from tests.images import gradient, image_bytes
from tests.uploading import assert_nothing_stored, post_file

pytestmark = pytest.mark.django_db


def _thumbnail(image: Image) -> PILImage.Image:
    with image.thumbnail.open("rb") as handle:
        picture = PILImage.open(io.BytesIO(handle.read()))
        picture.load()
    return picture


def test_a_webp_that_decodes_to_16383_by_3000_is_refused_before_pillow_opens_it(alice_client):
    response = post_file(alice_client, "tiny.webp", webp_16383_by_3000())

    assert response.status_code == 400
    assert response.json()["error"] == (
        "This image is 16383 × 3000 pixels and needs 750 MB of memory to open; the limit is 200 MB."
    )
    assert_nothing_stored()


def test_a_strip_of_4_000_000_by_1_pixels_is_refused_before_any_api_call(alice_client):
    response = post_file(alice_client, "strip.png", png_4_000_000_by_1())

    assert response.status_code == 400
    assert response.json()["error"] == (
        "This image is 4000000 × 1 pixels; the longest side Cutouts can store is 65,535 pixels."
    )
    assert_nothing_stored()


def test_a_picture_far_wider_than_tall_is_refused_naming_the_aspect_limit(alice_client):
    response = post_file(alice_client, "banner.png", flat_png(2100, 100, "RGB"))

    assert response.status_code == 400
    assert response.json()["error"] == (
        "This image is 2100 × 100 pixels; one side may be at most 20 times the other."
    )
    assert_nothing_stored()


def test_the_aspect_limit_is_a_setting(alice_client, settings):
    settings.UPLOAD_MAX_ASPECT = 30

    assert post_file(alice_client, "banner.png", flat_png(2100, 100, "RGB")).status_code == 201


def test_the_memory_limit_counts_channels_not_only_pixels(alice_client, settings):
    settings.UPLOAD_MAX_DECODED_BYTES = 1_000_000

    grey = post_file(alice_client, "grey.png", flat_png(600, 600, "L"))
    colour = post_file(alice_client, "colour.png", flat_png(600, 600, "RGBA"))

    assert grey.status_code == 201
    assert colour.status_code == 400
    assert colour.json()["error"] == (
        "This image is 600 × 600 pixels and needs 1.4 MB of memory to open; the limit is 976.6 KB."
    )


def test_the_7070_by_7070_rgba_png_is_taken_with_its_thumbnail(alice_client):
    response = post_file(alice_client, "bomb.png", png_7070_rgba())

    assert response.status_code == 201
    image = Image.objects.get()
    assert (image.width, image.height) == (7070, 7070)
    thumbnail = _thumbnail(image)
    assert thumbnail.size == (384, 384)
    red, green, blue, alpha = thumbnail.convert("RGBA").getpixel((200, 200))
    assert (red, green, blue, alpha) == pytest.approx((200, 30, 30, 255), abs=3)


def test_a_large_thumbnail_made_band_by_band_matches_pillows_own(alice_client):
    picture = gradient((3001, 2003))
    data = image_bytes("PNG", size=(3001, 2003))

    post_file(alice_client, "gradient.png", data)

    made = _thumbnail(Image.objects.get()).convert("RGB")
    expected = picture.copy()
    expected.thumbnail((384, 384), PILImage.Resampling.LANCZOS)
    assert made.size == expected.size == (384, 256)
    difference = ImageStat.Stat(ImageChops.difference(made, expected))
    assert max(difference.mean) < 3


def test_a_sideways_large_photo_is_thumbnailed_upright(alice_client):
    exif = PILImage.Exif()
    exif[0x0112] = 6
    data = image_bytes("PNG", size=(2400, 1600), exif=exif)

    post_file(alice_client, "sideways.png", data)

    image = Image.objects.get()
    assert (image.width, image.height) == (1600, 2400)
    assert _thumbnail(image).size == (256, 384)


def test_an_upload_that_finds_every_decoding_slot_taken_is_told_to_try_again(
    alice_client, settings
):
    settings.UPLOAD_MAX_CONCURRENT_DECODES = 1
    settings.UPLOAD_DECODE_WAIT_SECONDS = 0.2

    with _every_slot_taken():
        response = post_file(alice_client, "photo.png", image_bytes("PNG"))

    assert response.status_code == 503
    assert response["Retry-After"] == "3"
    assert response.json()["error"] == (
        "Cutouts is busy checking other uploads. Try again in a few seconds."
    )
    assert_nothing_stored()
    assert post_file(alice_client, "photo.png", image_bytes("PNG")).status_code == 201


def test_a_backdrop_that_finds_every_decoding_slot_taken_is_told_to_try_again(
    alice_client, settings
):
    settings.UPLOAD_MAX_CONCURRENT_DECODES = 1
    settings.UPLOAD_DECODE_WAIT_SECONDS = 0.2

    with _every_slot_taken():
        response = post_file(alice_client, "beach.png", image_bytes("PNG"), path="/backdrops/")

    assert response.status_code == 503
    assert "busy" in response.json()["error"]
    assert_nothing_stored()


def test_a_backdrop_too_costly_to_decode_is_refused(alice_client):
    response = post_file(alice_client, "beach.webp", webp_16383_by_3000(), path="/backdrops/")

    assert response.status_code == 400
    assert "needs 750 MB of memory to open" in response.json()["error"]
    assert_nothing_stored()


@contextlib.contextmanager
def _every_slot_taken() -> Iterator[None]:
    """Hold every decoding slot from another thread, as uploads in flight would."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with decode_slot():
            taken.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(timeout=10)
    try:
        yield
    finally:
        release.set()
        holder.join(timeout=10)


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (png_4_000_000_by_1(), "the longest side Cutouts can store is 65,535 pixels"),
        (webp_16383_by_3000(), "needs 750 MB of memory to open"),
    ],
)
def test_the_team_api_refuses_them_with_413_before_any_paid_call(alice, api, data, detail):
    response = client_for(alice).post_json("/api/v1.0/alpha-channel-base64", base64_body(data))

    assert response.status_code == 413
    assert detail in response.json()["detail"]
    assert api.state()["charges"] == 0
    assert_nothing_stored()
