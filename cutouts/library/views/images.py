"""The private library: a member's images (everyone's for admins), and one image's page."""

from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cutouts.library.views.upload import upload_widget_context
from cutouts.models import Image
from cutouts.processing import scheduling
from cutouts.processing.outputs import display_size
from cutouts.selectors import (
    NEEDS_REVIEW,
    image_page_for_user,
    library_images,
    library_status_counts,
    matte_of,
    matte_versions_of,
    own_webhook_events,
)

# Every accepted format but TIFF, which only Safari can show.
BROWSER_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP"}


@dataclass(frozen=True)
class StatusTab:
    status: str
    label: str
    count: int


@require_safe
def library(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in (*Image.Status.values, NEEDS_REVIEW):
        status = ""
    reviewing = status == NEEDS_REVIEW
    images = library_images(
        user=request.user, status=None if reviewing else status or None, needs_review=reviewing
    )
    page = Paginator(images, settings.LIBRARY_PAGE_SIZE).get_page(request.GET.get("page"))
    scheduling.attach_etas(page.object_list)
    counts = library_status_counts(user=request.user)
    tabs = [StatusTab("", "All", sum(counts.values()))] + [
        StatusTab(value, label, counts[value]) for value, label in Image.Status.choices
    ]
    tabs.append(StatusTab(NEEDS_REVIEW, "Needs review", counts[NEEDS_REVIEW]))
    context = {
        "page": page,
        "tabs": tabs,
        "status": status,
        "failed_count": counts[Image.Status.FAILED],
        **upload_widget_context(),
    }
    return render(request, "cutouts/library.html", context)


@require_safe
def image_detail(request: HttpRequest, pk: int) -> HttpResponse:
    image = image_page_for_user(user=request.user, pk=pk)
    scheduling.attach_etas([image])
    matte = matte_of(image)
    context = {
        "image": image,
        "shows_original": image.format in BROWSER_FORMATS,
        "matte": matte,
        "versions": matte_versions_of(image) if matte else [],
        "display_width": display_size(matte.width, matte.height)[0] if matte else 0,
        # The viewer's own only: an admin looking at a member's image sees not their webhooks.
        "webhook_events": own_webhook_events(user=request.user, image=image),
    }
    return render(request, "cutouts/image_detail.html", context)
