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
the API is away, and each reconciles: it keeps how far the vendor's figure is
from the balance Cutouts expected, which is someone else using the key, a
top-up, or maybe-charged calls the vendor did not charge after all.
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
# When a call's answer came: its ledger row is written just before the call is
# sent, and keeps how long the answer took (0 while it is still on its way).
# (Typed step by step for SQLite, whose duration arithmetic Django emulates.)
LATENCY = ExpressionWrapper(
    ExpressionWrapper(F("latency_ms"), output_field=IntegerField())
    * Value(timedelta(milliseconds=1)),
    output_field=DurationField(),
)
ANSWERED_AT = ExpressionWrapper(F("created_at") + LATENCY, output_field=DateTimeField())
# No call takes longer (httpx's WITHOUTBG_TIMEOUT bounds each connect and read,
# not the whole call): lets the count use the ledger's index on created_at.
LONGEST_CALL = timedelta(hours=1)


@dataclass(frozen=True)
class Balance:
    credit: int  # what is left now, as far as Cutouts knows
    spent_since: int  # paid calls answered since the check
    checked: CreditSnapshot  # the check it counts from: its time, expiry and difference


def balance(*, engine: str | None = None, until: datetime | None = None) -> Balance | None:
    """The credits left: the last check's figure less the paid calls answered since.

    The check is the last that found a balance, of `engine` if given. With
    `until`, the balance just before that moment: the last check asked before
    it, less the calls answered before it. None when no check found one.
    """
    checks = CreditSnapshot.objects.filter(error="", credit__isnull=False)
    if engine is not None:
        checks = checks.filter(engine=engine)
    if until is not None:
        checks = checks.filter(taken_at__lt=until)
    check = (
        checks.annotate(spent_since=_paid_calls_answered_since_check(until=until))
        .order_by("-taken_at", "-pk")
        .first()
    )
    if check is None:
        return None
    # Maybe-charged calls can count it below zero; the vendor's balance never goes there.
    left = max(check.credit - check.spent_since, 0)
    return Balance(credit=left, spent_since=check.spent_since, checked=check)


def _paid_calls_answered_since_check(*, until: datetime | None) -> Coalesce:
    """How many paid calls of a snapshot's engine were answered from its taken_at (to `until`)."""
    calls = (
        ApiCall.objects.filter(
            engine=OuterRef("engine"),
            charge__in=PAID,
            created_at__gte=OuterRef("taken_at") - Value(LONGEST_CALL),
        )
        .alias(answered_at=ANSWERED_AT)
        .filter(answered_at__gte=OuterRef("taken_at"))
    )
    if until is not None:
        calls = calls.filter(answered_at__lt=until)
    counted = calls.order_by().values("engine").annotate(calls=Count("pk")).values("calls")
    return Coalesce(Subquery(counted), 0)


def check_record(*, engine: str, credits: Credits) -> CreditSnapshot:
    """Keep what a check found, and how far it is from the balance Cutouts expected.

    Called the moment the check's answer arrives. The snapshot is dated when
    the vendor read the balance, which is neither when the check was sent nor
    when this row is written: calls answered in between would be counted on
    the wrong side. The vendor charges a call as it answers it, and reads the
    balance halfway through the check's round trip as far as we can tell, so
    a call answered before that moment is in its figure and one answered
    after is counted off it. Only a call answered within the round trip's
    jitter of that moment (milliseconds) can land on the wrong side; the next
    check then shows a difference of one, and puts it right.
    """
    read_at = timezone.now() - timedelta(milliseconds=credits.stats.latency_ms / 2)
    expected = balance(engine=engine, until=read_at)
    return CreditSnapshot.objects.create(
        engine=engine,
        credit=credits.credit,
        expires_at=credits.expires_at,
        taken_at=read_at,
        difference=None if expected is None else credits.credit - expected.credit,
    )


def credits_refresh() -> CreditSnapshot | None:
    """Ask the engine for the credits left and keep the answer, or why there is none.

    None when the API's rate limit has no free slot this round: a credit check
    counts against it like a processing call, and processing comes first.
    """
    engine = get_engine()
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
        snapshot = check_record(engine=engine.name, credits=credits)
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
