"""Marketplace checks on export: every file against its preset's rules, on the page and in
the ZIP's manifest.csv; and doubtful cutouts shown before an export starts."""

import csv
import io
import zipfile

import pytest
from PIL import Image as PILImage

from cutouts.lib.marketplace import MarketplaceRules, check_file
from cutouts.lib.presets import BUILTIN_PRESETS
from cutouts.models import Export, Image, UploadBatch
from cutouts.studio import services as studio
from tests.images import encoded
from tests.studio_images import processed, work_off

pytestmark = pytest.mark.django_db

AMAZON = BUILTIN_PRESETS["amazon-main"].rules


def manifest(export: Export) -> list[dict[str, str]]:
    with export.archive.open("rb") as stored, zipfile.ZipFile(io.BytesIO(stored.read())) as zipped:
        text = zipped.read(studio.MANIFEST_NAME).decode()
    return list(csv.DictReader(io.StringIO(text)))


def white_mug(size: tuple[int, int] = (400, 300)) -> bytes:
    """A white product on white: nothing in its render tells product from background."""
    return encoded(PILImage.new("RGB", size, (255, 255, 255)), "JPEG")


def product_on(background: tuple[int, int, int], box=(500, 500, 1500, 1500), size=2000) -> bytes:
    picture = PILImage.new("RGB", (size, size), background)
    picture.paste((200, 30, 30), box)
    return encoded(picture, "JPEG", quality=90)


def test_a_product_on_pure_white_passes_amazons_rules():
    checks = check_file(
        product_on((255, 255, 255), box=(150, 150, 1850, 1850)), file_format="JPEG", rules=AMAZON
    )

    assert [(check.name, check.passed) for check in checks] == [
        ("size", True),
        ("format", True),
        ("fill", True),
        ("white background", True),
        ("clear of edges", True),
    ]


def test_an_off_white_background_small_fill_and_small_size_each_fail():
    off_white = check_file(
        product_on((252, 252, 252), box=(150, 150, 1850, 1850)), file_format="JPEG", rules=AMAZON
    )
    small = check_file(
        product_on((255, 255, 255), size=600, box=(200, 200, 400, 400)),
        file_format="JPEG",
        rules=AMAZON,
    )

    assert {check.name: check.passed for check in off_white}["white background"] is False
    failed = {check.name: check.detail for check in small if not check.passed}
    assert failed == {
        "size": "600 × 600 px (at least 1000 px a side)",
        "fill": "The product fills 34% of the frame (at least 85%).",
    }


def test_a_product_touching_the_frame_and_a_wrong_format_fail():
    rules = MarketplaceRules("Test", False, (0.5, 1.0), 100, ("PNG",), clear_of_edges=True)

    checks = check_file(
        product_on((255, 255, 255), box=(0, 500, 1500, 1500)), file_format="JPEG", rules=rules
    )

    failed = {check.name for check in checks if not check.passed}
    assert failed == {"format", "clear of edges"}


def test_an_amazon_export_lists_each_files_checks_and_carries_a_manifest(
    alice, alice_client, export, queue_redis
):
    good = processed(alice, "red bottle.jpg")
    white = processed(alice, "white mug.jpg", data=white_mug())
    flagged = processed(
        alice, "grey.jpg", needs_review=True, review_reasons="Almost no subject: only 1.0% kept."
    )

    created = export(alice, [good, white, flagged], preset="amazon-main")
    work_off(queue_redis)

    page = alice_client.get(f"/exports/{created.export.pk}/")
    checks = page.context["checks"]
    assert (checks.marketplace, checks.passed, checks.failed) == ("Amazon", 2, 1)
    # Failing files first.
    assert checks.files[0].render.image == white
    assert "2 of 3 files pass; 1 would likely be refused." in page.content.decode()
    rows = {row["source_image"]: row for row in manifest(Export.objects.get())}
    assert rows["red bottle.jpg"]["checks"] == "pass"
    assert rows["white mug.jpg"]["checks"] == "fail"
    assert rows["white mug.jpg"]["failed_checks"] == "fill"
    assert rows["red bottle.jpg"]["file"] == "red bottle-amazon-main.jpg"
    assert (rows["red bottle.jpg"]["width"], rows["red bottle.jpg"]["format"]) == ("2000", "JPEG")
    assert rows["grey.jpg"]["warnings"] == "needs review: Almost no subject: only 1.0% kept."


def test_presets_without_marketplace_rules_are_not_checked(
    alice, alice_client, export, queue_redis
):
    created = export(alice, [processed(alice, "a.jpg")], preset="webp-web")
    work_off(queue_redis)

    assert alice_client.get(f"/exports/{created.export.pk}/").context["checks"] is None
    assert manifest(Export.objects.get())[0]["checks"] == "not checked"


def test_images_that_need_review_are_shown_before_the_export_starts(alice, alice_client):
    batch = UploadBatch.objects.create(owner=alice)
    processed(alice, "fine.jpg", batch=batch)
    doubtful = processed(
        alice, "grey.jpg", batch=batch, needs_review=True, review_reasons="Fog everywhere."
    )

    page = alice_client.post("/exports/", {"batch": batch.pk, "preset": "amazon-main"})

    assert not Export.objects.exists()
    text = page.content.decode()
    assert "grey.jpg" in text and "Fog everywhere." in text
    assert list(page.context["flagged"]) == [doubtful]
    assert ("batch", str(batch.pk)) in page.context["resend"]


def test_leaving_them_out_exports_the_rest(alice, alice_client):
    fine = processed(alice, "fine.jpg")
    doubtful = processed(alice, "grey.jpg", needs_review=True)

    alice_client.post(
        "/exports/",
        {"images": [fine.pk, doubtful.pk], "preset": "amazon-main", "review": "leave-out"},
    )

    export = Export.objects.get()
    assert export.total == 1
    assert list(export.renders.values_list("image_id", flat=True)) == [fine.pk]


def test_exporting_them_too_keeps_every_image(alice, alice_client):
    fine = processed(alice, "fine.jpg")
    doubtful = processed(alice, "grey.jpg", needs_review=True)

    alice_client.post(
        "/exports/",
        {"images": [fine.pk, doubtful.pk], "preset": "amazon-main", "review": "include"},
    )

    assert Export.objects.get().total == 2


def test_leaving_out_every_image_exports_nothing_and_says_so(alice, alice_client):
    doubtful = processed(alice, "grey.jpg", needs_review=True)

    response = alice_client.post(
        "/exports/",
        {"images": [doubtful.pk], "preset": "amazon-main", "review": "leave-out"},
        follow=True,
    )

    assert b"Every image chosen needs review" in response.content
    assert not Export.objects.exists()
    assert Image.objects.get(pk=doubtful.pk).needs_review
