"""A member styles a cutout in the live preview, saves and downloads two renders, then
exports a batch of twenty as one ZIP: all from stored mattes, with no call to the API."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from playwright.sync_api import expect

from cutouts.models import ApiCall, Image
from cutouts.processing.pipeline import image_process
from cutouts.processing.queueing import QUEUES
from cutouts.processing.uploads import batch_start, image_upload
from tests.images import product_photo

pytestmark = pytest.mark.django_db(transaction=True)

# Both wait for the next frame first: the preview is redrawn in the frame after a change.
# The canvas's pixels, summed per channel: any change to the preview changes them.
CANVAS_SUMS = """async () => {
  await new Promise(requestAnimationFrame);
  const canvas = document.querySelector(".studio-canvas");
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const sums = [0, 0, 0, 0];
  for (let i = 0; i < pixels.length; i += 1) sums[i % 4] += pixels[i];
  return sums;
}"""
CANVAS_PIXEL = """async ([x, y]) => {
  await new Promise(requestAnimationFrame);
  const canvas = document.querySelector(".studio-canvas");
  return [...canvas.getContext("2d").getImageData(x, y, 1, 1).data];
}"""


def _choose(page, name: str, value: str) -> None:
    page.locator(f'[name="{name}"]:visible').select_option(value)


def _set_range(page, selector: str, value: str) -> None:
    page.locator(selector).evaluate(
        "(range, value) => { range.value = value;"
        " range.dispatchEvent(new Event('input', { bubbles: true })); }",
        value,
    )


def _download_newest(page) -> tuple[str, bytes]:
    link = page.locator(".render-row").first.get_by_role("link", name="Download")
    with page.expect_download() as started:
        link.click()
    download = started.value
    with open(download.path(), "rb") as saved:
        return download.suggested_filename, saved.read()


def _save_and_wait(page, rows_before: int) -> None:
    page.get_by_role("button", name="Save full size").click()
    expect(page.locator(".render-row")).to_have_count(rows_before + 1)
    expect(page.locator(".render-row").first).to_have_attribute(
        "data-status", "done", timeout=30_000
    )


def test_a_member_styles_saves_downloads_and_exports_a_batch_without_the_api(
    page, sign_in, alice, workers, sandbox
):
    batch = batch_start(owner=alice)
    images = []
    for number in range(20):
        # Four different photos: the other sixteen reuse their mattes, as repeats do.
        uploaded = SimpleUploadedFile(f"photo-{number:02}.jpg", product_photo(number % 4))
        image = image_upload(owner=alice, batch=batch, uploaded_file=uploaded)
        image_process(image_id=image.pk)  # against the sandbox, as the workers would
        images.append(image)
    assert set(Image.objects.values_list("status", flat=True)) == {Image.Status.DONE}
    ledger = ApiCall.objects.count()
    charges = sandbox.state()["charges"]
    workers.start(2, cron=False, queues=QUEUES)
    sign_in(alice)

    # Open the first photo, then the studio.
    page.goto(f"/images/{images[0].pk}/")
    page.get_by_role("link", name="Open in studio").click()
    expect(page.locator(".studio-canvas")).to_have_attribute("data-ready", "true")
    asked = []
    page.on("request", lambda request: asked.append(request.url))

    # Try backgrounds and shadows: the preview changes, the server hears nothing.
    transparent = page.evaluate(CANVAS_PIXEL, [3, 3])
    assert transparent[3] == 0
    _choose(page, "background.type", "color")
    page.locator('[name="background.color"]').fill("#ff0000")
    assert page.evaluate(CANVAS_PIXEL, [3, 3]) == [255, 0, 0, 255]
    _choose(page, "background.type", "gradient")
    top, bottom = page.evaluate(CANVAS_PIXEL, [3, 3]), page.evaluate(CANVAS_PIXEL, [3, 350])
    assert top != bottom
    plain = page.evaluate(CANVAS_SUMS)
    _choose(page, "shadow.type", "drop")
    _set_range(page, '[data-variant="drop"] [name="shadow.opacity"]', "0.9")
    shadowed = page.evaluate(CANVAS_SUMS)
    assert shadowed[:3] != plain[:3]
    _choose(page, "shadow.type", "contact")
    assert page.evaluate(CANVAS_SUMS)[:3] not in (plain[:3], shadowed[:3])
    _choose(page, "background.type", "blur")
    _choose(page, "framing.crop", "subject")
    expect(page.locator(".studio-output")).to_contain_text("PNG")
    page.wait_for_timeout(200)
    assert asked == []

    # Save the Amazon main image; download it.
    page.get_by_role("button", name="Amazon main image").click()
    expect(page.locator(".studio-output")).to_have_text("Output 2000 × 2000 px, JPEG")
    rows = page.locator(".render-row").count()
    _save_and_wait(page, rows)
    name, data = _download_newest(page)
    assert name == "photo-00-amazon-main.jpg"
    with PILImage.open(io.BytesIO(data)) as picture:
        assert (picture.format, picture.size) == ("JPEG", (2000, 2000))
        assert picture.convert("RGB").getpixel((5, 5)) == (255, 255, 255)

    # And a transparent WebP.
    page.get_by_role("button", name="WebP for the web").click()
    _save_and_wait(page, rows + 1)
    name, data = _download_newest(page)
    assert name == "photo-00-webp-web.webp"
    with PILImage.open(io.BytesIO(data)) as picture:
        assert (picture.format, picture.mode, picture.size) == ("WEBP", "RGBA", (480, 360))
        assert picture.getpixel((2, 2))[3] == 0

    # Apply a preset to the whole batch of twenty and download the ZIP.
    page.goto(f"/batches/{batch.pk}/")
    page.locator(".batch-export select").select_option("shopify-square")
    page.locator(".batch-export").get_by_role("button", name="Export as ZIP").click()
    expect(page.locator(".export-counts")).to_contain_text("of 20 rendered")
    download_link = page.get_by_role("link", name="Download the ZIP")
    expect(download_link).to_be_visible(timeout=60_000)
    with page.expect_download() as started:
        download_link.click()
    with zipfile.ZipFile(started.value.path()) as zipped:
        names = sorted(zipped.namelist())
    assert names == ["manifest.csv"] + [f"photo-{n:02}-shopify-square.jpg" for n in range(20)]
    assert started.value.suggested_filename.startswith("cutouts-shopify-square-")

    assert ApiCall.objects.count() == ledger
    assert sandbox.state()["charges"] == charges
