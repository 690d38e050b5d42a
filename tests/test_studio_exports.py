"""Exports: one preset applied to many images, one ZIP once every render has settled."""

import io
import zipfile

import pytest
from PIL import Image as PILImage

from cutouts.models import Export, Matte, Render
from cutouts.studio import services as studio
from tests.studio_images import processed, work_off
from tests.uploading import upload

pytestmark = pytest.mark.django_db


def _entries(export: Export) -> dict[str, PILImage.Image]:
    with export.archive.open("rb") as stored, zipfile.ZipFile(io.BytesIO(stored.read())) as zipped:
        return {
            name: PILImage.open(io.BytesIO(zipped.read(name)))
            for name in zipped.namelist()
            if name != studio.MANIFEST_NAME
        }


def test_it_zips_one_render_per_image_named_after_the_image_and_preset(alice, export, queue_redis):
    images = [
        processed(alice, "red bottle.jpg"),
        processed(alice, "mug.png"),
        processed(alice, "mug.jpg"),
        processed(alice, "MUG.jpeg"),
    ]

    created = export(alice, images, preset="webp-web")
    work_off(queue_redis)

    done = Export.objects.get(pk=created.export.pk)
    assert done.status == Export.Status.DONE
    assert (done.total, done.preset, done.owner) == (4, "webp-web", alice)
    entries = _entries(done)
    assert sorted(entries) == [
        "MUG-webp-web-3.webp",
        "mug-webp-web-2.webp",
        "mug-webp-web.webp",
        "red bottle-webp-web.webp",
    ]
    assert {picture.format for picture in entries.values()} == {"WEBP"}
    assert studio.export_file_name(done) == f"cutouts-webp-web-{done.pk}.zip"


def test_images_not_processed_yet_are_left_out_and_counted(alice, export, queue_redis):
    ready = processed(alice, "ready.jpg")
    waiting = upload(alice, "waiting.jpg")

    created = export(alice, [ready, waiting])
    work_off(queue_redis)

    assert created.skipped == 1
    done = Export.objects.get(pk=created.export.pk)
    assert list(_entries(done)) == ["ready-amazon-main.jpg"]
    assert _entries(done)["ready-amazon-main.jpg"].size == (2000, 2000)


def test_an_export_with_nothing_processed_is_refused(alice, export):
    with pytest.raises(studio.StudioError, match="None of these images is processed yet"):
        export(alice, [upload(alice, "waiting.jpg")])

    assert not Export.objects.exists()


def test_failed_renders_are_left_out_and_the_rest_still_zipped(alice, export, queue_redis):
    good = processed(alice, "good.jpg")
    broken = processed(alice, "broken.jpg")
    created = export(alice, [good, broken])
    Matte.objects.filter(image=broken).delete()

    work_off(queue_redis)

    done = Export.objects.get(pk=created.export.pk)
    assert done.status == Export.Status.DONE
    assert list(_entries(done)) == ["good-amazon-main.jpg"]
    progress = studio.export_progress(done)
    assert (progress.total, progress.done, progress.failed, progress.percent) == (2, 1, 1, 100)


def test_an_export_whose_every_render_failed_fails_without_a_zip(alice, export, queue_redis):
    image = processed(alice)
    created = export(alice, [image])
    Matte.objects.filter(image=image).delete()

    work_off(queue_redis)

    done = Export.objects.get(pk=created.export.pk)
    assert done.status == Export.Status.FAILED
    assert not done.archive


def test_it_is_not_zipped_while_a_render_is_still_queued(alice, export, queue_redis):
    created = export(alice, [processed(alice, "a.jpg"), processed(alice, "b.jpg")])
    first = created.export.renders.order_by("pk").first()

    studio.render_run(render_id=first.pk)
    studio.export_zip(export_id=created.export.pk)

    still = Export.objects.get(pk=created.export.pk)
    assert still.status == Export.Status.RUNNING
    assert not still.archive
    assert studio.export_progress(still).percent == 50


def test_a_second_zip_job_keeps_the_first_archive(alice, export, queue_redis):
    created = export(alice, [processed(alice)])
    work_off(queue_redis)
    archive = Export.objects.get(pk=created.export.pk).archive.name

    studio.export_zip(export_id=created.export.pk)

    assert Export.objects.get(pk=created.export.pk).archive.name == archive


def test_a_name_cannot_reach_outside_the_zip(alice, export, queue_redis):
    created = export(alice, [processed(alice, "..\\..\\evil.jpg")])
    work_off(queue_redis)

    assert list(_entries(Export.objects.get(pk=created.export.pk))) == ["_.._evil-amazon-main.jpg"]


def test_export_renders_stay_out_of_the_studio_list(alice, export, queue_redis):
    image = processed(alice)
    export(alice, [image])
    work_off(queue_redis)

    assert Render.objects.filter(image=image).count() == 1
    assert not studio.renders_for_image(image).exists()
