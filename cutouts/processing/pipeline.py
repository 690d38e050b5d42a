"""Processing one image, top to bottom: claim → cache → proxy → engine → matte → outputs.

Everything here runs in a worker but needs no queue: the jobs in
cutouts.jobs only load ids and call these functions. The rules:

- one paid call per distinct image: a matte already made for the same bytes
  is copied, and an API answer is kept in Redis the moment it arrives, so a
  job that runs again (a retry, a worker that died, an admin's retry after a
  failure) never calls twice; a paid reply that is malformed is salvaged when
  it holds a matte at all (cutouts.processing.engines), and kept for the record when not;
- every call is on the ledger before it is sent, so one whose worker dies on
  the way still counts as (maybe) charged, and spend matches the vendor's;
- the API's rate limit is shared by all workers (cutouts.lib.ratelimit); a job
  with no free slot is put back for its slot instead of sleeping;
- every image ends done or failed with a reason a member can read; a lack of
  credit or a refused key pauses everything instead of failing images.
"""

import io
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image as PILImage
from redis.exceptions import LockError

from cutouts.lib import compositor, proxy
from cutouts.lib.matte_review import review_matte
from cutouts.lib.presets import BUILTIN_PRESETS, CUTOUT_PRESET
from cutouts.lib.ratelimit import backoff_delay
from cutouts.lib.withoutbg.client import Action, CallStats, RateLimited, WithoutbgError
from cutouts.models import ApiCall, Image, Matte, Render
from cutouts.processing import pausing, scheduling
from cutouts.processing.engines import MattingEngine, get_engine
from cutouts.processing.queueing import (
    answer_key,
    enqueue_processing,
    get_limiter,
    redis_connection,
)
from cutouts.processing.signals import image_finished
from cutouts.storage import new_files

logger = logging.getLogger(__name__)

SAME_BYTES_RECHECK_SECONDS = 3.0
SCHEDULER_GRANULARITY_SECONDS = 1.0
WAITING_FOR_SLOT = "Waiting for a free API slot."
SAME_BYTES_REASON = "Waiting for the same picture, uploaded again, to finish processing."


@dataclass
class Slot:
    """A rate-limit slot taken for a call; given back unless `used`."""

    ticket: str
    used: bool = False


@dataclass(frozen=True)
class Answer:
    """The engine's matte for a proxy, as it arrived (PNG bytes, proxy size)."""

    png: bytes
    engine: str
    # The engine's matte of the mirrored proxy, where it was free to ask (needs review).
    mirrored: PILImage.Image | None = None


def image_process(*, image_id: int, ticket: str = "") -> None:
    """Process the image, or, when it needs a paid call, the first image of the fair order.

    Free work (a stored matte of the same bytes, a kept answer, the offline
    model, a pause) is done for this image at once. A paid call waits for a
    free slot, and the slot goes to whichever image is first in the fair
    order (cutouts.processing.scheduling), so a newcomer's photo never waits
    behind a whole batch. `ticket` names a slot booked ahead by a job queued
    before slots were chosen this way: it is given back.
    """
    if ticket:
        get_limiter().release(ticket)
    if _needs_paid_call(image_id):
        _serve_next_in_line(image_id)
        return
    if not _claim(image_id):
        return
    _run(Image.objects.get(pk=image_id), slot=None)


def _needs_paid_call(image_id: int) -> bool:
    image = Image.objects.filter(pk=image_id, status=Image.Status.QUEUED).first()
    if image is None or not get_engine().metered or pausing.is_paused():
        return False
    twin = Matte.objects.filter(image__sha256=image.sha256).exclude(image=image).exists()
    return not twin and not redis_connection().exists(_answer_key(image))


def _serve_next_in_line(image_id: int) -> None:
    """Take a free slot and spend it on the first image of the fair order.

    This job's own image, if another went first, is put back for its turn:
    every queued image keeps one job, and every free slot finds a job.
    """
    limiter = get_limiter()
    slot = Slot(ticket=uuid.uuid4().hex)
    wait = limiter.try_acquire(ticket=slot.ticket)
    if 0 < wait <= SCHEDULER_GRANULARITY_SECONDS:
        # RQ's scheduler keeps whole seconds: a job may wake a moment early.
        time.sleep(wait)
        wait = limiter.try_acquire(ticket=slot.ticket)
    chosen = scheduling.claim_next() if wait == 0 else None
    if chosen is None:
        if wait == 0:
            limiter.release(slot.ticket)
        _wait_for_turn(image_id, at_least=wait)
        return
    if chosen.pk != image_id:
        _wait_for_turn(image_id, at_least=0)
    try:
        _run(chosen, slot=slot)
    finally:
        if not slot.used:
            limiter.release(slot.ticket)


def _wait_for_turn(image_id: int, *, at_least: float) -> None:
    """Queue the image's job again for about when its turn in the fair order comes."""
    image = Image.objects.filter(pk=image_id, status=Image.Status.QUEUED).first()
    if image is None:
        return
    line = scheduling.Line()
    eta = line.eta(image)
    turn = max(0.0, (eta.seconds or 0) - line.processing) if eta else 0.0
    Image.objects.filter(pk=image_id, status=Image.Status.QUEUED).update(
        status_reason=WAITING_FOR_SLOT, updated_at=timezone.now()
    )
    enqueue_processing(image_id, delay=max(at_least, turn))


def _run(image: Image, *, slot: Slot | None) -> None:
    try:
        _process(image, slot)
    except Exception:
        logger.exception("Processing image %s failed unexpectedly", image.pk)
        _finish(image, Image.Status.FAILED, "Something went wrong while processing. Try again.")
        raise


def _claim(image_id: int) -> bool:
    # Only one job at a time may work on an image, whichever worker it is in.
    # The reason it waited ("Waiting for a free API slot.") no longer holds.
    claimed = Image.objects.filter(pk=image_id, status=Image.Status.QUEUED).update(
        status=Image.Status.PROCESSING,
        status_reason="",
        claimed_at=timezone.now(),
        updated_at=timezone.now(),
    )
    return claimed == 1


def _process(image: Image, slot: Slot | None) -> None:
    if _copy_matte_of_same_bytes(image):
        return
    with _bytes_lock(image) as locked:
        if not locked:
            # The same picture is being processed right now (dropped twice in
            # one batch, say): come back for its matte rather than pay again.
            _requeue(image, SAME_BYTES_REASON, delay=SAME_BYTES_RECHECK_SECONDS)
            return
        if _copy_matte_of_same_bytes(image):
            return
        answer = _stored_answer(image) or _fetch_answer(image, slot)
        if answer is not None:
            _save_matte_and_outputs(image, answer)


@contextmanager
def _bytes_lock(image: Image) -> Iterator[bool]:
    """Hold the picture's bytes while asking for and storing their matte, once at a time."""
    # A claim older than PROCESSING_STALE_SECONDS lost its worker and is queued
    # again by the sweeper: the lock of a killed job must be gone by then too.
    timeout = min(settings.PROCESS_JOB_TIMEOUT, settings.PROCESSING_STALE_SECONDS)
    lock = redis_connection().lock(f"cutouts:bytes:{image.sha256}", timeout=timeout)
    acquired = lock.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            with suppress(LockError):
                lock.release()


def _fetch_answer(image: Image, slot: Slot | None) -> Answer | None:
    """Ask the engine for the matte; None when the image was put back, paused or failed."""
    if pausing.is_paused():
        _wait_for_resume(image)
        return None
    engine = get_engine()
    try:
        with image.original.open("rb") as stored:
            sent = proxy.build_proxy(stored.read())
    except (OSError, ValueError):
        _finish(image, Image.Status.FAILED, "This file could not be read as an image.")
        return None
    if engine.metered:
        if slot is None:
            # Its kept answer or twin went away since the job looked: a paid
            # call after all, so it takes its turn in the fair order.
            _requeue(image, WAITING_FOR_SLOT, delay=0)
            return None
        slot.used = True
    return _ask_engine(image, engine, sent.jpeg)


def _copy_matte_of_same_bytes(image: Image) -> bool:
    twin = (
        Matte.objects.filter(image__sha256=image.sha256)
        .exclude(image=image)
        .order_by("created_at")
        .first()
    )
    if twin is None:
        return False
    with twin.file.open("rb") as stored:
        data = stored.read()
    ApiCall.objects.create(
        user=image.owner,
        image=image,
        endpoint="cache",
        engine=twin.engine,
        outcome=ApiCall.Outcome.CACHE_HIT,
    )
    _store(image, PILImage.open(io.BytesIO(data)), engine=twin.engine, png=data)
    return True


def _answer_key(image: Image) -> str:
    return answer_key(image.sha256)


def _stored_answer(image: Image) -> Answer | None:
    raw = redis_connection().hgetall(_answer_key(image))
    if not raw:
        return None
    return Answer(png=raw[b"png"], engine=raw[b"engine"].decode())


def _ask_engine(image: Image, engine: MattingEngine, jpeg: bytes) -> Answer | None:
    call = _record_sending(image, engine)
    try:
        result = engine.matte(jpeg)
    except WithoutbgError as error:
        _record_answer(call, error.stats, error=error)
        if error.reply is not None:
            _keep_unusable_reply(call, error.reply)
        _handle_error(image, error)
        return None
    png = _png(result.image)
    # Kept before anything else can fail: a job that runs again for this image
    # (a retry, an admin's retry, or after a worker died) finds the answer and
    # pays nothing.
    _keep(_answer_key(image), {"png": png, "engine": engine.name})
    _record_answer(call, result.stats, salvaged_from=result.salvaged_from)
    if engine.metered:
        get_limiter().clear_back_off()
    return Answer(png=png, engine=engine.name, mirrored=engine.mirrored_matte(jpeg))


def _keep(key: str, mapping: dict[str, bytes | str]) -> None:
    connection = redis_connection()
    connection.hset(key, mapping=mapping)
    connection.expire(key, round(settings.PAID_ANSWER_KEEP_DAYS * 24 * 3600))


def _keep_unusable_reply(call: ApiCall, reply: bytes) -> None:
    # Nothing in it to salvage, but it was paid for: the vendor may give the
    # credit back when shown what it sent.
    _keep(f"cutouts:reply:{call.pk}", {"body": reply, "status": str(call.http_status)})


def _handle_error(image: Image, error: WithoutbgError) -> None:
    if error.action is Action.PAUSE:
        pausing.pause(error)
        _wait_for_resume(image)
    elif error.action is Action.FAIL_IMAGE:
        _finish(image, Image.Status.FAILED, f"The API could not process this image: {error.detail}")
    elif isinstance(error, RateLimited):
        # Someone else is using the key too: hold every worker back, and do
        # not count it against the image, whose turn will come.
        delay = get_limiter().back_off(
            base=settings.PROCESS_BACKOFF_SECONDS, cap=settings.PROCESS_BACKOFF_MAX_SECONDS
        )
        _requeue(image, "The API asked us to slow down; trying again shortly.", delay=delay)
    else:
        Image.objects.filter(pk=image.pk).update(attempts=F("attempts") + 1)
        image.refresh_from_db(fields=["attempts"])
        max_attempts = error.max_attempts or settings.PROCESS_MAX_ATTEMPTS
        if image.attempts >= max_attempts:
            _finish(
                image,
                Image.Status.FAILED,
                f"The API kept failing ({error.detail}); gave up after "
                f"{image.attempts} attempts. An admin can retry it.",
            )
        else:
            _requeue(
                image,
                f"The API failed ({error.detail}); retry {image.attempts} of "
                f"{max_attempts - 1} shortly.",
                delay=_backoff(image.attempts),
            )


def _backoff(attempt: int) -> float:
    return backoff_delay(
        attempt, base=settings.PROCESS_BACKOFF_SECONDS, cap=settings.PROCESS_BACKOFF_MAX_SECONDS
    )


def _save_matte_and_outputs(image: Image, answer: Answer) -> None:
    # The client checked the answer's size and mode when it arrived.
    _store(
        image, PILImage.open(io.BytesIO(answer.png)), engine=answer.engine, mirrored=answer.mirrored
    )
    redis_connection().delete(_answer_key(image))


def _store(
    image: Image,
    matte: PILImage.Image,
    *,
    engine: str,
    png: bytes | None = None,
    mirrored: PILImage.Image | None = None,
) -> None:
    """Save the full-size matte and the default outputs, then mark the image done.

    `png` is the matte's encoding when it is already full size (a copy);
    `mirrored` the engine's second opinion, at the matte's size, when it had one.
    """
    review = review_matte(matte, mirrored=mirrored)
    with image.original.open("rb") as stored:
        original = proxy.open_upright(stored.read())
    matte = matte.convert("L")
    if matte.size != original.size:
        matte = proxy.upscale_matte(matte, original.size)
        png = None
    data = png or _png(matte)
    cutout = compositor.render(original, matte, BUILTIN_PRESETS[CUTOUT_PRESET].spec)
    cutout_png = cutout.data
    preview = compositor.encode(compositor.fit_within(cutout.image, settings.PREVIEW_SIZE), "WEBP")
    small = compositor.encode(compositor.fit_within(cutout.image, settings.THUMBNAIL_SIZE), "WEBP")
    matte_row = Matte(
        image=image, engine=engine, width=matte.width, height=matte.height, byte_size=len(data)
    )
    cutout_row = Render(
        image=image,
        preset=CUTOUT_PRESET,
        spec=BUILTIN_PRESETS[CUTOUT_PRESET].spec.to_json(),
        format="PNG",
        width=cutout.width,
        height=cutout.height,
        byte_size=len(cutout_png),
    )
    # Written before the transaction, which then only swaps rows; the
    # previous matte, cutout and preview go once it commits (cutouts.storage).
    with new_files() as files:
        files.save(matte_row.file, "matte.png", ContentFile(data))
        files.save(cutout_row.file, "cutout.png", ContentFile(cutout_png))
        files.save(image.preview, "preview.webp", ContentFile(preview))
        files.save(image.cutout_thumbnail, "cutout.webp", ContentFile(small))
        with transaction.atomic():
            Matte.objects.filter(image=image).delete()
            matte_row.save()
            Render.objects.filter(image=image, preset=CUTOUT_PRESET, export=None).delete()
            cutout_row.save()
            image.status = Image.Status.DONE
            image.status_reason = ""
            # A new matte is judged afresh: an earlier review was of another.
            image.needs_review = review.needs_review
            image.review_reasons = "\n".join(review.reasons)
            image.reviewed_by, image.reviewed_at = None, None
            _announce(image.pk, Image.Status.DONE)
            image.save(
                update_fields=[
                    "preview",
                    "cutout_thumbnail",
                    "status",
                    "status_reason",
                    "needs_review",
                    "review_reasons",
                    "reviewed_by",
                    "reviewed_at",
                    "updated_at",
                ]
            )


def _record_sending(image: Image, engine: MattingEngine) -> ApiCall:
    """The ledger row of a call about to be sent: maybe charged until its answer says.

    Committed before the call (workers run in autocommit, never inside a
    transaction here), so a worker killed mid-call leaves it on the ledger.
    """
    return ApiCall.objects.create(
        user=image.owner,
        image=image,
        endpoint=engine.endpoint,
        engine=engine.name,
        outcome=ApiCall.Outcome.SENT,
        charge=ApiCall.Charge.MAYBE if engine.metered else ApiCall.Charge.FREE,
    )


def _record_answer(
    call: ApiCall,
    stats: CallStats | None,
    *,
    error: WithoutbgError | None = None,
    salvaged_from: str = "",
) -> None:
    """Complete the call's ledger row with its answer: a matte, or the error."""
    call.outcome = ApiCall.Outcome.ERROR if error else ApiCall.Outcome.SUCCESS
    if error:
        call.error = str(error)
    elif salvaged_from:
        call.error = f"Salvaged from a malformed reply: {salvaged_from}"
    if stats is not None:
        # Without stats nothing is known of the call: it stays maybe charged.
        call.charge = ApiCall.Charge(stats.charge.value)
        call.http_status = stats.status
        call.latency_ms = stats.latency_ms
        call.bytes_sent = stats.bytes_sent
        call.bytes_received = stats.bytes_received
    # The answer's fields only: the image may have been deleted during the
    # call, and the row, whose image is now empty, must not point at it again.
    call.save(
        update_fields=[
            "outcome",
            "error",
            "charge",
            "http_status",
            "latency_ms",
            "bytes_sent",
            "bytes_received",
        ]
    )


def _requeue(image: Image, reason: str, *, delay: float) -> None:
    """Put the image back in the line, not to be called for before `delay` seconds."""
    Image.objects.filter(pk=image.pk).update(
        status=Image.Status.QUEUED,
        status_reason=reason,
        claimed_at=None,
        not_before=timezone.now() + timedelta(seconds=delay) if delay else None,
        updated_at=timezone.now(),
    )
    enqueue_processing(image.pk, delay=delay)


def _wait_for_resume(image: Image) -> None:
    _finish(image, Image.Status.WAITING_CREDITS, pausing.waiting_reason())


def _finish(image: Image, status: str, reason: str) -> None:
    Image.objects.filter(pk=image.pk).update(
        status=status, status_reason=reason, claimed_at=None, updated_at=timezone.now()
    )
    if status == Image.Status.FAILED:
        _announce(image.pk, status)


def _announce(image_id: int, status: str) -> None:
    transaction.on_commit(
        lambda: image_finished.send(sender=Image, image_id=image_id, status=status)
    )


def _png(matte: PILImage.Image) -> bytes:
    buffer = io.BytesIO()
    matte.save(buffer, format="PNG")
    return buffer.getvalue()
