"""Upload in the browser: the upload page, and the endpoints its script posts to.

upload.js makes one batch per drop, then posts each file on its own so each
gets its own progress bar; without JavaScript the form posts every file at once.
"""

import re

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from cutouts.lib.inputs import InputError, parse_id, parse_json
from cutouts.models import Image, UploadBatch
from cutouts.processing import budgets, scheduling
from cutouts.processing.middleware import upload_body_limit
from cutouts.processing.uploads import (
    ACCEPTED_LIST,
    CONTENT_TYPES,
    UploadBusy,
    UploadRejected,
    batch_start,
    format_bytes,
    image_upload,
)
from cutouts.selectors import batch_for_user

# The form without JavaScript posts every file at once; room for this many at the limit.
FORM_MAX_FILES = 10
# Seconds the page's script waits before sending a file again when every decoding slot was taken.
BUSY_RETRY_AFTER = 3
# A drop's estimate: digests of at most this many files (a 64-character digest each).
ESTIMATE_MAX_FILES = 2000
ESTIMATE_MAX_BYTES = ESTIMATE_MAX_FILES * 70 + 100
SHA256 = re.compile(r"[0-9a-f]{64}")


def upload_widget_context() -> dict[str, object]:
    return {
        "upload_max_bytes": settings.UPLOAD_MAX_BYTES,
        "upload_max_size": format_bytes(settings.UPLOAD_MAX_BYTES),
        "upload_accept": ",".join(CONTENT_TYPES.values()),
        "upload_formats": ACCEPTED_LIST,
    }


@upload_body_limit(files=1, form_files=FORM_MAX_FILES)
@require_http_methods(["GET", "HEAD", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        budget = budgets.budget_use(user=request.user)
        return render(request, "cutouts/upload.html", {**upload_widget_context(), "budget": budget})
    files = request.FILES.getlist("files")
    if request.get_preferred_type(["text/html", "application/json"]) == "application/json":
        return _upload_one_for_script(request, files)
    return _upload_from_form(request, files)


@require_POST
def upload_batch(request: HttpRequest) -> JsonResponse:
    batch = batch_start(owner=request.user)
    return JsonResponse(
        {"batch": batch.pk, "url": reverse("batch_detail", args=[batch.pk])}, status=201
    )


def _upload_one_for_script(request: HttpRequest, files: list[UploadedFile]) -> JsonResponse:
    if len(files) != 1:
        return JsonResponse({"error": "Send exactly one file per request."}, status=400)
    uploaded_file = files[0]
    try:
        batch = _batch_for_request(request)
    except Http404:
        return JsonResponse(
            {"error": "This upload batch does not exist.", "name": uploaded_file.name}, status=404
        )
    try:
        image = image_upload(owner=request.user, batch=batch, uploaded_file=uploaded_file)
    except UploadBusy as busy:
        response = JsonResponse({"error": busy.message, "name": uploaded_file.name}, status=503)
        response["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response
    except UploadRejected as rejection:
        return JsonResponse({"error": rejection.message, "name": uploaded_file.name}, status=400)
    return JsonResponse({"image": _image_json(image)}, status=201)


def _upload_from_form(request: HttpRequest, files: list[UploadedFile]) -> HttpResponse:
    if not files:
        messages.error(request, "Choose at least one image to upload.")
        return redirect("upload")
    batch = _batch_for_request(request)
    accepted = 0
    for uploaded_file in files:
        try:
            image_upload(owner=request.user, batch=batch, uploaded_file=uploaded_file)
        except UploadRejected as rejection:
            messages.error(request, f"{uploaded_file.name}: {rejection.message}")
        else:
            accepted += 1
    if accepted:
        noun = "image" if accepted == 1 else "images"
        messages.success(request, f"Uploaded {accepted} {noun}.")
    return redirect("library")


@require_POST
def upload_estimate(request: HttpRequest) -> JsonResponse:
    """What the files about to be sent will cost, by their SHA-256 digests, and when done."""
    try:
        body = parse_json(request.body, max_length=ESTIMATE_MAX_BYTES, max_depth=2)
        digests, batch_id = body["sha256"], parse_id(body.get("batch"))
    except (InputError, KeyError, TypeError, AttributeError):
        digests, batch_id = None, None
    if (
        not isinstance(digests, list)
        or len(digests) > ESTIMATE_MAX_FILES
        or not all(isinstance(digest, str) and SHA256.fullmatch(digest) for digest in digests)
    ):
        return JsonResponse(
            {"error": f'Send {{"sha256": [...]}}: at most {ESTIMATE_MAX_FILES} hex digests.'},
            status=400,
        )
    # The drop's own batch, as far as it is uploaded already, is not a repeat.
    batch = batch_for_user(user=request.user, pk=batch_id) if batch_id else None
    estimate = scheduling.upload_estimate(sha256s=digests, owner=request.user, batch=batch)
    return JsonResponse(
        {
            "files": estimate.files,
            "charged": estimate.charged,
            "repeats": estimate.repeats,
            "credit": estimate.credit,
            "over_budget": estimate.over_budget,
            "eta_seconds": estimate.eta.seconds,
            "text": estimate.text,
        }
    )


def _batch_for_request(request: HttpRequest) -> UploadBatch:
    # Without a batch id, this request is a drop of its own.
    batch_id = request.POST.get("batch")
    if not batch_id:
        return batch_start(owner=request.user)
    return batch_for_user(user=request.user, pk=batch_id)


def _image_json(image: Image) -> dict[str, object]:
    scheduling.attach_etas([image])
    return {
        "id": image.pk,
        "name": image.original_name,
        "status": image.status,
        "status_label": image.get_status_display(),
        # As the upload left it: "processing will start shortly" when Redis was away.
        "status_reason": image.status_reason,
        "eta": image.eta.text if image.eta else "",
        "url": reverse("image_detail", args=[image.pk]),
        "thumbnail_url": reverse("image_thumbnail", args=[image.pk]),
    }
