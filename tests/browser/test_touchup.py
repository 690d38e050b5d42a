"""A member compares a cutout that lost part of its subject, restores it with the brush in the
editor at 12 megapixels, saves, and sees the restored part in the cutout, the preview and a new
render; going back to the engine's version brings the old matte back. No API call is made."""

import io
import statistics

import numpy as np
import pytest
from PIL import Image as PILImage
from playwright.sync_api import expect

from cutouts.lib.presets import CUTOUT_PRESET
from cutouts.models import ApiCall, Image, Matte
from cutouts.processing.queueing import QUEUES
from tests.touchups import DISC, SIZE, alpha, broken_cutout, lost_part_share

pytestmark = pytest.mark.django_db(transaction=True)

FULL = (4000, 3000)  # 12 megapixels
# The view's pixel at a point of the picture (display copy coordinates), after the next frame.
VIEW_PIXEL = """async ([px, py]) => {
  await new Promise(requestAnimationFrame);
  const canvas = document.querySelector(".touchup-canvas");
  const { x, y, scale } = placement(canvas, px, py);
  const ratio = window.devicePixelRatio || 1;
  return [...canvas.getContext("2d").getImageData(x * ratio, y * ratio, 1, 1).data];
  function placement(canvas, px, py) {
    const viewport = canvas.parentElement;
    const data = JSON.parse(document.getElementById("touchup-data").textContent);
    const scale = Math.min(viewport.clientWidth / data.width, viewport.clientHeight / data.height);
    const left = (viewport.clientWidth - data.width * scale) / 2;
    const top = (viewport.clientHeight - data.height * scale) / 2;
    return { x: Math.round(left + px * scale), y: Math.round(top + py * scale), scale };
  }
}"""
# Where a point of the picture is on the page, with the picture fitted in the viewport.
PAGE_POINT = """([px, py]) => {
  const viewport = document.querySelector(".touchup-viewport");
  const data = JSON.parse(document.getElementById("touchup-data").textContent);
  const box = viewport.getBoundingClientRect();
  const scale = Math.min(viewport.clientWidth / data.width, viewport.clientHeight / data.height);
  const left = (viewport.clientWidth - data.width * scale) / 2;
  const top = (viewport.clientHeight - data.height * scale) / 2;
  return [box.left + viewport.clientLeft + left + px * scale,
          box.top + viewport.clientTop + top + py * scale];
}"""


def _read(field) -> bytes:
    with field.open("rb") as stored:
        return stored.read()


def _paint_arc(page, display: tuple[int, int], distance: float) -> None:
    """Drag the mouse along an arc about the disc's centre, over its lost left part."""
    sx = display[0] / SIZE[0]
    centre = ((DISC[0] + DISC[2]) / 2 * sx, (DISC[1] + DISC[3]) / 2 * sx)
    angles = np.linspace(np.pi / 2, 3 * np.pi / 2, 40)
    points = [
        page.evaluate(
            PAGE_POINT,
            [centre[0] + distance * sx * np.cos(t), centre[1] + distance * sx * np.sin(t)],
        )
        for t in angles
    ]
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point, steps=2)
    page.mouse.up()


def test_a_member_restores_a_lost_part_with_the_brush_and_can_go_back(
    page, sign_in, alice, workers
):
    image = broken_cutout(alice, size=FULL)
    ledger = ApiCall.objects.count()
    workers.start(1, cron=False, queues=QUEUES)
    sign_in(alice)

    # The image page compares the original and the cutout in one frame.
    page.goto(f"/images/{image.pk}/")
    compare = page.locator("[data-compare]")
    expect(compare).to_have_attribute("data-ready", "true")
    handle = page.get_by_role("slider", name="Split between the original and the cutout")
    handle.focus()
    page.keyboard.press("ArrowLeft")
    expect(handle).to_have_attribute("aria-valuenow", "45")
    fitted = page.locator(".compare-scale").inner_text()
    page.get_by_role("button", name="Zoom in").click()
    expect(page.locator(".compare-scale")).not_to_have_text(fitted)
    page.get_by_label("Black").check()
    expect(page.locator(".compare-after")).to_have_attribute("data-background", "black")

    # The editor: restore the lost part with the brush.
    page.get_by_role("link", name="Touch up the matte").click()
    expect(page.locator(".touchup")).to_have_attribute("data-ready", "true", timeout=20_000)
    data = page.evaluate("() => JSON.parse(document.getElementById('touchup-data').textContent)")
    display = (data["width"], data["height"])
    assert display == (1280, 960)
    lost_point = [150 * display[0] / SIZE[0], 180 * display[0] / SIZE[0]]
    background = page.evaluate(VIEW_PIXEL, lost_point)
    page.locator('[name="size"]').fill("80")
    for distance in (110, 70, 30):
        _paint_arc(page, display, distance)
    restored = page.evaluate(VIEW_PIXEL, lost_point)
    assert restored[:3] == pytest.approx([60, 40, 30], abs=12)  # the subject's colour, live
    latencies = page.evaluate("() => document.querySelector('.touchup').touchupLatencies")
    assert len(latencies) > 50
    median, worst = statistics.median(latencies), max(latencies)
    print(
        f"stroke-to-screen at {display[0]}×{display[1]}: median {median:.1f} ms, "
        f"p95 {np.percentile(latencies, 95):.1f} ms, max {worst:.1f} ms over {len(latencies)} moves"
    )
    assert median < 50

    # Undo and redo with the keyboard; the mask shows over the photo on demand.
    for _ in range(3):
        page.keyboard.press("Control+z")
    assert page.evaluate(VIEW_PIXEL, lost_point) == background
    expect(page.get_by_role("button", name="Undo")).to_be_disabled()
    for _ in range(3):
        page.keyboard.press("Control+Shift+z")
    assert page.evaluate(VIEW_PIXEL, lost_point) == restored
    page.keyboard.press("m")
    expect(page.locator('[name="mask"]')).to_be_checked()
    page.keyboard.press("m")
    assert background != restored

    # Save: the full-size matte, the cutout, the preview and the thumbnail have the part back.
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/images/{image.pk}/", timeout=30_000)
    image.refresh_from_db()
    matte = Matte.objects.get(image=image)
    assert (matte.version, matte.width, matte.height) == (2, *FULL)
    assert lost_part_share(alpha(_read(matte.file))) > 0.95
    cutout = image.renders.get(preset=CUTOUT_PRESET, export=None)
    for picture in (_read(cutout.file), _read(image.preview), _read(image.cutout_thumbnail)):
        assert lost_part_share(alpha(picture)) > 0.9
    expect(page.locator(".compare-after img")).to_have_attribute(
        "src", f"/images/{image.pk}/preview/?v={matte.pk}"
    )
    expect(page.locator(".matte-version.current")).to_contain_text("touched up by alice")

    # A new render from the studio shows it too.
    page.get_by_role("link", name="Open in studio").click()
    expect(page.locator(".studio-canvas")).to_have_attribute("data-ready", "true")
    page.get_by_role("button", name="WebP for the web").click()
    page.get_by_role("button", name="Save full size").click()
    row = page.locator(".render-row").first
    expect(row).to_have_attribute("data-status", "done", timeout=60_000)
    with page.expect_download() as started:
        row.get_by_role("link", name="Download").click()
    with open(started.value.path(), "rb") as saved:
        rendered = PILImage.open(io.BytesIO(saved.read()))
        assert lost_part_share(alpha(rendered)) > 0.9

    # Going back to the engine's version brings the old matte back; the render is marked.
    page.goto(f"/images/{image.pk}/")
    page.get_by_role("button", name="Go back to version 1").click()
    expect(page.locator(".matte-version.current")).to_contain_text("Version 1")
    image.refresh_from_db()
    assert Matte.objects.get(image=image).version == 1
    assert lost_part_share(alpha(_read(Matte.objects.get(image=image).file))) < 0.01
    assert lost_part_share(alpha(_read(image.preview))) < 0.05
    page.goto(f"/images/{image.pk}/studio/")
    expect(page.locator(".render-stale").first).to_contain_text("Made from another version")

    assert ApiCall.objects.count() == ledger
    assert Image.objects.get(pk=image.pk).status == Image.Status.DONE
