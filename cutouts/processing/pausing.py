"""Pausing all processing when the API cannot work for anyone, and resuming.

A refused key (401), no credit (402) or expired credits (403) would fail every
image the same way, so instead processing stops: images wait, admins get one
e-mail, and a periodic credit check resumes everything once the API would
answer again. No image fails or is lost for lack of credit.
"""

import logging

from django.db import transaction
from django.utils import timezone

from cutouts.lib.withoutbg.client import (
    Action,
    CreditsExpired,
    InsufficientCredit,
    InvalidKey,
    WithoutbgError,
)
from cutouts.models import Image, ProcessingState
from cutouts.processing.alerts import email_admins
from cutouts.processing.engines import get_engine
from cutouts.processing.queueing import enqueue_processing, get_limiter

logger = logging.getLogger(__name__)

_PAUSE_FOR = {
    InvalidKey: ProcessingState.Pause.INVALID_KEY,
    InsufficientCredit: ProcessingState.Pause.NO_CREDIT,
    CreditsExpired: ProcessingState.Pause.EXPIRED,
}
_WHAT_TO_DO = {
    ProcessingState.Pause.INVALID_KEY: (
        "The withoutbg API refused the team's API key. Check WITHOUTBG_API_KEY and "
        "restart the workers; processing resumes by itself once the key works."
    ),
    ProcessingState.Pause.NO_CREDIT: (
        "The team's withoutbg credits have run out. Top them up; processing resumes "
        "by itself when the API reports credit again."
    ),
    ProcessingState.Pause.EXPIRED: (
        "The team's withoutbg credits have expired. Renew them; processing resumes "
        "by itself when the API reports usable credit again."
    ),
}


def is_paused() -> bool:
    return ProcessingState.objects.exclude(pause="").exists()


def what_to_do(pause: str) -> str:
    return _WHAT_TO_DO.get(pause, "")


def waiting_reason() -> str:
    state = ProcessingState.load()
    if state.pause == ProcessingState.Pause.INVALID_KEY:
        return "Paused: the API key was refused. An admin has been told."
    return "Waiting for credits: processing resumes by itself when credits are topped up."


def pause(error: WithoutbgError) -> None:
    """Pause everything for `error`; the first pause of a run e-mails the admins."""
    kind = _PAUSE_FOR.get(type(error), ProcessingState.Pause.NO_CREDIT)
    ProcessingState.load()
    started = ProcessingState.objects.filter(pk=1, pause="").update(
        pause=kind, detail=error.detail[:500], paused_at=timezone.now()
    )
    if started:
        logger.warning("Processing paused: %s", kind.label)
        transaction.on_commit(
            lambda: email_admins(
                subject=f"Processing paused: {kind.label}",
                message=f"{_WHAT_TO_DO[kind]}\n\nThe API said: {error.detail}",
            )
        )


def resume_if_possible() -> bool:
    """Ask for the credits left; when the API would work again, resume. True if resumed."""
    state = ProcessingState.load()
    if not state.pause:
        return False
    engine = get_engine()
    # The API counts credit checks against the rate limit too: take a slot, or
    # check again next round rather than crowd out processing calls.
    if engine.metered and get_limiter().reserve().delay > 0.05:
        return False
    ProcessingState.objects.filter(pk=1).update(checked_at=timezone.now())
    try:
        credits = engine.credits()
    except WithoutbgError as error:
        if error.action is Action.PAUSE and type(error) in _PAUSE_FOR:
            ProcessingState.objects.filter(pk=1).update(
                pause=_PAUSE_FOR[type(error)], detail=error.detail[:500]
            )
        return False
    if credits is not None:
        if credits.credit <= 0:
            return False
        if credits.expires_at is not None and credits.expires_at <= timezone.now():
            return False
    resume()
    return True


def resume() -> int:
    """Lift the pause and queue every waiting image again; how many were queued."""
    ProcessingState.objects.filter(pk=1).update(pause="", detail="", paused_at=None)
    count = requeue_waiting()
    logger.info("Processing resumed; %d waiting images queued again", count)
    return count


def requeue_waiting() -> int:
    waiting = list(
        Image.objects.filter(status=Image.Status.WAITING_CREDITS).values_list("pk", flat=True)
    )
    Image.objects.filter(pk__in=waiting, status=Image.Status.WAITING_CREDITS).update(
        status=Image.Status.QUEUED,
        status_reason="Queued again: processing resumed.",
        updated_at=timezone.now(),
    )
    for image_id in waiting:
        enqueue_processing(image_id)
    return len(waiting)
