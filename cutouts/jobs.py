"""RQ jobs. Each loads ids and calls a service: everything here can run without a queue.

Jobs take ids, numbers and strings only. RQ pickles a job's arguments into
Redis, and an object there names its class's module: moving the class would
break every job already queued.
"""

from django.conf import settings

from cutouts.processing import credits, pausing, pipeline, queueing, releasing, sweeper
from cutouts.studio import services as studio
from cutouts.teamapi import webhook_deliveries, webhook_events


def process_image(image_id: int, slot: float | None = None, ticket: str = "") -> None:
    # `slot` and `ticket`: a slot booked ahead by a job queued before slots
    # went to the fair order when they come free; it is given back.
    del slot
    pipeline.image_process(image_id=image_id, ticket=ticket)


def run_render(render_id: int) -> None:
    studio.render_run(render_id=render_id)


def build_export(export_id: int) -> None:
    studio.export_zip(export_id=export_id)


def sweep() -> int:
    return sweeper.sweep()


def release_over_budget() -> int:
    return releasing.release_all_over_budget()


def sweep_studio() -> int:
    return studio.sweep()


def deliver_webhook(event_id: int) -> None:
    webhook_deliveries.webhook_deliver(event_id=event_id)


def resend_webhook(event_id: int) -> None:
    webhook_deliveries.webhook_deliver_manual(event_id=event_id)


def sweep_webhooks() -> int:
    return webhook_events.events_sweep() + webhook_deliveries.deliveries_sweep()


def check_pause() -> bool:
    return pausing.resume_if_possible()


def refresh_credits() -> None:
    credits.credits_refresh()


def enqueue_overdue() -> int:
    return queueing.enqueue_overdue(grace=settings.SCHEDULED_JOB_GRACE_SECONDS)
