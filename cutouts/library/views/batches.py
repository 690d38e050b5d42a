"""One upload batch: how far its processing has got, and its images."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cutouts.processing import scheduling
from cutouts.selectors import batch_for_viewer, batch_images, batch_progress


@require_safe
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = batch_for_viewer(user=request.user, pk=pk)
    page = Paginator(batch_images(batch=batch), settings.LIBRARY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    line = scheduling.Line()
    scheduling.attach_etas(page.object_list, line)
    context = {
        "batch": batch,
        "page": page,
        "progress": batch_progress(batch=batch),
        "eta": scheduling.batch_eta(batch.pk, line),
    }
    return render(request, "cutouts/batch_detail.html", context)
