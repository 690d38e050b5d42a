"""Needs review: a member, or an admin, says a flagged cutout is fine after all."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from cutouts.library.services import image_mark_reviewed
from cutouts.selectors import image_for_user


@require_POST
def image_reviewed(request: HttpRequest, pk: int) -> HttpResponse:
    image = image_for_user(user=request.user, pk=pk)
    if image_mark_reviewed(image=image, by=request.user):
        messages.success(request, f"{image.original_name} is marked reviewed.")
    return redirect("image_detail", pk=image.pk)
