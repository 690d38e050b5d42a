"""The team's credits: what is left, kept exact between checks, and alerts once per crossing.

A check asks the vendor, which counts against the API's rate limit, so the
balance is worked out instead: the last check's figure minus the paid calls
answered since it was asked (balance()). It drops by one the moment a call is
charged and costs no call to read; the dashboard and the team API's
/available-credit both show it.

A periodic job (cutouts.cron) and the dashboard's button call
credits_refresh(), which asks through the one credit check
(cutouts.processing.credit_check). Each answer becomes a CreditSnapshot, so
the dashboard can show the balance over time and the last known figure when
the API is away, and each reconciles (check_record): it keeps how far the
vendor's figure is from what Cutouts' calls since the check before explain,
which is someone else using the key, a top-up, or maybe-charged calls the
vendor did not charge after all.
Two alerts follow the snapshots: credits below CREDIT_LOW_THRESHOLD, and
credits expiring within CREDIT_EXPIRY_WARNING_DAYS. Admins get one e-mail when
an alert goes on; it goes off (and can e-mail again) once credits are topped
up or renewed.
"""

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from cutouts.lib.withoutbg.client import Action, Credits, WithoutbgError
from cutouts.models import Alert, ApiCall, CreditSnapshot
from cutouts.processing import pausing
from cutouts.processing.alerts import email_admins
from cutouts.processing.credit_check import NoFreeSlot, credit_check
from cutouts.processing.engines import get_engine

logger = logging.getLogger(__name__)

LOW_CREDIT = "low_credit"
EXPIRING = "credits_expiring"
# How far back the spending rate is measured for the run-out projection.
SPEND_WINDOW = timedelta(days=14)
# Each alert's title: the e-mail's subject, and its heading on the dashboard.
ALERT_TITLES = {LOW_CREDIT: "Credits are running low", EXPIRING: "Credits are expiring"}
# Calls that cost a credit, or may have: a maybe (sent in full, then no answer)
# counts as spent, as in the dashboard's spend, so the balance never shows
# more than may be left; a check that finds it was free shows the difference.
PAID = [ApiCall.Charge.CHARGED, ApiCall.Charge.MAYBE]
# A call's answer came at its ledger row's created_at plus its latency, or a
# little later: the row is written, and the request built, before the clock
# starts. Reconciling allows this much for it.
ANSWER_SLACK = timedelta(seconds=1)
# How long a call took. (Typed step by step for SQLite, whose duration
# arithmetic Django emulates.)
LATENCY = ExpressionWrapper(
    ExpressionWrapper(F("latency_ms"), output_field=IntegerField())
    * Value(timedelta(milliseconds=1)),
    output_field=DurationField(),
)


@dataclass(frozen=True)
class Balance:
    credit: int  # what is left now, as far as Cutouts knows
    spent_since: int  # paid calls answered since the check was sent
    checked: CreditSnapshot  # the check it counts from: its time, expiry and difference


def balance(*, engine: str | None = None) -> Balance | None:
    """The credits left: the last check's figure less the paid calls answered since it was sent.

    The check is the last that found a balance, of `engine` if given; None
    when none did. A call counts once answered, as the vendor charges it; one
    whose worker died on the way counts once its job would have ended.
    """
    checks = CreditSnapshot.objects.filter(error="", credit__isnull=False)
    if engine is not None:
        checks = checks.filter(engine=engine)
    check = (
        checks.annotate(spent_since=_paid_calls_since_check()).order_by("-taken_at", "-pk").first()
    )
    if check is None:
        return None
    # Maybe-charged calls can count it below zero; the vendor's balance never goes there.
    left = max(check.credit - check.spent_since, 0)
    return Balance(credit=left, spent_since=check.spent_since, checked=check)


def _paid_calls_since_check() -> Coalesce:
    """How many paid calls of a snapshot's engine were answered after it was sent, until now.

    From when the check was sent, not when its snapshot was written: a call
    answered in between was charged after the vendor read the balance, or
    during the check, and may be missing from its figure.
    """
    longest = _longest_call()
    calls = (
        ApiCall.objects.filter(
            engine=OuterRef("engine"),
            charge__in=PAID,
            created_at__gte=OuterRef("taken_at") - Value(longest),
        )
        .alias(answered_by=_answered_by(longest=longest))
        .filter(answered_by__gte=OuterRef("taken_at"), answered_by__lte=timezone.now())
    )
    counted = calls.order_by().values("engine").annotate(calls=Count("pk")).values("calls")
    return Coalesce(Subquery(counted), 0)


def _answered_by(*, longest: timedelta) -> Case:
    """When each call's answer came, or the latest it can come.

    A ledger row is written just before its call is sent (created_at) and
    keeps how long the answer took. A row still "sent" has its call on the
    way, or its worker died: any answer came by the time its job had to end.
    """
    return Case(
        When(outcome=ApiCall.Outcome.SENT, then=F("created_at") + Value(longest)),
        default=F("created_at") + LATENCY,
        output_field=DateTimeField(),
    )


def _longest_call() -> timedelta:
    # No call outlives its job, and PROCESSING_STALE_SECONDS exceeds the longest job.
    return timedelta(seconds=settings.PROCESSING_STALE_SECONDS)


def check_record(*, engine: str, credits: Credits, asked_at: datetime) -> CreditSnapshot:
    """Keep what a check sent at `asked_at` found, and what Cutouts' own calls do not explain.

    Called the moment the answer arrives: the vendor read the balance at some
    moment between `asked_at` and now.
    """
    answered_at = timezone.now()
    previous = (
        CreditSnapshot.objects.filter(
            engine=engine, error="", credit__isnull=False, taken_at__lt=asked_at
        )
        .order_by("-taken_at", "-pk")
        .first()
    )
    return CreditSnapshot.objects.create(
        engine=engine,
        credit=credits.credit,
        expires_at=credits.expires_at,
        taken_at=asked_at,
        answered_at=answered_at,
        difference=None
        if previous is None
        else _unexplained(
            previous, credit=credits.credit, asked_at=asked_at, answered_at=answered_at
        ),
    )


def _unexplained(
    previous: CreditSnapshot, *, credit: int, asked_at: datetime, answered_at: datetime
) -> int:
    """How far `credit` is from what the paid calls since `previous` can explain.

    The vendor charges a call somewhere between sending and answer, and reads
    the balance somewhere in a check's round trip. So a call answered before
    a check was sent is in its figure, and one sent after its answer came is
    not; a call on its way during either check (or whose answer is not yet on
    the ledger) may be on either side, and is allowed both ways. Comparing
    two checks' figures, rather than the balance counted since, keeps such a
    call from showing as a difference now or at the next check.
    """
    longest = _longest_call()
    # Every call the vendor may have charged between the two checks. Its
    # answer came by answered_by plus ANSWER_SLACK at the latest.
    calls = list(
        ApiCall.objects.filter(
            engine=previous.engine,
            charge__in=PAID,
            created_at__gte=previous.taken_at - longest,
            created_at__lte=answered_at,
        )
        .annotate(answered_by=_answered_by(longest=longest))
        .filter(answered_by__gte=previous.taken_at - ANSWER_SLACK)
        .values_list("created_at", "answered_by")
    )
    checks = [
        (previous.taken_at, previous.answered_at or previous.taken_at),
        (asked_at, answered_at),
    ]
    doubtful = sum(
        any(
            sent <= check_answer and answer + ANSWER_SLACK >= check_sent
            for check_sent, check_answer in checks
        )
        for sent, answer in calls
    )
    most = previous.credit - (len(calls) - doubtful)
    least = most - doubtful
    return credit - min(max(credit, least), most)


def credits_refresh() -> CreditSnapshot | None:
    """Ask the engine for the credits left and keep the answer, or why there is none.

    None when the API's rate limit has no free slot this round: a credit check
    counts against it like a processing call, and processing comes first.
    """
    engine = get_engine()
    asked_at = timezone.now()
    try:
        credits = credit_check(engine=engine, check_without_redis=True)
    except NoFreeSlot:
        return None
    except WithoutbgError as error:
        # The client keeps the key out of every message; str() adds the status
        # and what to do.
        snapshot = CreditSnapshot.objects.create(engine=engine.name, error=str(error)[:500])
        if error.action is Action.PAUSE:
            # A refused key or unusable credit stops processing as it would
            # on the next image; the credit recheck resumes it.
            pausing.pause(error)
        return snapshot
    if credits is None:
        # The offline model: no balance, nothing to count.
        snapshot = CreditSnapshot.objects.create(engine=engine.name)
    else:
        snapshot = check_record(engine=engine.name, credits=credits, asked_at=asked_at)
    alerts_update(snapshot=snapshot)
    return snapshot


def alerts_update(*, snapshot: CreditSnapshot) -> None:
    """Turn the low-credit and expiry alerts on or off for what `snapshot` found."""
    if snapshot.error:
        return  # nothing new is known
    _alert_set(kind=LOW_CREDIT, message=_low_credit_message(snapshot))
    _alert_set(kind=EXPIRING, message=_expiry_message(snapshot))


def _low_credit_message(snapshot: CreditSnapshot) -> str:
    threshold = settings.CREDIT_LOW_THRESHOLD
    if snapshot.credit is None or snapshot.credit >= threshold:
        return ""
    return (
        f"Credits are low: {snapshot.credit} left (the alert is set below {threshold}). "
        "Top up the team's withoutbg credits before processing stops."
    )


def _expiry_message(snapshot: CreditSnapshot) -> str:
    expires_at = snapshot.expires_at
    if expires_at is None:
        return ""
    days = days_until(expires_at, now=snapshot.taken_at)
    if days > settings.CREDIT_EXPIRY_WARNING_DAYS:
        return ""
    when = f"{timezone.localtime(expires_at):%d %b %Y}"
    if expires_at <= snapshot.taken_at:
        return f"The team's withoutbg credits expired on {when}. A top-up reactivates them."
    left = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    return (
        f"The team's withoutbg credits expire on {when} ({left}). "
        "Top up before then; a top-up also reactivates expired credits."
    )


def _alert_set(*, kind: str, message: str) -> None:
    """Turn the alert on with `message`, or off when `message` is empty."""
    now = timezone.now()
    Alert.objects.get_or_create(kind=kind)
    if not message:
        Alert.objects.filter(kind=kind, active=True).update(
            active=False, message="", emailed_at=None, changed_at=now
        )
        return
    Alert.objects.filter(kind=kind, active=False).update(active=True, changed_at=now)
    Alert.objects.filter(kind=kind).update(message=message)
    # The e-mail is claimed before it is sent, so two refreshes at once send
    # one; it is given back if sending fails, so the next refresh tries again.
    if Alert.objects.filter(kind=kind, active=True, emailed_at=None).update(emailed_at=now):
        link = settings.SITE_URL.rstrip("/") + reverse("dashboard")
        try:
            email_admins(subject=ALERT_TITLES[kind], message=f"{message}\n\n{link}")
        except OSError:
            Alert.objects.filter(kind=kind).update(emailed_at=None)
            raise


def spend_per_day(*, engine: str, now: datetime) -> float:
    """Credits `engine` spent a day lately: its charged calls over SPEND_WINDOW.

    A ledger younger than the window is measured over its own age, at least a
    day, so a new team's rate is not diluted by days before it began.
    """
    recent = ApiCall.objects.filter(
        charge__in=PAID,
        engine=engine,
        created_at__gte=now - SPEND_WINDOW,
    ).aggregate(spent=Count("pk"), first=Min("created_at"))
    if not recent["spent"]:
        return 0.0
    measured = max(now - recent["first"], timedelta(days=1))
    return recent["spent"] / (measured / timedelta(days=1))


def run_out_date(*, credit: int, per_day: float, today: date) -> date | None:
    """The day the credits run out at `per_day`; None when nothing is being spent."""
    if per_day <= 0:
        return None
    return today + timedelta(days=math.floor(max(credit, 0) / per_day))


def days_until(moment: datetime, *, now: datetime) -> int:
    """Calendar days from `now` to `moment`: 0 on the day itself, negative after it."""
    return (timezone.localdate(moment) - timezone.localdate(now)).days
