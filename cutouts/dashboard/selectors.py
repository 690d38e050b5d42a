"""What the admin dashboard shows: read-only, every figure aggregated in SQL.

Each query here runs once per page whatever the volume, so the page costs the
same with a hundred ledger rows or a hundred thousand. Redis is asked only for
counts, and its absence is something to show, not an error.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import django_rq
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Min, Q
from django.db.models.functions import TruncDate, TruncDay, TruncHour
from django.template.defaultfilters import pluralize
from django.utils import timezone
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.cron import CronScheduler
from rq.worker import WorkerStatus

from cutouts.models import Alert, ApiCall, CreditSnapshot, Image, MemberBudget, ProcessingState
from cutouts.processing import budgets, credits, pausing
from cutouts.processing.engines import LocalEngine, get_engine
from cutouts.processing.queueing import QUEUE, RENDER_QUEUE

# A shorter period's credit line has a point an hour, a longer one a point a day.
HOURLY_UP_TO = timedelta(days=7)
RECENT_FAILURES = 10
# Calls that cost a credit, or would have: the offline model costs nothing.
METERED = ~Q(engine=LocalEngine.name)
# What the vendor took or may have taken: spend counts both, so it reconciles
# with the balance whatever became of the answers.
SPENT = Q(charge__in=[ApiCall.Charge.CHARGED, ApiCall.Charge.MAYBE]) & METERED


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @property
    def days(self) -> list[date]:
        first = timezone.localdate(self.start)
        last = timezone.localdate(self.end - timedelta(microseconds=1))
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    @property
    def hourly(self) -> bool:
        return self.end - self.start <= HOURLY_UP_TO


def period_last_days(*, days: int, now: datetime) -> Period:
    """Today and the days before it, `days` in all."""
    return Period(start=_midnight(timezone.localdate(now) - timedelta(days=days - 1)), end=now)


def period_between(*, first: date, last: date, now: datetime) -> Period:
    """From the start of `first` to the end of `last`, or now if sooner."""
    return Period(start=_midnight(first), end=min(_midnight(last + timedelta(days=1)), now))


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class EngineInfo:
    name: str
    base_url: str  # empty for the offline model
    key_set: bool


def engine_info() -> EngineInfo:
    """Which engine the settings choose, and where it is. Never the key itself."""
    if settings.MATTING_ENGINE == "local":
        # Named without loading the model into the web process.
        return EngineInfo(name=LocalEngine.name, base_url="", key_set=False)
    return EngineInfo(
        name=get_engine().name,
        base_url=settings.WITHOUTBG_BASE_URL,
        key_set=bool(settings.WITHOUTBG_API_KEY),
    )


@dataclass(frozen=True)
class CreditStatus:
    latest: CreditSnapshot | None  # the last check, whatever it found
    balance: credits.Balance | None  # counted from the last check that found a balance
    per_day: float  # credits spent a day lately
    runs_out_on: date | None
    expires_in_days: int | None
    expired: bool

    @property
    def known(self) -> CreditSnapshot | None:
        """The last check that found a balance: its time, expiry, and difference."""
        return self.balance.checked if self.balance else None

    @property
    def failed(self) -> bool:
        return self.latest is not None and bool(self.latest.error)

    @property
    def unmetered(self) -> bool:
        return self.latest is not None and not self.latest.error and self.latest.credit is None

    @property
    def difference(self) -> str:
        """What the last check found that Cutouts' own spending does not explain, if anything."""
        found = self.known.difference if self.known else None
        if not found:
            return ""
        if found < 0:
            return (
                f"The last check found {-found} credit{pluralize(-found)} more used than "
                "Cutouts spent: someone else may be using this key."
            )
        return (
            f"The last check found {found} credit{pluralize(found)} more than Cutouts "
            "expected: a top-up, or calls that got no answer and were not charged after all."
        )


def credit_status(*, engine: str, now: datetime) -> CreditStatus:
    latest = CreditSnapshot.objects.order_by("-taken_at", "-pk").first()
    balance = credits.balance()
    known = balance.checked if balance else None
    per_day = credits.spend_per_day(engine=known.engine if known else engine, now=now)
    runs_out_on = expires_in_days = None
    expired = False
    if balance is not None:
        today = timezone.localdate(now)
        runs_out_on = credits.run_out_date(credit=balance.credit, per_day=per_day, today=today)
        if balance.checked.expires_at is not None:
            expires_in_days = credits.days_until(balance.checked.expires_at, now=now)
            expired = balance.checked.expires_at <= now
    return CreditStatus(latest, balance, per_day, runs_out_on, expires_in_days, expired)


def credit_history(*, period: Period) -> list[tuple[datetime, int]]:
    """The lowest balance seen in each hour (or day) of the period."""
    bucket = TruncHour if period.hourly else TruncDay
    rows = (
        CreditSnapshot.objects.filter(
            credit__isnull=False, taken_at__gte=period.start, taken_at__lt=period.end
        )
        .annotate(at=bucket("taken_at"))
        .values("at")
        .annotate(lowest=Min("credit"))
        .order_by("at")
    )
    return [(row["at"], row["lowest"]) for row in rows]


@dataclass
class DayCalls:
    day: date
    success: int = 0
    error: int = 0
    cache_hit: int = 0


@dataclass
class MemberUsage:
    username: str  # empty for a deleted member
    calls: int = 0  # sent to the engine, answered or not
    errors: int = 0  # no usable answer, or none at all
    credits_spent: int = 0  # charged or maybe charged
    credits_uncertain: int = 0  # of those, maybe charged: sent, then no answer
    credits_saved: int = 0  # cache hits: the same bytes were processed before

    def add(self, *, success: int, error: int, spent: int, uncertain: int, saved: int) -> None:
        self.calls += success + error
        self.errors += error
        self.credits_spent += spent
        self.credits_uncertain += uncertain
        self.credits_saved += saved


@dataclass(frozen=True)
class Usage:
    per_day: list[DayCalls]  # every day of the period, with calls or none
    members: list[MemberUsage]  # most credits spent first
    total: MemberUsage


def usage(*, period: Period) -> Usage:
    """Calls per day and per member, from one pass over the period's ledger rows."""
    rows = (
        ApiCall.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "user_id")
        .annotate(
            success=Count("pk", filter=Q(outcome=ApiCall.Outcome.SUCCESS)),
            # A call still "sent" never got its answer: its worker died.
            error=Count("pk", filter=Q(outcome__in=[ApiCall.Outcome.ERROR, ApiCall.Outcome.SENT])),
            cache_hit=Count("pk", filter=Q(outcome=ApiCall.Outcome.CACHE_HIT)),
            spent=Count("pk", filter=SPENT),
            uncertain=Count("pk", filter=Q(charge=ApiCall.Charge.MAYBE) & METERED),
            saved=Count("pk", filter=Q(outcome=ApiCall.Outcome.CACHE_HIT) & METERED),
        )
        .order_by()
    )
    # Names come apart: joining users to every ledger row costs more than
    # reading a team's few names.
    names = dict(get_user_model().objects.values_list("pk", "username"))
    days = {day: DayCalls(day) for day in period.days}
    members: dict[int | None, MemberUsage] = {}
    total = MemberUsage("")
    for day, user_id, success, error, cache_hit, spent, uncertain, saved in rows:
        calls = days[day]
        calls.success += success
        calls.error += error
        calls.cache_hit += cache_hit
        member = members.setdefault(user_id, MemberUsage(names.get(user_id, "")))
        for each in (member, total):
            each.add(success=success, error=error, spent=spent, uncertain=uncertain, saved=saved)
    ranked = sorted(members.values(), key=lambda m: (-m.credits_spent, m.username))
    return Usage(list(days.values()), ranked, total)


@dataclass(frozen=True)
class ImageCounts:
    queued: int
    processing: int
    waiting_credits: int
    over_budget: int
    failed: int
    oldest_queued_at: datetime | None


def image_counts() -> ImageCounts:
    unfinished = [
        Image.Status.QUEUED.value,
        Image.Status.PROCESSING.value,
        Image.Status.WAITING_CREDITS.value,
        Image.Status.OVER_BUDGET.value,
        Image.Status.FAILED.value,
    ]
    row = Image.objects.filter(status__in=unfinished).aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in unfinished},
        oldest_queued_at=Min("created_at", filter=Q(status=Image.Status.QUEUED)),
    )
    return ImageCounts(**row)


def recent_failures() -> list[Image]:
    return list(
        Image.objects.filter(status=Image.Status.FAILED)
        .select_related("owner")
        .order_by("-updated_at")[:RECENT_FAILURES]
    )


@dataclass(frozen=True)
class QueueStats:
    workers: int = 0
    busy_workers: int = 0
    waiting_jobs: int = 0  # on the queue, ready to run
    scheduled_jobs: int = 0  # due later: retries, and calls waiting for a rate-limit slot
    failed_jobs: int = 0  # jobs that crashed, kept a week for inspection


@dataclass(frozen=True)
class QueueHealth:
    reachable: bool
    processing: QueueStats = QueueStats()  # the "default" queue
    renders: QueueStats = QueueStats()  # studio renders and export ZIPs
    schedulers: int = 0  # `rqcron` processes running the periodic jobs

    @property
    def scheduled_jobs(self) -> int:
        return self.processing.scheduled_jobs + self.renders.scheduled_jobs

    @property
    def failed_jobs(self) -> int:
        return self.processing.failed_jobs + self.renders.failed_jobs


def queue_health() -> QueueHealth:
    try:
        processing = django_rq.get_queue(QUEUE)
        return QueueHealth(
            reachable=True,
            processing=_queue_stats(processing),
            renders=_queue_stats(django_rq.get_queue(RENDER_QUEUE)),
            schedulers=len(CronScheduler.all(processing.connection)),
        )
    except RedisError:
        return QueueHealth(reachable=False)


def _queue_stats(queue: Queue) -> QueueStats:
    workers = Worker.all(queue=queue)
    return QueueStats(
        workers=len(workers),
        busy_workers=sum(w.get_state() == WorkerStatus.BUSY for w in workers),
        waiting_jobs=queue.count,
        scheduled_jobs=queue.scheduled_job_registry.count,
        failed_jobs=queue.failed_job_registry.count,
    )


@dataclass(frozen=True)
class Attention:
    """Something an admin should act on, and how."""

    level: str  # "bad": nothing gets processed; "warn": it will be soon, or may be
    title: str
    what_to_do: str
    detail: str = ""


def needs_attention(
    *,
    pause: ProcessingState | None,
    credit: CreditStatus,
    alerts: list[Alert],
    queue: QueueHealth,
) -> list[Attention]:
    """Everything wrong, worst first; an empty list means all is well."""
    found = []
    if pause is not None and pause.pause:
        rule = pausing.PAUSE_RULES[pause.pause]
        found.append(
            Attention(
                "bad",
                f"Processing is paused: {rule.label} (HTTP {rule.vendor_status})",
                rule.what_to_do,
                f"The API said: {pause.detail}" if pause.detail else "",
            )
        )
    if not queue.reachable:
        found.append(
            Attention(
                "bad",
                "The job queue is unreachable",
                "Uploads are kept and queued once Redis is back, but nothing is processed "
                "meanwhile. Check that Redis is running at REDIS_URL.",
            )
        )
    else:
        if not queue.processing.workers:
            found.append(
                Attention(
                    "bad",
                    "No worker is running",
                    "Images wait in the queue. Start one: python manage.py rqworker default "
                    "--with-scheduler",
                )
            )
        if not queue.renders.workers:
            found.append(
                Attention(
                    "bad",
                    "No render worker is running",
                    "Studio renders and exports wait in their queue. Start one: "
                    "python manage.py rqworker renders",
                )
            )
    if credit.failed and credit.latest is not None:
        found.append(
            Attention(
                "warn",
                "The last credit check failed",
                "The figures below are the last known; the check runs again by itself.",
                credit.latest.error,
            )
        )
    found += [
        Attention("warn", credits.ALERT_TITLES.get(alert.kind, "Alert"), alert.message)
        for alert in alerts
    ]
    if queue.reachable and not queue.schedulers:
        found.append(
            Attention(
                "warn",
                "The periodic jobs are not running",
                "Credits are not refreshed, a pause does not lift by itself and stuck images "
                "are not swept. Start them: python manage.py rqcron cutouts.cron",
            )
        )
    return found


def active_alerts() -> list[Alert]:
    return list(Alert.objects.filter(active=True).order_by("kind"))


@dataclass(frozen=True)
class Overview:
    engine: EngineInfo
    credit: CreditStatus
    credit_history: list[tuple[datetime, int]]
    usage: Usage
    images: ImageCounts
    failures: list[Image]
    queue: QueueHealth
    attention: list[Attention]


def overview(*, period: Period, now: datetime) -> Overview:
    engine = engine_info()
    credit = credit_status(engine=engine.name, now=now)
    queue = queue_health()
    pause = ProcessingState.objects.filter(pk=1).first()
    return Overview(
        engine=engine,
        credit=credit,
        credit_history=credit_history(period=period),
        usage=usage(period=period),
        images=image_counts(),
        failures=recent_failures(),
        queue=queue,
        attention=needs_attention(pause=pause, credit=credit, alerts=active_alerts(), queue=queue),
    )


@dataclass(frozen=True)
class MemberBudgetRow:
    user_id: int
    username: str
    use: budgets.BudgetUse
    mode: str  # as the member's budget form has it: "team", "unlimited" or "credits"
    over_budget_images: int  # waiting for budget now

    @property
    def used_percent(self) -> float:
        """How full the member's month is, for its bar: 0 to 100."""
        if not self.use.monthly_credits:
            return 100.0 if self.use.monthly_credits == 0 else 0.0
        return round(min(100.0, 100 * self.use.used / self.use.monthly_credits), 2)


def member_budgets(*, now: datetime) -> list[MemberBudgetRow]:
    """Each active member's budget and use this month, and their images waiting for budget."""
    uses = budgets.budgets_of_everyone(now=now)
    waiting = dict(
        Image.objects.filter(status=Image.Status.OVER_BUDGET)
        .values("owner_id")
        .annotate(n=Count("pk"))
        .values_list("owner_id", "n")
    )
    own = dict(MemberBudget.objects.values_list("user_id", "monthly_credits"))
    members = get_user_model().objects.filter(pk__in=uses).order_by("username")
    return [
        MemberBudgetRow(
            user_id=member.pk,
            username=member.get_username(),
            use=uses[member.pk],
            mode=_mode(own, member.pk),
            over_budget_images=waiting.get(member.pk, 0),
        )
        for member in members.only("pk", "username")
    ]


def _mode(own: dict[int, int | None], user_id: int) -> str:
    if user_id not in own:
        return "team"
    return "unlimited" if own[user_id] is None else "credits"
