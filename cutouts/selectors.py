"""Read-only queries: who may see which images and batches."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from cutouts.models import Image, UploadBatch


def images_visible_to(user: AbstractBaseUser) -> QuerySet[Image]:
    """A member sees their own images; admins see everyone's."""
    images = Image.objects.all()
    if not user.is_staff:
        images = images.filter(owner=user)
    return images


def image_for_user(*, user: AbstractBaseUser, pk: int) -> Image:
    # 404, not 403, for other members' images: their existence is private too.
    return get_object_or_404(images_visible_to(user).select_related("owner"), pk=pk)


def library_images(*, user: AbstractBaseUser, status: str | None) -> QuerySet[Image]:
    images = images_visible_to(user).select_related("owner")
    if status:
        images = images.filter(status=status)
    return images.order_by("-created_at", "-pk")


def library_status_counts(*, user: AbstractBaseUser) -> dict[str, int]:
    """Images per status, with every status present, zero or not."""
    rows = images_visible_to(user).values_list("status").annotate(n=Count("pk")).order_by()
    return {status: 0 for status in Image.Status.values} | dict(rows)


def batch_for_user(*, user: AbstractBaseUser, pk: str | int) -> UploadBatch:
    """The uploader's own batch: images may only be added to one's own."""
    try:
        return UploadBatch.objects.get(owner=user, pk=int(pk))
    except (UploadBatch.DoesNotExist, ValueError) as error:
        raise Http404("No such upload batch.") from error
