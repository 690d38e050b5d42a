"""Who gets the next API call: the fair order, chosen the moment a slot comes free.

The API's per-minute limit is shared by the whole team, so slots are never
booked ahead for queued images. Each image has a place in one fair order:
urgent images first (a member's single photo or small drop, a script's
synchronous call, an admin's retry), then by `fair_seq`. A member's images
get consecutive numbers, and a member who joins the line starts at its
front, so members' images interleave (round-robin) while a lone batch still
gets every slot. Whenever a worker holds a free slot it claims the first
image of that order, in one statement, whichever image its job was for.

The same order, with the limiter's next free slots, gives each queued image
its expected finish time.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone
from redis.exceptions import RedisError

from cutouts.models import ApiCall, Image, UploadBatch
from cutouts.processing import budgets, credits, pausing
from cutouts.processing.engines import get_engine
from cutouts.processing.queueing import get_limiter

# Until enough calls are on the ledger to measure it: a call and storing its matte.
DEFAULT_PROCESSING_SECONDS = 3.0
_MEASURED_CALLS = 20
# Waiting images, in the order their API calls will be made.
FAIR_ORDER = ("-urgent", "fair_seq", "pk")


def place_in_line(*, owner_id: int, urgent: bool = False) -> tuple[int, bool]:
    """The `fair_seq` and `urgent` of an image `owner_id` is queueing now.

    A member with fewer than FAIR_SMALL_DROP images waiting goes ahead of
    large batches; so does anything the caller marks `urgent`. Among urgent
    images and among the rest, a member's images follow their previous one
    or start at the line's front, whichever is later: members take turns,
    one image each.
    """
    waiting = Image.objects.filter(status__in=[Image.Status.QUEUED, Image.Status.PROCESSING])
    mine = waiting.filter(owner_id=owner_id)
    urgent = urgent or mine.count() < settings.FAIR_SMALL_DROP
    front = Image.objects.filter(status=Image.Status.QUEUED).aggregate(first=Min("fair_seq"))[
        "first"
    ]
    if front is None:
        # Nobody waits: carry on from the last number given, so order holds.
        front = (Image.objects.aggregate(last=Max("fair_seq"))["last"] or 0) + 1
    last = mine.filter(urgent=urgent).aggregate(last=Max("fair_seq"))["last"]
    return (front if last is None else max(last + 1, front)), urgent


def due_images(now: datetime) -> QuerySet[Image]:
    return Image.objects.filter(status=Image.Status.QUEUED).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )


def claim_next() -> Image | None:
    """Claim the first image of the fair order that may be called for now, or None.

    Concurrent workers skip each other's locked rows, so two never claim one
    image; a worker killed after claiming leaves a claim the sweeper puts back.
    An image whose matte costs a call is claimed only within its owner's
    monthly budget (cutouts.processing.budgets): a spent budget sets the
    owner's images aside ("over budget"); calls on their way that may spend
    the rest pass the owner over for this slot.
    """
    passed_over: set[int] = set()
    while True:
        now = timezone.now()
        with transaction.atomic():
            row = (
                due_images(now)
                .exclude(owner_id__in=passed_over)
                .select_for_update(skip_locked=True)
                .order_by(*FAIR_ORDER)
                .values_list("pk", "owner_id", "sha256")
                .first()
            )
            if row is None:
                return None
            pk, owner_id, sha256 = row
            verdict, budget = budgets.spend_verdict(owner_id=owner_id, image=(pk, sha256), now=now)
            if verdict is budgets.Verdict.OVER:
                budgets.hold_over_budget(owner_id=owner_id, budget=budget, now=now)
                continue
            if verdict is budgets.Verdict.IN_FLIGHT:
                passed_over.add(owner_id)
                continue
            # Guarded by status too: SQLite has no row locks, and another
            # worker may have been quicker; then the next image is tried.
            claimed = Image.objects.filter(pk=pk, status=Image.Status.QUEUED).update(
                status=Image.Status.PROCESSING, status_reason="", claimed_at=now, updated_at=now
            )
        if claimed:
            return Image.objects.get(pk=pk)


@dataclass(frozen=True)
class Eta:
    """When a waiting image is expected to be done: seconds from now, or no figure.

    No figure while processing is paused, or while the image waits for its
    member's monthly budget (over_budget): both last until someone acts.
    """

    seconds: int | None
    paused: bool = False
    over_budget: bool = False

    @property
    def text(self) -> str:
        if self.over_budget:
            return "Waiting for budget: done once the monthly budget has room"
        if self.paused:
            return "Paused: done once processing resumes"
        if self.seconds is None:  # the limiter is away: no figure to give
            return ""
        if self.seconds < 60:
            return "Done in under a minute"
        finish = timezone.localtime() + timedelta(seconds=self.seconds)
        minutes = round(self.seconds / 60)
        if minutes < 90:
            return f"Done in about {minutes} min (by {finish:%H:%M})"
        return f"Done in about {self.seconds / 3600:.1f} h (by {finish:%H:%M})"


WAITING = (
    Image.Status.QUEUED,
    Image.Status.PROCESSING,
    Image.Status.WAITING_CREDITS,
    Image.Status.OVER_BUDGET,
)


class Line:
    """The line of waiting images as it stands now, to tell each one's expected finish.

    Read from the database and Redis on the first question only, so a page
    with nothing waiting pays nothing for it.
    """

    @cached_property
    def paused(self) -> bool:
        return pausing.is_paused()

    @cached_property
    def processing(self) -> float:
        return processing_seconds()

    @cached_property
    def _order(self) -> list[tuple[int, datetime | None]]:
        return list(
            Image.objects.filter(status=Image.Status.QUEUED)
            .order_by(*FAIR_ORDER)
            .values_list("pk", "not_before")
        )

    @cached_property
    def _place(self) -> dict[int, int]:
        return {pk: place for place, (pk, _) in enumerate(self._order)}

    @cached_property
    def _seconds_to_slots(self) -> list[float] | None:
        """Seconds until each place's slot; None when Redis, and so the limiter, is away."""
        if not get_engine().metered:
            return [0.0] * len(self._order)
        try:
            limiter = get_limiter()
            start = limiter.now()
            return [slot - start for slot in limiter.next_slots(len(self._order))]
        except RedisError:
            return None

    def eta(self, image: Image) -> Eta | None:
        """When `image` is expected to be done; None when it is not waiting."""
        if image.status not in WAITING:
            return None
        if image.status == Image.Status.OVER_BUDGET:
            return Eta(seconds=None, over_budget=True)
        if image.status == Image.Status.WAITING_CREDITS or self.paused:
            return Eta(seconds=None, paused=True)
        place = self._place.get(image.pk)
        if place is None:  # being processed now
            return Eta(seconds=round(self.processing))
        if self._seconds_to_slots is None:
            return None
        ahead = self._seconds_to_slots[place]
        not_before = self._order[place][1]
        if not_before is not None:
            ahead = max(ahead, (not_before - timezone.now()).total_seconds())
        return Eta(seconds=round(ahead + self.processing))

    def eta_of_more(self, count: int) -> Eta:
        """When `count` more paid calls, after everything waiting now, are expected done."""
        if self.paused:
            return Eta(seconds=None, paused=True)
        if count == 0 or not get_engine().metered:
            return Eta(seconds=round(self.processing))
        try:
            limiter = get_limiter()
            start = limiter.now()
            last = limiter.next_slots(len(self._order) + count)[-1]
        except RedisError:
            return Eta(seconds=None)
        return Eta(seconds=round(last - start + self.processing))


@dataclass(frozen=True)
class UploadEstimate:
    """What a drop of files will cost and when it should be done, before it is sent."""

    files: int
    charged: int  # new pictures: one paid call each
    repeats: int  # already processed, waiting, or twice in the drop: free
    credit: int | None  # the team's balance, when known
    eta: Eta
    over_budget: int = 0  # of `charged`, past what the member's monthly budget has left

    @property
    def text(self) -> str:
        parts = [f"{self.charged} of {self.files} will be charged"]
        if self.repeats:
            parts[0] += f" ({self.repeats} already processed or repeated: free)"
        if self.credit is not None:
            if self.charged > self.credit:
                parts.append(
                    f"the team has {self.credit} credits left, so "
                    f"{self.charged - self.credit} will wait until credits are topped up"
                )
            else:
                parts.append(f"the team has {self.credit} credits left")
        if self.over_budget:
            parts.append(
                f"{self.over_budget} will wait for budget: your monthly budget has room "
                f"for {self.charged - self.over_budget} more"
            )
        if self.eta.paused:
            parts.append("processing is paused, so they will wait until it resumes")
        elif self.eta.text:
            parts.append(self.eta.text[0].lower() + self.eta.text[1:])
        return "; ".join(parts) + "."


def upload_estimate(
    *, sha256s: list[str], owner: AbstractBaseUser, batch: UploadBatch | None = None
) -> UploadEstimate:
    """The cost and expected finish of `owner` uploading files with these SHA-256 digests now.

    Images of `batch`, the drop being uploaded, do not count as already there.
    """
    unique = set(sha256s)
    there = Image.objects.filter(sha256__in=unique).filter(
        Q(matte__isnull=False) | Q(status__in=WAITING)
    )
    if batch is not None:
        there = there.exclude(batch=batch)
    seen = set(there.values_list("sha256", flat=True))
    engine = get_engine()
    charged = len(unique - seen) if engine.metered else 0
    left = credits.balance(engine=engine.name) if engine.metered else None
    over_budget = _past_budget(owner=owner, charged=charged, batch=batch)
    return UploadEstimate(
        files=len(sha256s),
        charged=charged,
        repeats=len(sha256s) - charged,
        credit=left.credit if left else None,
        eta=Line().eta_of_more(charged - over_budget),
        over_budget=over_budget,
    )


def _past_budget(*, owner: AbstractBaseUser, charged: int, batch: UploadBatch | None) -> int:
    """How many of `charged` new calls the owner's budget has no room for.

    Their images already waiting for a call spend what is left first.
    """
    left = budgets.budget_use(user=owner).left
    if left is None or charged == 0:
        return 0
    ahead = Image.objects.filter(
        owner=owner, status__in=[Image.Status.QUEUED, Image.Status.PROCESSING]
    )
    if batch is not None:
        ahead = ahead.exclude(batch=batch)
    return min(charged, max(0, charged - max(0, left - ahead.count())))


def attach_etas(images: Iterable[Image], line: Line | None = None) -> None:
    """Set `eta` on each of `images` (None when it is not waiting), for a page to show."""
    line = line or Line()
    for image in images:
        image.eta = line.eta(image)


def batch_eta(batch_id: int, line: Line | None = None) -> Eta | None:
    """When the last waiting image of the batch is expected to be done; None when none waits."""
    waiting = list(Image.objects.filter(batch_id=batch_id, status__in=WAITING).only("pk", "status"))
    if not waiting:
        return None
    line = line or Line()
    known = [line.eta(image) for image in waiting]
    if any(eta.over_budget for eta in known if eta):
        return Eta(seconds=None, over_budget=True)
    if any(eta.paused for eta in known if eta):
        return Eta(seconds=None, paused=True)
    if any(eta is None or eta.seconds is None for eta in known):
        return None
    return Eta(seconds=max(eta.seconds for eta in known))


def processing_seconds() -> float:
    """How long a call and storing its result take, from the latest calls on the ledger."""
    latencies = sorted(
        ApiCall.objects.filter(outcome=ApiCall.Outcome.SUCCESS)
        .order_by("-created_at")
        .values_list("latency_ms", flat=True)[:_MEASURED_CALLS]
    )
    if not latencies:
        return DEFAULT_PROCESSING_SECONDS
    # The call's median, and as long again to scale and store the matte.
    return 2 * latencies[len(latencies) // 2] / 1000
