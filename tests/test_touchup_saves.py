"""Touch-ups saved and reverted (cutouts.studio.touchup): versions kept, outputs made again,
renders made from the current matte, and never an API call."""

import threading

import pytest
from django.db import connection

from cutouts.lib.presets import CUTOUT_PRESET
from cutouts.lib.strokes import StrokeError
from cutouts.models import ApiCall, Image, Matte, MatteVersion, Render
from cutouts.processing.pipeline import image_process
from cutouts.studio import services as studio
from cutouts.studio.services import StudioError
from cutouts.studio.touchup import matte_version_revert, touchup_save
from tests.studio_images import work_off
from tests.touchups import (
    SIZE,
    alpha,
    broken_cutout,
    lost_part_share,
    restore_lost_part,
    strokes_json,
)
from tests.uploading import stored_files

pytestmark = pytest.mark.django_db

DISPLAY = (480, 360)  # the preview size is larger than the photo: the display copy is full size


def _read(field) -> bytes:
    with field.open("rb") as stored:
        return stored.read()


def _cutout(image: Image) -> Render:
    return image.renders.get(preset=CUTOUT_PRESET, export=None)


def _matte(image: Image):
    return alpha(_read(Matte.objects.get(image=image).file))


def test_a_touch_up_becomes_the_current_matte_and_keeps_the_engines(alice):
    image = broken_cutout(alice)
    engines = _read(image.matte.file)
    calls = ApiCall.objects.count()

    version = touchup_save(image=image, strokes_json=restore_lost_part(DISPLAY), user=alice)

    image.refresh_from_db()
    assert (version.number, version.source, version.created_by) == (2, "touch_up", alice)
    first = image.matte_versions.get(number=1)
    assert (first.source, first.engine, first.created_by) == ("engine", "test", None)
    assert _read(first.file) == engines
    assert image.matte.version == 2
    assert _read(image.matte.file) == _read(version.file)
    assert lost_part_share(_matte(image)) > 0.97
    # The cutout, the preview and the thumbnail show the restored part.
    for picture in (
        _read(_cutout(image).file),
        _read(image.preview),
        _read(image.cutout_thumbnail),
    ):
        assert lost_part_share(alpha(picture)) > 0.9
    assert _cutout(image).matte_version == 2
    assert ApiCall.objects.count() == calls


def test_a_touch_up_clears_the_needs_review_flag_as_reviewed_by_the_member(alice):
    image = broken_cutout(alice)
    assert image.needs_review
    touchup_save(image=image, strokes_json=restore_lost_part(DISPLAY), user=alice)
    image.refresh_from_db()
    assert not image.needs_review
    assert image.reviewed_by == alice
    assert image.reviewed_at is not None


def test_the_strokes_are_painted_at_full_size_from_a_display_copy(alice):
    image = broken_cutout(alice, size=(1920, 1440))
    touchup_save(image=image, strokes_json=restore_lost_part((480, 360)), user=alice)
    image.refresh_from_db()
    assert image.matte.width == 1920
    assert lost_part_share(_matte(image)) > 0.97


@pytest.mark.parametrize(
    "text",
    [
        "{",
        strokes_json(DISPLAY, [{"mode": "erase", "radius": 10, "points": [[900, 10]]}]),
        strokes_json(DISPLAY, [{"mode": "erase", "radius": 10, "points": [[10, 10]]}] * 501),
    ],
)
def test_a_bad_stroke_list_is_refused_and_nothing_is_saved(alice, text):
    image = broken_cutout(alice)
    matte, files = image.matte.pk, stored_files()
    with pytest.raises(StrokeError):
        touchup_save(image=image, strokes_json=text, user=alice)
    assert not MatteVersion.objects.exists()
    assert Matte.objects.get(image=image).pk == matte
    assert stored_files() == files


def test_an_image_not_processed_yet_cannot_be_touched_up(alice):
    image = broken_cutout(alice)
    Image.objects.filter(pk=image.pk).update(status=Image.Status.PROCESSING)
    image.refresh_from_db()
    with pytest.raises(StudioError, match="not processed yet"):
        touchup_save(image=image, strokes_json=restore_lost_part(DISPLAY), user=alice)


def test_going_back_to_a_version_brings_its_matte_and_outputs_back(alice):
    image = broken_cutout(alice)
    broken_preview = _read(image.preview)
    touchup_save(image=image, strokes_json=restore_lost_part(DISPLAY), user=alice)
    calls = ApiCall.objects.count()

    matte_version_revert(image=image, version=image.matte_versions.get(number=1))

    image.refresh_from_db()
    assert image.matte.version == 1
    assert lost_part_share(_matte(image)) < 0.01
    assert lost_part_share(alpha(_read(image.preview))) < 0.05
    assert alpha(_read(image.preview)).sum() == pytest.approx(alpha(broken_preview).sum(), rel=0.01)
    assert _cutout(image).matte_version == 1
    # Both versions are still there, and the next touch-up comes after them.
    assert list(image.matte_versions.values_list("number", flat=True)) == [2, 1]
    assert (
        touchup_save(image=image, strokes_json=restore_lost_part(DISPLAY), user=alice).number == 3
    )
    assert ApiCall.objects.count() == calls


@pytest.mark.django_db(transaction=True)
def test_two_saves_at_once_are_both_kept_in_order(alice, bob):
    image = broken_cutout(alice)
    # Two halves of the lost part, saved at once by two members (an admin and the owner, say).
    top = strokes_json(DISPLAY, [{"mode": "restore", "radius": 60, "points": [[170, 100]]}])
    bottom = strokes_json(DISPLAY, [{"mode": "restore", "radius": 60, "points": [[170, 260]]}])
    start = threading.Barrier(2)
    errors = []

    def save(text, user):
        try:
            start.wait()
            touchup_save(image=Image.objects.get(pk=image.pk), strokes_json=text, user=user)
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(top, alice)),
        threading.Thread(target=save, args=(bottom, bob)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    versions = list(MatteVersion.objects.filter(image=image).order_by("number"))
    assert [version.number for version in versions] == [1, 2, 3]
    assert {versions[1].created_by, versions[2].created_by} == {alice, bob}
    # The second save was painted over the first: the current matte has both.
    current = _matte(image)
    assert Matte.objects.get(image=image).version == 3
    assert current[100, 170] == 1 and current[260, 170] == 1
    assert Render.objects.filter(image=image, preset=CUTOUT_PRESET, export=None).count() == 1


def test_a_render_records_the_matte_it_was_made_from_and_can_be_made_again(
    alice, queue_redis, django_capture_on_commit_callbacks
):
    image = broken_cutout(alice)
    with django_capture_on_commit_callbacks(execute=True):
        before = studio.render_create(image=image, spec_or_preset="webp-web", user=alice)
    work_off(queue_redis)
    touchup_save(image=image, strokes_json=restore_lost_part(DISPLAY), user=alice)
    before.refresh_from_db()
    assert before.matte_version == 1

    with django_capture_on_commit_callbacks(execute=True):
        again = studio.render_again(render=before, user=alice)
    work_off(queue_redis)
    again.refresh_from_db()
    assert (again.status, again.preset, again.matte_version) == ("done", "webp-web", 2)
    assert again.spec == before.spec
    assert lost_part_share(alpha(_read(again.file))) > 0.9


def test_a_render_queued_before_a_touch_up_records_the_matte_it_was_made_from(
    alice, queue_redis, django_capture_on_commit_callbacks
):
    image = broken_cutout(alice)
    with django_capture_on_commit_callbacks(execute=True):
        render = studio.render_create(image=image, spec_or_preset="webp-web", user=alice)
    assert render.matte_version == 1
    touchup_save(image=image, strokes_json=restore_lost_part(DISPLAY), user=alice)
    work_off(queue_redis)
    render.refresh_from_db()
    assert render.matte_version == 2


def test_a_new_matte_from_the_engine_becomes_one_more_version(alice, settings, queue_redis):
    settings.MATTING_ENGINE = "local"
    image = broken_cutout(alice)
    touchup_save(image=image, strokes_json=restore_lost_part(DISPLAY), user=alice)
    Image.objects.filter(pk=image.pk).update(status=Image.Status.QUEUED)

    image_process(image_id=image.pk)

    image.refresh_from_db()
    newest = image.matte_versions.first()
    assert (newest.number, newest.source, newest.engine) == (3, "engine", "local-u2netp")
    assert image.matte.version == 3
    assert _read(newest.file) == _read(image.matte.file)
    assert _cutout(image).matte_version == 3
    assert (image.matte.width, image.matte.height) == SIZE
