"""Live statuses: what static/cutouts/live-status.js polls while images are being processed."""

from dataclasses import asdict

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from cutouts.lib.inputs import parse_id, parse_ids
from cutouts.models import Image
from cutouts.processing import scheduling
from cutouts.selectors import batch_for_viewer, batch_progress, image_statuses

# A page shows at most LIBRARY_PAGE_SIZE images; this only bounds the query.
MAX_IDS = 200


@never_cache
@require_safe
def image_status_list(request: HttpRequest) -> JsonResponse:
    parts = [part for part in request.GET.get("ids", "").split(",") if part]
    batch = request.GET.get("batch", "")
    if any(parse_id(part) is None for part in [*parts, *filter(None, [batch])]):
        return JsonResponse({"error": "ids and batch must be image and batch ids."}, status=400)
    ids = set(parse_ids(parts))
    batch_id = parse_id(batch)
    if len(ids) > MAX_IDS:
        return JsonResponse({"error": f"Ask for at most {MAX_IDS} images."}, status=400)
    images = list(image_statuses(user=request.user, ids=ids)) if ids else []
    line = scheduling.Line()
    scheduling.attach_etas(images, line)
    body: dict[str, object] = {"images": [_image_status(image) for image in images]}
    if batch_id:
        batch = batch_for_viewer(user=request.user, pk=batch_id)
        eta = scheduling.batch_eta(batch.pk, line)
        body["batch"] = {
            "id": batch.pk,
            **asdict(batch_progress(batch=batch)),
            "eta": eta.text if eta else "",
        }
    return JsonResponse(body)


def _image_status(image: Image) -> dict[str, object]:
    status = {
        "id": image.pk,
        "status": image.status,
        "label": image.get_status_display(),
        "reason": image.status_reason,
        "needs_review": image.needs_review,
        "review_reasons": image.review_reasons,
        "eta": image.eta.text if image.eta else "",
        "thumbnail_url": reverse("image_thumbnail", args=[image.pk]) if image.thumbnail else None,
        "preview_url": None,
        "cutout_thumbnail_url": None,
        "cutout_url": None,
        "matte_url": None,
    }
    # Outputs only once done: an image queued again may still have old ones.
    if image.status == Image.Status.DONE:
        if image.preview:
            status["preview_url"] = reverse("image_preview", args=[image.pk])
        if image.cutout_thumbnail:
            status["cutout_thumbnail_url"] = reverse("image_cutout_thumbnail", args=[image.pk])
        if image.cutout_id:
            status["cutout_url"] = reverse("render_download", args=[image.cutout_id])
        if image.has_matte:
            status["matte_url"] = reverse("image_matte", args=[image.pk])
    return status
