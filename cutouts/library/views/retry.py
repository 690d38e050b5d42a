"""Admins retry failed images: one from its page, or all of them (in a batch, or everywhere)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from cutouts.accounts.views import staff_required
from cutouts.processing import retrying
from cutouts.selectors import (
    batch_for_viewer,
    image_for_user,
    images_in_batch,
    images_visible_to,
)


@staff_required
@require_POST
def image_retry(request: HttpRequest, pk: int) -> HttpResponse:
    image = image_for_user(user=request.user, pk=pk)
    if retrying.image_retry(image=image):
        messages.success(request, f"{image.original_name} is queued again.")
    else:
        messages.info(request, f"{image.original_name} has not failed: there is nothing to retry.")
    return redirect(_back(request, reverse("image_detail", args=[image.pk])))


@staff_required
@require_POST
def images_retry_failed(request: HttpRequest) -> HttpResponse:
    images = images_visible_to(request.user)
    batch_id = request.POST.get("batch")
    if batch_id:
        batch = batch_for_viewer(user=request.user, pk=batch_id)
        images = images_in_batch(user=request.user, batch_id=batch.pk)
        back = reverse("batch_detail", args=[batch.pk])
    else:
        back = reverse("library") + "?status=failed"
    count = retrying.images_retry_failed(images_qs=images)
    if count:
        noun = "image is" if count == 1 else "images are"
        messages.success(request, f"{count} failed {noun} queued again.")
    else:
        messages.info(request, "There are no failed images to retry.")
    return redirect(_back(request, back))


def _back(request: HttpRequest, default: str) -> str:
    """Where the form asked to return (the dashboard, say), if it is a page of ours."""
    wanted = request.POST.get("next", "")
    # A path, never a bare word: redirect() would look "[]" up as a URL name and fail.
    is_path = wanted.startswith("/")
    if is_path and url_has_allowed_host_and_scheme(
        wanted, {request.get_host()}, request.is_secure()
    ):
        return wanted
    return default
