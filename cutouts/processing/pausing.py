"""Pausing all processing when the API cannot work for anyone, and resuming.

A refused key (401), no credit (402) or expired credits (403) would fail every
image the same way, so instead processing stops: images wait, admins get one
e-mail, and a periodic credit check resumes everything once the API would
answer again. No image fails or is lost for lack of credit.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from cutouts.lib.withoutbg.client import (
    CreditsExpired,
    InsufficientCredit,
    InvalidKey,
    WithoutbgError,
)
from cutouts.lib.withoutbg.contract import CREDITS_EXPIRED, INSUFFICIENT_CREDIT
from cutouts.models import Image, ProcessingState
from cutouts.processing.alerts import email_admins
from cutouts.processing.credit_check import NoFreeSlot, credit_check
from cutouts.processing.engines import get_engine
from cutouts.processing.queueing import enqueue_processing

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PauseRule:
    """One reason processing pauses, and what each audience is told about it."""

    kind: ProcessingState.Pause
    error: type[WithoutbgError]  # what the client raises for it
    vendor_status: int  # the status the API answered with
    what_to_do: str  # for admins: the banner, the dashboard and the e-mail
    waiting_reason: str  # for members, on each image that waits
    api_status: int  # the team API's answer while an image waits for it...
    api_detail: str  # ...and its detail

    @property
    def label(self) -> str:
        return self.kind.label


WAITING_FOR_CREDITS = (
    "Waiting for credits: processing resumes by itself when credits are topped up."
)
PAUSE_RULES = {
    rule.kind: rule
    for rule in [
        PauseRule(
            kind=ProcessingState.Pause.INVALID_KEY,
            error=InvalidKey,
            vendor_status=401,
            what_to_do=(
                "The withoutbg API refused the team's API key. Check WITHOUTBG_API_KEY and "
                "restart the workers; processing resumes by itself once the key works."
            ),
            waiting_reason="Paused: the API key was refused. An admin has been told.",
            # Never 401: that would tell the caller their own token is bad.
            api_status=503,
            api_detail=(
                "The withoutbg API refused the team's API key, so processing is paused; an "
                "admin has been told. Your token is fine: the image is in your library and "
                "will be processed once the key is fixed."
            ),
        ),
        PauseRule(
            kind=ProcessingState.Pause.NO_CREDIT,
            error=InsufficientCredit,
            vendor_status=402,
            what_to_do=(
                "The team's withoutbg credits have run out. Top them up; processing resumes "
                "by itself when the API reports credit again."
            ),
            waiting_reason=WAITING_FOR_CREDITS,
            # The vendor's own answer: a script written for it keeps working.
            api_status=402,
            api_detail=INSUFFICIENT_CREDIT,
        ),
        PauseRule(
            kind=ProcessingState.Pause.EXPIRED,
            error=CreditsExpired,
            vendor_status=403,
            what_to_do=(
                "The team's withoutbg credits have expired. Renew them; processing resumes "
                "by itself when the API reports usable credit again."
            ),
            waiting_reason=WAITING_FOR_CREDITS,
            api_status=403,
            api_detail=CREDITS_EXPIRED,
        ),
    ]
}
_RULE_FOR_ERROR = {rule.error: rule for rule in PAUSE_RULES.values()}


def is_paused() -> bool:
    return ProcessingState.objects.exclude(pause="").exists()


def waiting_reason() -> str:
    rule = PAUSE_RULES.get(ProcessingState.load().pause)
    return rule.waiting_reason if rule else WAITING_FOR_CREDITS


def pause(error: WithoutbgError) -> None:
    """Pause everything for `error`; the first pause of a run e-mails the admins."""
    rule = _RULE_FOR_ERROR.get(type(error), PAUSE_RULES[ProcessingState.Pause.NO_CREDIT])
    ProcessingState.load()
    started = ProcessingState.objects.filter(pk=1, pause="").update(
        pause=rule.kind, detail=error.detail[:500], paused_at=timezone.now()
    )
    if started:
        logger.warning("Processing paused: %s", rule.label)
        transaction.on_commit(
            lambda: email_admins(
                subject=f"Processing paused: {rule.label}",
                message=f"{rule.what_to_do}\n\nThe API said: {error.detail}",
            )
        )


def resume_if_possible() -> bool:
    """Ask for the credits left; when the API would work again, resume. True if resumed."""
    state = ProcessingState.load()
    if not state.pause:
        return False
    try:
        credits = credit_check(engine=get_engine())
    except NoFreeSlot:
        return False  # checked again next round: processing calls come first
    except WithoutbgError as error:
        ProcessingState.objects.filter(pk=1).update(checked_at=timezone.now())
        rule = _RULE_FOR_ERROR.get(type(error))
        if rule is not None:
            # The reason can change while paused: credits topped up, then expired.
            ProcessingState.objects.filter(pk=1).update(pause=rule.kind, detail=error.detail[:500])
        return False
    ProcessingState.objects.filter(pk=1).update(checked_at=timezone.now())
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
