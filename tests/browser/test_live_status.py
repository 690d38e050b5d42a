"""Statuses change on the page while images are processed, without a reload."""

import pytest
from playwright.sync_api import expect

from cutouts.models import Image, UploadBatch
from cutouts.processing.pipeline import image_process
from tests.uploading import upload

pytestmark = pytest.mark.django_db(transaction=True)

GAVE_UP = "The API kept failing (503); gave up after 5 attempts. An admin can retry it."


def _reloads(page) -> list[str]:
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    return loads


def test_the_library_badge_turns_done_without_a_reload(page, sign_in, alice, queue_redis):
    image = upload(alice, "cat.jpg")
    sign_in(alice)
    page.goto("/")
    card = page.locator(f'.image-card[data-image-id="{image.pk}"]')
    expect(card.locator(".badge").first).to_have_text("Queued")
    expect(card.locator("[data-live-reason]")).to_have_text("Waiting to be processed.")
    loads = _reloads(page)

    Image.objects.filter(pk=image.pk).update(status=Image.Status.DONE, status_reason="")

    expect(card.locator(".badge").first).to_have_text("Done")
    expect(card.locator(".badge").first).to_have_class("badge done")
    expect(card.locator("[data-live-reason]")).to_be_hidden()
    expect(page.locator('[data-status-count="done"]')).to_have_text("1")
    expect(page.locator('[data-status-count="queued"]')).to_have_text("0")
    assert loads == []


def test_a_cutout_that_needs_a_look_is_flagged_without_a_reload(page, sign_in, alice, queue_redis):
    image = upload(alice, "fog.jpg")
    sign_in(alice)
    page.goto("/")
    card = page.locator(f'.image-card[data-image-id="{image.pk}"]')
    flag = card.locator("[data-live-review]")
    expect(flag).to_be_hidden()
    loads = _reloads(page)

    Image.objects.filter(pk=image.pk).update(
        status=Image.Status.DONE, needs_review=True, review_reasons="Almost no subject."
    )

    expect(flag).to_be_visible()
    expect(flag).to_have_attribute("title", "Almost no subject.")
    expect(page.locator('[data-status-count="needs_review"]')).to_have_text("1")
    assert loads == []


def test_the_image_page_shows_the_cutout_once_processed(page, sign_in, alice, api):
    image = upload(alice, "cat.jpg")
    sign_in(alice)
    page.goto(f"/images/{image.pk}/")
    cutout = page.locator(".image-page-cutout")
    expect(cutout).to_be_hidden()
    loads = _reloads(page)

    image_process(image_id=image.pk)

    expect(page.locator(".image-page .badge")).to_have_text("Done")
    expect(cutout).to_be_visible()
    page.wait_for_function(
        "() => { const img = document.querySelector('.image-page-cutout img');"
        " return img.complete && img.naturalWidth > 0; }"
    )
    image.refresh_from_db()
    cutout_render = image.renders.get(preset="transparent-png")
    download = page.get_by_role("link", name="Download cutout (PNG)")
    expect(download).to_have_attribute("href", f"/renders/{cutout_render.pk}/download/")
    expect(page.get_by_role("link", name="Download matte (PNG)")).to_be_visible()
    assert loads == []


def test_the_batch_page_fills_its_progress_bar_and_then_stops_asking(
    page, sign_in, alice, admin_user, queue_redis
):
    batch = UploadBatch.objects.create(owner=alice)
    images = [upload(alice, f"{number}.jpg") for number in range(2)]
    Image.objects.filter(pk__in=[image.pk for image in images]).update(batch=batch)
    sign_in(admin_user)
    page.goto(f"/batches/{batch.pk}/")
    progress = page.locator(".batch-progress")
    expect(progress.locator('[data-count="in_progress"]')).to_have_text("2")
    expect(page.get_by_role("button", name="Retry failed")).to_be_hidden()
    polls: list[str] = []
    page.on("request", lambda request: "/images/status/" in request.url and polls.append(1))

    Image.objects.filter(pk=images[0].pk).update(status=Image.Status.DONE, status_reason="")
    Image.objects.filter(pk=images[1].pk).update(status=Image.Status.FAILED, status_reason=GAVE_UP)

    expect(progress.locator('[data-count="done"]')).to_have_text("1")
    expect(progress.locator('[data-count="failed"]')).to_have_text("1")
    expect(progress.locator('[data-count="in_progress"]')).to_have_text("0")
    expect(progress.locator('[data-part="done"]')).to_have_attribute("style", "width: 50%;")
    failed_card = page.locator(f'.image-card[data-image-id="{images[1].pk}"]')
    expect(failed_card.locator("[data-live-reason]")).to_have_text(GAVE_UP)
    expect(page.get_by_role("button", name="Retry failed")).to_be_visible()
    asked = len(polls)
    page.wait_for_timeout(4500)
    assert len(polls) == asked
