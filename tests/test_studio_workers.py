"""Studio jobs on real workers: an export rendered and zipped by `manage.py rqworker` processes."""

import io
import zipfile

from cutouts.models import ApiCall, Export, Image, Render
from cutouts.processing.queueing import QUEUES
from cutouts.studio import services as studio
from tests.studio_images import processed
from tests.worker_fixtures import wait_until


def test_real_workers_render_and_zip_an_export(workers, alice):
    images = [processed(alice, f"shoe-{number}.jpg", size=(640, 480)) for number in range(3)]

    created = studio.export_create(
        user=alice, images=Image.objects.filter(owner=alice), preset="amazon-main"
    )
    workers.start(2, cron=False, queues=QUEUES)

    def zipped() -> bool:
        return Export.objects.get(pk=created.export.pk).status != Export.Status.RUNNING

    wait_until(zipped, timeout=60, message=f"the export to finish\n{workers.logs()}")
    export = Export.objects.get(pk=created.export.pk)
    assert export.status == Export.Status.DONE
    assert set(Render.objects.filter(export=export).values_list("status", flat=True)) == {"done"}
    with (
        export.archive.open("rb") as stored,
        zipfile.ZipFile(io.BytesIO(stored.read())) as zipped_file,
    ):
        assert sorted(zipped_file.namelist()) == [
            "manifest.csv",
            *[f"{image.stem}-amazon-main.jpg" for image in images],
        ]
    assert not ApiCall.objects.exists()
