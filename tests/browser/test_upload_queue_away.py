"""With Redis down, the upload widget says the photo is saved and will be processed shortly."""

import pytest
from playwright.sync_api import expect

from cutouts.models import Image
from cutouts.processing.uploads import QUEUE_AWAY_REASON
from tests.images import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_member_is_told_processing_will_start_shortly(page, sign_in, alice, settings, tmp_path):
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    photo = tmp_path / "cat.jpg"
    photo.write_bytes(image_bytes("JPEG"))
    sign_in(alice)
    page.goto("/upload/")

    page.set_input_files(".dropzone-input", [photo])

    row = page.locator(".upload-row.done")
    expect(row.locator(".badge")).to_have_text("Queued")
    expect(row.locator(".upload-reason")).to_have_text(QUEUE_AWAY_REASON)
    assert Image.objects.get().original_name == "cat.jpg"
