"""The image page once processed: the cutout beside the original, and its files to download."""

import pytest

from cutouts.models import Image
from tests.outputs import finish
from tests.uploading import upload

pytestmark = pytest.mark.django_db


def test_a_done_image_shows_its_cutout_and_the_original_in_one_frame(alice_client, alice):
    image = upload(alice, "chair.jpg")
    render = finish(image)

    body = alice_client.get(f"/images/{image.pk}/").content.decode()

    assert "data-compare" in body
    assert f'src="/images/{image.pk}/studio/original/"' in body
    assert f'data-full-src="/images/{image.pk}/original/"' in body
    assert f'src="/images/{image.pk}/preview/?v={image.matte.pk}"' in body
    assert f'data-full-src="/renders/{render.pk}/download/"' in body
    assert 'role="slider"' in body
    assert "cutouts/compare.js" in body
    assert f'data-live-show="done" href="/images/{image.pk}/touch-up/"' in body
    assert f'data-live-href="cutout_url" href="/renders/{render.pk}/download/"' in body
    assert f'data-live-href="matte_url" href="/images/{image.pk}/matte/"' in body
    assert "Download cutout (PNG)" in body


def test_before_it_is_done_the_cutout_and_its_downloads_are_hidden(alice_client, alice):
    image = upload(alice, "chair.jpg")

    body = alice_client.get(f"/images/{image.pk}/").content.decode()

    assert 'data-live-show="done" hidden>' in body
    assert 'data-live-href="cutout_url" hidden>' in body
    assert 'data-live-href="matte_url" hidden>' in body
    assert "cutouts/live-status.js" in body


def test_waiting_for_credits_shows_why(alice_client, alice):
    reason = "Waiting for credits: processing resumes by itself when credits are topped up."
    image = upload(alice, status=Image.Status.WAITING_CREDITS, status_reason=reason)

    body = alice_client.get(f"/images/{image.pk}/").content.decode()

    assert '<span class="badge waiting_credits">Waiting for credits</span>' in body
    assert f"data-live-reason>{reason}</span>" in body
