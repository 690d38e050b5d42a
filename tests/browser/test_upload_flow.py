"""A member drops photos in the browser, sees each upload finish, and finds them in the library."""

import base64

import pytest
from playwright.sync_api import expect

from cutouts.models import Image, UploadBatch
from tests.images import image_bytes

pytestmark = pytest.mark.django_db(transaction=True)

DROP_FILES = """(files) => {
  const transfer = new DataTransfer();
  for (const [name, type, encoded] of files) {
    const bytes = Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0));
    transfer.items.add(new File([bytes], name, { type }));
  }
  return transfer;
}"""


def _drop(page, files: list[tuple[str, str, bytes]]) -> None:
    encoded = [[name, type_, base64.b64encode(data).decode()] for name, type_, data in files]
    transfer = page.evaluate_handle(DROP_FILES, encoded)
    page.dispatch_event(".dropzone", "dragover", {"dataTransfer": transfer})
    expect(page.locator(".dropzone")).to_have_class("dropzone dragging")
    page.dispatch_event(".dropzone", "drop", {"dataTransfer": transfer})


def test_a_member_drops_twenty_photos_and_sees_them_in_the_library(page, sign_in, alice, bob):
    photos = [
        (f"photo-{number:02}.jpg", "image/jpeg", image_bytes("JPEG", size=(320 + number, 240)))
        for number in range(20)
    ]
    sign_in(alice)
    page.goto("/upload/")

    _drop(page, photos)

    rows = page.locator(".upload-row")
    expect(rows).to_have_count(20)
    expect(page.locator(".upload-row.done")).to_have_count(20)
    for bar in page.locator(".upload-bar").all():
        expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(page.locator(".upload-row.done .upload-thumb img")).to_have_count(20)
    expect(page.locator(".upload-summary")).to_have_text(
        "20 uploaded. View this batch's progress · See them in the library"
    )
    batch = UploadBatch.objects.get(owner=alice)
    expect(page.get_by_role("link", name="View this batch's progress")).to_have_attribute(
        "href", f"/batches/{batch.pk}/"
    )

    page.get_by_role("link", name="See them in the library").click()

    expect(page.locator(".image-card")).to_have_count(20)
    names = page.locator(".image-card-name").all_text_contents()
    assert sorted(names) == [name for name, _, _ in photos]
    page.wait_for_function(
        "() => [...document.querySelectorAll('.image-card img')]"
        ".every(image => image.complete && image.naturalWidth > 0)"
    )
    assert Image.objects.filter(owner=alice).count() == 20

    # Bob, signed in on the same browser, can reach none of them.
    page.context.clear_cookies()
    sign_in(bob)
    page.goto("/")
    expect(page.locator(".image-card")).to_have_count(0)
    for image in Image.objects.all():
        for url in (f"/images/{image.pk}/", f"/images/{image.pk}/original/"):
            assert page.request.get(url).status == 404


def test_picked_files_show_the_servers_message_for_each_rejected_one(
    page, sign_in, alice, tmp_path
):
    good = tmp_path / "cat.png"
    good.write_bytes(image_bytes("PNG"))
    renamed = tmp_path / "notes.jpg"
    renamed.write_text("not a photo at all\n")
    sign_in(alice)
    page.goto("/")

    page.set_input_files(".dropzone-input", [good, renamed])

    expect(page.locator(".upload-row.done")).to_have_count(1)
    rejected = page.locator(".upload-row.rejected")
    expect(rejected).to_have_count(1)
    expect(rejected.locator(".upload-name")).to_have_text("notes.jpg")
    expect(rejected.locator(".upload-status")).to_have_text(
        "This file is a text file, not a JPEG, PNG, WebP, TIFF, BMP or GIF image."
    )
    expect(page.locator(".upload-summary")).to_have_text(
        "1 uploaded, 1 rejected. View this batch's progress · See them in the library"
    )
    assert list(Image.objects.values_list("original_name", flat=True)) == ["cat.png"]


def test_a_file_over_the_limit_is_refused_before_it_is_sent(page, sign_in, alice, settings):
    settings.UPLOAD_MAX_BYTES = 2048
    sign_in(alice)
    page.goto("/upload/")
    sent = []
    page.on("request", lambda request: sent.append(request.url))

    _drop(page, [("big.png", "image/png", bytes(4096))])

    expect(page.locator(".upload-row.rejected .upload-status")).to_have_text(
        "This file is 4 KB; the limit is 2 KB."
    )
    assert not [url for url in sent if "/upload/" in url]
