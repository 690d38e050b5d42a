"""The studio never calls the matting API: renders and exports work from stored mattes alone."""

import pytest

from cutouts.lib.presets import BUILTIN_PRESETS
from cutouts.models import ApiCall, Export, Image, Render
from cutouts.processing.pipeline import image_process
from cutouts.studio import services as studio
from tests.images import product_photo
from tests.studio_images import work_off
from tests.uploading import upload

pytestmark = pytest.mark.django_db


def test_any_number_of_renders_and_an_export_leave_the_ledger_unchanged(
    api, alice, queue_redis, django_capture_on_commit_callbacks, settings
):
    # All saved before any runs (test_studio_render_limit checks the limit).
    settings.RENDER_MAX_IN_FLIGHT_PER_MEMBER = 30
    images = []
    for seed in range(3):
        image = upload(alice, f"photo-{seed}.jpg", product_photo(seed))
        image_process(image_id=image.pk)
        images.append(image)
    assert ApiCall.objects.count() == 3
    charges = api.state()["charges"]
    custom = {
        "background": {"type": "blur", "strength": 60},
        "shadow": {"type": "drop", "offset_x": 10, "offset_y": 10, "blur": 20},
        "edges": {"shift": -2, "feather": 3},
        "framing": {"crop": "subject", "padding": 0.1, "aspect": "4:5"},
    }

    with django_capture_on_commit_callbacks(execute=True):
        for image in images:
            for preset in [*BUILTIN_PRESETS, custom, custom]:
                studio.render_create(image=image, spec_or_preset=preset, user=alice)
        studio.export_create(
            user=alice, images=Image.objects.filter(owner=alice), preset="shopify-square"
        )
    work_off(queue_redis)

    assert Render.objects.filter(created_by=alice, status=Render.Status.DONE).count() == 21
    assert Export.objects.get().status == Export.Status.DONE
    assert ApiCall.objects.count() == 3
    assert api.state()["charges"] == charges
