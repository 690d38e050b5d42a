"""The live preview frames the subject where the full-size render puts it."""

import base64
import io

import pytest
from PIL import Image as PILImage
from playwright.sync_api import expect

from cutouts.models import Render
from cutouts.studio import services as studio
from tests.studio_images import processed

pytestmark = pytest.mark.django_db(transaction=True)

SET_CONTROLS = """(controls) => {
  for (const [name, value] of controls) {
    const input = [...document.querySelectorAll(`[name="${name}"]`)]
      .find((one) => !one.closest("[hidden]"));
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }
}"""
PREVIEW_PNG = """async () => {
  await new Promise(requestAnimationFrame);
  return document.querySelector(".studio-canvas").toDataURL("image/png");
}"""

FRAMINGS = [
    [("framing.crop", "subject"), ("framing.padding", "0.1")],
    [("framing.crop", "subject"), ("framing.aspect", "4:5"), ("framing.align", "bottom")],
    [("framing.crop", "none"), ("framing.padding", "0.25"), ("framing.aspect", "16:9")],
    [
        ("framing.crop", "subject"),
        ("framing.canvas.0", "1500"),
        ("framing.canvas.1", "1000"),
        ("framing.fill", "0.6"),
        ("framing.align", "bottom"),
        ("framing.padding", "0.2"),
        ("edges.shift", "-10"),
    ],
]


def _subject_box(picture: PILImage.Image) -> tuple[float, ...]:
    """The opaque part's box, as fractions of the picture's width and height."""
    left, top, right, bottom = picture.getchannel("A").point(lambda a: 255 * (a > 128)).getbbox()
    return (
        left / picture.width,
        top / picture.height,
        right / picture.width,
        bottom / picture.height,
    )


@pytest.mark.parametrize("controls", FRAMINGS)
def test_the_preview_puts_the_subject_where_the_render_does(
    page, sign_in, alice, queue_redis, controls
):
    # Larger than the display size, so the preview works from smaller copies.
    image = processed(alice, size=(1800, 1350))
    sign_in(alice)
    page.goto(f"/images/{image.pk}/studio/")
    expect(page.locator(".studio-canvas")).to_have_attribute("data-ready", "true")

    page.evaluate(SET_CONTROLS, controls)
    preview_url = page.evaluate(PREVIEW_PNG)
    page.get_by_role("button", name="Save full size").click()
    expect(page.locator('.render-row[data-status="queued"]')).to_have_count(1)
    render = Render.objects.get(image=image, status=Render.Status.QUEUED)
    studio.render_run(render_id=render.pk)
    render.refresh_from_db()

    preview = PILImage.open(io.BytesIO(base64.b64decode(preview_url.split(",")[1])))
    with render.file.open("rb") as stored:
        full = PILImage.open(io.BytesIO(stored.read()))
        full.load()
    assert abs(preview.width / preview.height - full.width / full.height) < 0.01
    for seen, made in zip(_subject_box(preview), _subject_box(full), strict=True):
        assert seen == pytest.approx(made, abs=0.01)
