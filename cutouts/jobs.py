"""RQ jobs. Each loads ids and calls a service: everything here can run without a queue."""

from cutouts import pausing, pipeline, sweeper


def process_image(image_id: int, slot: float | None = None) -> None:
    pipeline.image_process(image_id=image_id, slot=slot)


def sweep() -> int:
    return sweeper.sweep()


def check_pause() -> bool:
    return pausing.resume_if_possible()
