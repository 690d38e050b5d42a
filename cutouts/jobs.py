"""RQ jobs. Each loads ids and calls a service: everything here can run without a queue."""

from django.conf import settings

from cutouts.lib.ratelimit import Reservation
from cutouts.processing import credits, pausing, pipeline, queueing, sweeper
from cutouts.studio import services as studio


def process_image(image_id: int, reservation: Reservation | None = None) -> None:
    pipeline.image_process(image_id=image_id, reservation=reservation)


def run_render(render_id: int) -> None:
    studio.render_run(render_id=render_id)


def build_export(export_id: int) -> None:
    studio.export_zip(export_id=export_id)


def sweep() -> int:
    return sweeper.sweep()


def sweep_studio() -> int:
    return studio.sweep()


def check_pause() -> bool:
    return pausing.resume_if_possible()


def refresh_credits() -> None:
    credits.credits_refresh()


def enqueue_overdue() -> int:
    return queueing.enqueue_overdue(grace=settings.SCHEDULED_JOB_GRACE_SECONDS)
