"""Read-only queries: who may see which images, batches and files.

Views look every image, batch, render, export and backdrop up through these,
so the rule (a member's own, or everyone's for admins; 404 for the rest) is
written once.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404

from cutouts.lib.inputs import parse_id
from cutouts.lib.presets import CUTOUT_PRESET
from cutouts.models import (
    ApiToken,
    Backdrop,
    Export,
    Image,
    Matte,
    MatteVersion,
    ProcessingState,
    Render,
    UploadBatch,
    WebhookEvent,
)

# The library's filter of cutouts flagged for a look, beside the status filters.
NEEDS_REVIEW = "needs_review"


def images_visible_to(user: AbstractBaseUser) -> QuerySet[Image]:
    """A member sees their own images; admins see everyone's."""
    images = Image.objects.all()
    if not user.is_staff:
        images = images.filter(owner=user)
    return images


def image_for_user(*, user: AbstractBaseUser, pk: int) -> Image:
    # 404, not 403, for other members' images: their existence is private too.
    return get_object_or_404(images_visible_to(user).select_related("owner"), pk=pk)


def images_in_batch(*, user: AbstractBaseUser, batch_id: int) -> QuerySet[Image]:
    """The batch's images the user may see: none at all for another member's batch."""
    return images_visible_to(user).filter(batch_id=batch_id)


def images_among(*, user: AbstractBaseUser, ids: Iterable[int]) -> QuerySet[Image]:
    """The images among `ids` the user may see; other members' are left out."""
    return images_visible_to(user).filter(pk__in=list(ids))


def own_images(*, user: AbstractBaseUser, status: str = "") -> QuerySet[Image]:
    """The user's own images only, admins too: what a script with their token reaches."""
    images = Image.objects.filter(owner=user).select_related("matte", "submission__render")
    if status:
        images = images.filter(status=status)
    return images.order_by("-created_at", "-pk")


def waiting_counts(*, user: AbstractBaseUser) -> dict[str, int]:
    """How many of the user's images are waiting, by status (every waiting status, 0s included)."""
    waiting = [
        Image.Status.QUEUED,
        Image.Status.PROCESSING,
        Image.Status.WAITING_CREDITS,
        Image.Status.OVER_BUDGET,
    ]
    counts = dict(
        Image.objects.filter(owner=user, status__in=waiting)
        .values_list("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    return {status: counts.get(status, 0) for status in waiting}


def own_image(*, user: AbstractBaseUser, pk: int) -> Image:
    return get_object_or_404(
        Image.objects.select_related("matte", "submission__render"), owner=user, pk=pk
    )


def matte_of(image: Image) -> Matte | None:
    """The image's matte; None until it is processed."""
    return Matte.objects.filter(image=image).first()


def matte_versions_of(image: Image) -> QuerySet[MatteVersion]:
    """The image's kept matte versions, newest first, with who made them."""
    return image.matte_versions.select_related("created_by").order_by("-number")


def matte_version_of(*, image: Image, pk: int) -> MatteVersion:
    """One of the image's versions; 404 for another image's, like a version that does not exist."""
    return get_object_or_404(MatteVersion, image=image, pk=pk)


def library_images(
    *, user: AbstractBaseUser, status: str | None, needs_review: bool = False
) -> QuerySet[Image]:
    images = images_visible_to(user).select_related("owner")
    if status:
        images = images.filter(status=status)
    if needs_review:
        images = images.filter(needs_review=True)
    return images.order_by("-created_at", "-pk")


def library_status_counts(*, user: AbstractBaseUser) -> dict[str, int]:
    """Images per status, with every status present, zero or not, and under
    NEEDS_REVIEW those flagged for a look, in one query."""
    rows = (
        images_visible_to(user)
        .values_list("status")
        .annotate(n=Count("pk"), flagged=Count("pk", filter=Q(needs_review=True)))
        .order_by()
    )
    counts = {status: 0 for status in Image.Status.values} | {NEEDS_REVIEW: 0}
    for status, count, flagged in rows:
        counts[status] = count
        counts[NEEDS_REVIEW] += flagged
    return counts


def batch_for_user(*, user: AbstractBaseUser, pk: str | int) -> UploadBatch:
    """The uploader's own batch: images may only be added to one's own."""
    try:
        return UploadBatch.objects.get(owner=user, pk=_batch_id(pk))
    except UploadBatch.DoesNotExist as error:
        raise Http404("No such upload batch.") from error


def batch_for_viewer(*, user: AbstractBaseUser, pk: str | int) -> UploadBatch:
    """A batch to look at: the uploader's own, or anyone's for admins."""
    batches = UploadBatch.objects.select_related("owner")
    if not user.is_staff:
        batches = batches.filter(owner=user)
    try:
        return batches.get(pk=_batch_id(pk))
    except UploadBatch.DoesNotExist as error:
        raise Http404("No such upload batch.") from error


def _batch_id(pk: str | int) -> int:
    # Posted ids that are not ids name no batch, like another member's.
    batch_id = parse_id(pk)
    if batch_id is None:
        raise Http404("No such upload batch.")
    return batch_id


def batch_images(*, batch: UploadBatch) -> QuerySet[Image]:
    # In upload order, so cards stay put while their statuses change.
    return batch.images.select_related("owner").order_by("created_at", "pk")


@dataclass(frozen=True)
class BatchProgress:
    total: int
    done: int
    failed: int
    waiting_credits: int
    over_budget: int  # waiting for their member's monthly budget
    in_progress: int  # queued or being processed
    needs_review: int  # done, but flagged for a look

    def percent(self, count: int) -> float:
        return round(100 * count / self.total, 2) if self.total else 0.0

    @property
    def done_percent(self) -> float:
        return self.percent(self.done)

    @property
    def failed_percent(self) -> float:
        return self.percent(self.failed)

    @property
    def waiting_percent(self) -> float:
        return self.percent(self.waiting_credits)

    @property
    def over_budget_percent(self) -> float:
        return self.percent(self.over_budget)

    @property
    def in_progress_percent(self) -> float:
        return self.percent(self.in_progress)


def batch_progress(*, batch: UploadBatch) -> BatchProgress:
    counted = (
        batch.images.values_list("status")
        .annotate(n=Count("pk"), flagged=Count("pk", filter=Q(needs_review=True)))
        .order_by()
    )
    rows = {status: count for status, count, _ in counted}
    return BatchProgress(
        needs_review=sum(flagged for _, _, flagged in counted),
        total=sum(rows.values()),
        done=rows.get(Image.Status.DONE, 0),
        failed=rows.get(Image.Status.FAILED, 0),
        waiting_credits=rows.get(Image.Status.WAITING_CREDITS, 0),
        over_budget=rows.get(Image.Status.OVER_BUDGET, 0),
        in_progress=rows.get(Image.Status.QUEUED, 0) + rows.get(Image.Status.PROCESSING, 0),
    )


def with_outputs(images: QuerySet[Image]) -> QuerySet[Image]:
    """Add `cutout_id` (the default cutout render, or None) and `has_matte`, in the same query."""
    cutouts = Render.objects.filter(
        image=OuterRef("pk"), preset=CUTOUT_PRESET, export=None, status=Render.Status.DONE
    ).order_by("-created_at")
    return images.annotate(
        cutout_id=Subquery(cutouts.values("pk")[:1]),
        has_matte=Exists(Matte.objects.filter(image=OuterRef("pk"))),
    )


def image_page_for_user(*, user: AbstractBaseUser, pk: int) -> Image:
    images = with_outputs(images_visible_to(user)).select_related("owner", "batch")
    return get_object_or_404(images, pk=pk)


def image_statuses(*, user: AbstractBaseUser, ids: Iterable[int]) -> QuerySet[Image]:
    """The images among `ids` the user may see, with what a status update shows."""
    return with_outputs(images_among(user=user, ids=ids)).only(
        "pk",
        "status",
        "status_reason",
        "needs_review",
        "review_reasons",
        "thumbnail",
        "preview",
        "cutout_thumbnail",
        "updated_at",
    )


def render_for_user(*, user: AbstractBaseUser, pk: int) -> Render:
    """A finished render of an image the user may see; 404 for anything else."""
    renders = Render.objects.select_related("image").filter(
        image__in=images_visible_to(user), status=Render.Status.DONE
    )
    render = get_object_or_404(renders, pk=pk)
    if not render.file:
        raise Http404("This render has no file.")
    return render


def own_render(*, user: AbstractBaseUser, pk: int) -> Render:
    """A render of the user's own image, finished or not."""
    return get_object_or_404(Render.objects.select_related("image"), image__owner=user, pk=pk)


def export_for_user(*, user: AbstractBaseUser, pk: int) -> Export:
    # Like images: 404 for other members' exports, everyone's for admins.
    exports = Export.objects.all() if user.is_staff else Export.objects.filter(owner=user)
    return get_object_or_404(exports, pk=pk)


def backdrop_for_user(*, user: AbstractBaseUser, pk: int) -> Backdrop:
    # Like images: 404 for other members' backdrops, everyone's for admins.
    backdrops = Backdrop.objects.all() if user.is_staff else Backdrop.objects.filter(owner=user)
    return get_object_or_404(backdrops, pk=pk)


def own_backdrops(*, user: AbstractBaseUser) -> list[Backdrop]:
    """The backgrounds the user uploaded, newest first: the studio offers only one's own."""
    return list(Backdrop.objects.filter(owner=user).order_by("-created_at"))


def token_for_user(*, user: AbstractBaseUser, pk: int) -> ApiToken:
    """A token the user may revoke: their own, or anyone's for admins; 404 for the rest."""
    tokens = ApiToken.objects.select_related("user")
    if not user.is_staff:
        tokens = tokens.filter(user=user)
    return get_object_or_404(tokens, pk=pk)


def own_token(*, user: AbstractBaseUser, pk: int) -> ApiToken:
    """One of the user's own live tokens, admins too: its secrets are for its member only."""
    return get_object_or_404(ApiToken, user=user, pk=pk, revoked_at=None)


def own_webhook_events(
    *, user: AbstractBaseUser, image: Image | None = None
) -> QuerySet[WebhookEvent]:
    """Webhook events of the user's own API submissions, newest first, with their attempts.

    Admins too see only their own: the events show what the member's scripts
    were told, with their receivers' answers.
    """
    events = WebhookEvent.objects.filter(submission__user=user)
    if image is not None:
        events = events.filter(submission__image=image)
    return (
        events.select_related("submission__image")
        .prefetch_related("tries")
        .order_by("-created_at", "-pk")
    )


def own_webhook_event(*, user: AbstractBaseUser, pk: int) -> WebhookEvent:
    """One of the user's own webhook events; 404 for anyone else's, admins' included."""
    return get_object_or_404(
        WebhookEvent.objects.select_related("submission__token"), submission__user=user, pk=pk
    )


def processing_pause_state() -> ProcessingState | None:
    """The processing state while paused; None while processing runs."""
    return ProcessingState.objects.exclude(pause="").first()
