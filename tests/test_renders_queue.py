"""Renders run on their own queue and workers: processing never waits behind them."""

import django_rq
from rq import Worker

from cutouts.models import Image, Render
from cutouts.processing.queueing import QUEUE, RENDER_QUEUE
from cutouts.studio import services as studio
from tests.images import product_photo
from tests.studio_images import SLOW_SPEC, processed
from tests.uploading import upload
from tests.worker_fixtures import wait_until

RENDERS = 6  # about 2.5 s each on an idle machine, one after another on one render worker


def test_an_upload_is_processed_while_long_renders_run(workers, alice, settings):
    settings.RENDER_JOB_TIMEOUT = 300
    settings.RENDER_MAX_IN_FLIGHT_PER_MEMBER = RENDERS
    big = [processed(alice, f"big-{n}.jpg", size=(4000, 3000)) for n in range(RENDERS)]
    workers.start(1, cron=False)
    workers.start(1, cron=False, queues=["renders"])
    wait_until(
        lambda: all(
            Worker.count(queue=django_rq.get_queue(name)) for name in (QUEUE, RENDER_QUEUE)
        ),
        timeout=60,
        message=f"a worker for each queue\n{workers.logs()[-3000:]}",
    )
    renders = [studio.render_create(image=i, spec_or_preset=SLOW_SPEC, user=alice) for i in big]

    image = upload(alice, data=product_photo(1, (240, 180)))

    wait_until(
        lambda: Image.objects.get(pk=image.pk).status == Image.Status.DONE,
        timeout=60,
        message=f"the upload to be processed\n{workers.logs()[-3000:]}",
    )
    still_rendering = Render.objects.filter(
        pk__in=[render.pk for render in renders], status=Render.Status.QUEUED
    )
    assert still_rendering.exists(), "the upload waited until every render was done"
    wait_until(
        lambda: not still_rendering.exists(),
        timeout=180,
        message=f"the renders to finish\n{workers.logs()[-3000:]}",
    )
    assert set(Render.objects.values_list("status", flat=True)) == {Render.Status.DONE}
