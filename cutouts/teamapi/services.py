"""The team API's answers: what the withoutbg API would say, made by the team's pipeline.

A call to /api/v1.0/... is an upload like any other: the image lands in the
caller's library, a worker processes it (cache, rate limit, credits and
ledger all in one place, cutouts.processing.pipeline), and the request waits for the
result. Nothing here calls the vendor for pixels; only the credit balance is
asked for directly, through the same shared rate limiter.

Errors are ApiError, a status and the vendor's `detail`: its own words where
it has them (cutouts.lib.withoutbg.contract keeps them), ours where it has none.
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from cutouts.lib.presets import CUTOUT_PRESET
from cutouts.lib.withoutbg.client import InvalidKey, RateLimited, WithoutbgError
from cutouts.lib.withoutbg.contract import UNSUPPORTED, too_large
from cutouts.lib.withoutbg.contract import rate_limit_exceeded as rate_limit_detail
from cutouts.models import ApiSubmission, ApiToken, Image, Matte, ProcessingState, Render
from cutouts.processing import credits, pausing
from cutouts.processing.credit_check import NoFreeSlot, credit_check
from cutouts.processing.engines import get_engine
from cutouts.processing.uploads import (
    EXTENSIONS,
    FileTooLarge,
    NotAnAcceptedImage,
    UploadBusy,
    UploadRejected,
    image_upload,
)
from cutouts.selectors import processing_pause_state
from cutouts.studio.services import StudioError, preset_get
from cutouts.teamapi.webhooks import WebhookUrlRefused, webhook_url_check

logger = logging.getLogger(__name__)

Want = Literal["matte", "cutout"]

# File name of an image sent as base64, which has none; the extension follows its format.
API_UPLOAD_STEM = "api-upload"
POLL_SECONDS = 0.25

CREDIT_UNAVAILABLE = (
    "The withoutbg API did not give the team's balance just now. Try again shortly."
)


class ApiError(Exception):
    """An error answer: HTTP `status` and the body's `detail` (a message, or FastAPI's list)."""

    def __init__(self, status: int, detail: str | list[dict[str, Any]]) -> None:
        super().__init__(status, detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class ApiResult:
    image: Image
    file: FieldFile  # the stored PNG: the matte, or the RGBA cutout


@dataclass(frozen=True)
class TeamCredit:
    credit: int | None  # None: the engine costs nothing (MATTING_ENGINE=local)
    expires_at: datetime | None


def too_large_detail() -> str:
    # The vendor's sentence, with our limit.
    return too_large(settings.UPLOAD_MAX_BYTES)


def process_for_api(
    *, user: AbstractBaseUser, data: bytes, want: Want, name: str | None
) -> ApiResult:
    """Upload `data` into `user`'s library, wait for the worker, return the result file.

    `name` is the file name the client gave, None for base64 calls.
    """
    # The caller waits for the answer: it goes ahead of large batches.
    image = _upload(user=user, data=data, name=name, urgent=True)
    _wait_until_processed(image)
    return ApiResult(image=image, file=_result_file(image, want))


@dataclass(frozen=True)
class Submitted:
    image: Image
    replayed: bool  # the Idempotency-Key was sent before: this is that image


def image_submit(
    *,
    token: ApiToken,
    data: bytes,
    name: str | None,
    preset: str,
    webhook_url: str,
    idempotency_key: str,
) -> Submitted:
    """Queue `data` for processing and answer at once; the sender polls or hears by webhook.

    The same `idempotency_key` from the same member returns the same image, at
    any time and however many requests carry it at once; with another file,
    preset or webhook it is refused (409) rather than guessed at.
    """
    user = token.user
    if idempotency_key:
        earlier = _submitted_with(user=user, key=idempotency_key)
        if earlier is not None:
            return _replay(earlier, data=data, preset=preset, webhook_url=webhook_url)
    if preset:
        try:
            preset = preset_get(preset).slug
        except StudioError:
            raise ApiError(400, f"There is no preset “{preset}”: see /presets.") from None
    if webhook_url:
        try:
            webhook_url = webhook_url_check(webhook_url)
        except WebhookUrlRefused as refusal:
            raise ApiError(400, str(refusal)) from None
    submission = ApiSubmission(
        user=user,
        token=token,
        idempotency_key=idempotency_key,
        preset=preset,
        webhook_url=webhook_url,
    )
    try:
        image = _upload(user=user, data=data, name=name, submission=submission)
    except IntegrityError:
        # The same key in another request at this very moment: it won.
        earlier = _submitted_with(user=user, key=idempotency_key)
        if earlier is None:
            raise
        return _replay(earlier, data=data, preset=preset, webhook_url=webhook_url)
    return Submitted(image=image, replayed=False)


def _submitted_with(*, user: AbstractBaseUser, key: str) -> ApiSubmission | None:
    return (
        ApiSubmission.objects.select_related("image").filter(user=user, idempotency_key=key).first()
    )


def _replay(earlier: ApiSubmission, *, data: bytes, preset: str, webhook_url: str) -> Submitted:
    # Hashed only here: a first submission's upload hashes its bytes itself.
    if earlier.image.sha256 != hashlib.sha256(data).hexdigest():
        raise ApiError(
            409,
            "This Idempotency-Key was sent before with another file "
            f"(image {earlier.image_id}). Use a new key for a new image.",
        )
    if (earlier.preset, earlier.webhook_url) != (preset, webhook_url):
        raise ApiError(
            409,
            "This Idempotency-Key was sent before with another preset or webhook_url "
            f"(image {earlier.image_id}). Use a new key to change them.",
        )
    return Submitted(image=earlier.image, replayed=True)


def _upload(
    *,
    user: AbstractBaseUser,
    data: bytes,
    name: str | None,
    urgent: bool = False,
    submission: ApiSubmission | None = None,
) -> Image:
    """Store `data` as an upload of `user`'s, or raise the ApiError a client expects."""
    if len(data) > settings.UPLOAD_MAX_BYTES:
        raise ApiError(413, too_large_detail())
    uploaded_file = SimpleUploadedFile(name or API_UPLOAD_STEM, data)
    try:
        image = image_upload(
            owner=user,
            batch=None,
            uploaded_file=uploaded_file,
            urgent=urgent,
            submission=submission,
        )
    except FileTooLarge as rejection:
        raise ApiError(413, rejection.message) from rejection
    except NotAnAcceptedImage as rejection:
        raise ApiError(415, UNSUPPORTED) from rejection
    except UploadBusy as busy:
        raise ApiError(503, busy.message) from busy
    except UploadRejected as rejection:
        raise ApiError(422, rejection.message) from rejection
    if name is None:
        image.original_name = f"{API_UPLOAD_STEM}{EXTENSIONS[image.format]}"
        Image.objects.filter(pk=image.pk).update(original_name=image.original_name)
    return image


def _wait_until_processed(image: Image) -> None:
    """Return once a worker has finished `image`, or raise the vendor's error for why not.

    The upload queued the job when its row was committed; processing here
    instead would split rate limiting and credits between two places.
    """
    deadline = time.monotonic() + settings.API_WAIT_SECONDS
    while True:
        image.refresh_from_db(fields=["status", "status_reason"])
        if image.status == Image.Status.DONE:
            return
        if image.status == Image.Status.FAILED:
            raise ApiError(502, f"Processing failed: {image.status_reason}")
        if image.status == Image.Status.OVER_BUDGET:
            # Also until an admin acts (or the month ends): answer now. The
            # vendor's own 402 is for the team's credit, so the detail says which.
            raise ApiError(
                402, f"{image.status_reason} The image is in your library and will finish there."
            )
        if image.status == Image.Status.WAITING_CREDITS:
            # Waiting lasts until an admin acts: answer now, as the vendor would.
            state = processing_pause_state()
            if state is not None:
                rule = pausing.PAUSE_RULES[state.pause]
                raise ApiError(rule.api_status, rule.api_detail)
        if time.monotonic() >= deadline:
            raise ApiError(
                504,
                f"Processing did not finish within {settings.API_WAIT_SECONDS:g} s; "
                "the image is in your library and will finish there.",
            )
        time.sleep(POLL_SECONDS)


def _result_file(image: Image, want: Want) -> FieldFile:
    # The pipeline stores the matte and cutout at the original's size as
    # displayed, which is the size sent, except for a photo with an EXIF
    # rotation: ours come upright (the vendor's would follow the stored pixels).
    if want == "matte":
        return Matte.objects.get(image=image).file
    cutout = (
        Render.objects.filter(
            image=image, preset=CUTOUT_PRESET, export=None, status=Render.Status.DONE
        )
        .order_by("-created_at")
        .first()
    )
    if cutout is None:
        raise ApiError(502, "Processing finished without a cutout. Try again.")
    return cutout.file


def team_credit() -> TeamCredit:
    """The team's credit balance, as /available-credit gives it.

    Worked out from the last check and the ledger (processing.credits), so
    polling it costs none of the team's per-minute calls; the vendor is asked
    only when no check has found a balance yet.
    """
    engine = get_engine()
    if not engine.metered:
        return TeamCredit(credit=None, expires_at=None)
    known = credits.balance(engine=engine.name)
    if known is not None:
        return TeamCredit(credit=known.credit, expires_at=known.checked.expires_at)
    asked_at = timezone.now()
    try:
        answer = credit_check(engine=engine)
    except NoFreeSlot as no_slot:
        # Processing comes first: the caller retries as after a 429.
        raise ApiError(
            429, rate_limit_detail(settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE)
        ) from no_slot
    except InvalidKey as error:
        key_refused = pausing.PAUSE_RULES[ProcessingState.Pause.INVALID_KEY]
        raise ApiError(key_refused.api_status, key_refused.api_detail) from error
    except RateLimited as error:
        raise ApiError(429, rate_limit_detail(settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE)) from error
    except WithoutbgError as error:
        logger.warning("The credit check for the team API failed: %s", error)
        raise ApiError(502, CREDIT_UNAVAILABLE) from error
    if answer is None:
        return TeamCredit(credit=None, expires_at=None)
    credits.check_record(engine=engine.name, credits=answer, asked_at=asked_at)
    return TeamCredit(credit=answer.credit, expires_at=answer.expires_at)
