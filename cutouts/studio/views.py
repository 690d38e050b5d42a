"""The studio: live preview of one image, full-size renders, batch exports, presets.

The preview is composited in the browser (static/cutouts/studio.js) from the
display-size original and matte served here; only "Save" reaches the server,
and nothing here calls the matting API.
"""

import json

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cutouts.accounts.views import staff_required
from cutouts.lib.inputs import parse_id, parse_ids
from cutouts.lib.render_spec import RenderSpec, SpecError, spec_from_json
from cutouts.library.views.media import MEDIA_MAX_AGE
from cutouts.models import Backdrop, Export, Image, Matte, Render
from cutouts.processing.middleware import upload_body_limit
from cutouts.processing.uploads import UploadBusy, UploadRejected
from cutouts.selectors import (
    backdrop_for_user,
    export_for_user,
    image_for_user,
    images_among,
    images_in_batch,
    matte_of,
    own_backdrops,
)
from cutouts.studio import services as studio
from cutouts.studio.forms import PresetForm
from cutouts.studio.services import StudioError

# Offered in the studio; a team preset may use any other (cutouts.lib.render_spec checks).
ASPECTS = ["1:1", "4:5", "3:4", "2:3", "4:3", "3:2", "16:9", "9:16"]


def _wants_json(request: HttpRequest) -> bool:
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def _private_bytes(data: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    patch_cache_control(response, private=True, max_age=MEDIA_MAX_AGE)
    return response


def _matte_for(image: Image) -> Matte:
    matte = matte_of(image)
    if matte is None:
        raise Http404("This image is not processed yet.")
    return matte


@require_safe
def studio_page(request: HttpRequest, pk: int) -> HttpResponse:
    image = image_for_user(user=request.user, pk=pk)
    matte = matte_of(image)
    if matte is None:
        return render(request, "cutouts/studio_unavailable.html", {"image": image})
    presets = studio.preset_list()
    backdrops = own_backdrops(user=request.user)
    context = {
        "image": image,
        "matte": matte,
        "presets": presets,
        "renders": studio.renders_for_image(image),
        "backdrops": backdrops,
        "aspects": ASPECTS,
        "studio_data": _preview_data(matte, presets, backdrops),
    }
    return render(request, "cutouts/studio.html", context)


def _preview_data(
    matte: Matte, presets: list[studio.PresetChoice], backdrops: list[Backdrop]
) -> dict[str, object]:
    """What studio.js needs to composite the preview, as JSON."""
    display_width, display_height = studio.display_size(matte.width, matte.height)
    return {
        "width": matte.width,
        "height": matte.height,
        "displayWidth": display_width,
        "displayHeight": display_height,
        "defaultSpec": RenderSpec().to_json(),
        "presets": {preset.slug: preset.spec for preset in presets},
        "backdrops": {
            backdrop.pk: reverse("backdrop_picture", args=[backdrop.pk]) for backdrop in backdrops
        },
    }


@require_safe
def studio_original(request: HttpRequest, pk: int) -> HttpResponse:
    image = image_for_user(user=request.user, pk=pk)
    return _private_bytes(studio.display_original(image), "image/jpeg")


@require_safe
def studio_matte(request: HttpRequest, pk: int) -> HttpResponse:
    image = image_for_user(user=request.user, pk=pk)
    return _private_bytes(studio.display_matte(_matte_for(image)), "image/png")


@require_http_methods(["GET", "HEAD", "POST"])
def image_renders(request: HttpRequest, pk: int) -> HttpResponse:
    """The studio's render list (GET, which studio.js polls), or a new render (POST)."""
    image = image_for_user(user=request.user, pk=pk)
    if request.method == "POST":
        return _render_save(request, image)
    renders = studio.renders_for_image(image)
    return render(request, "cutouts/partials/render_list.html", {"renders": renders})


def _render_save(request: HttpRequest, image: Image) -> HttpResponse:
    try:
        made = studio.render_create(
            image=image, spec_or_preset=_posted_spec(request), user=request.user
        )
    except (StudioError, SpecError) as error:
        if _wants_json(request):
            status = 429 if isinstance(error, studio.RenderLimitReached) else 400
            return JsonResponse({"error": str(error)}, status=status)
        messages.error(request, str(error))
        return redirect("studio", pk=image.pk)
    if _wants_json(request):
        return JsonResponse({"render": {"id": made.pk, "status": made.status}}, status=201)
    messages.success(request, "Rendering at full size: it will be in the list below shortly.")
    return redirect("studio", pk=image.pk)


def _posted_spec(request: HttpRequest) -> str | RenderSpec:
    # A preset's slug when the member saved a preset untouched, else the controls' spec.
    if request.POST.get("preset"):
        return request.POST["preset"]
    if not request.POST.get("spec", "").strip():
        raise StudioError("Choose a preset or settings to save.")
    return spec_from_json(request.POST["spec"])


@upload_body_limit(files=1)
@require_POST
def backdrop_upload(request: HttpRequest) -> HttpResponse:
    uploaded_file = request.FILES.get("file")
    # Where to go back to: the studio of the image it was added from, if any.
    image_id = parse_id(request.POST.get("image", ""))
    try:
        if uploaded_file is None:
            raise UploadRejected("Choose a picture to upload.")
        backdrop = studio.backdrop_upload(owner=request.user, uploaded_file=uploaded_file)
    except UploadRejected as rejection:
        if _wants_json(request):
            status = 503 if isinstance(rejection, UploadBusy) else 400
            return JsonResponse({"error": rejection.message}, status=status)
        messages.error(request, rejection.message)
    else:
        if _wants_json(request):
            url = reverse("backdrop_picture", args=[backdrop.pk])
            body = {"id": backdrop.pk, "name": backdrop.original_name, "url": url}
            return JsonResponse({"backdrop": body}, status=201)
        messages.success(request, f"Added {backdrop.original_name} to your backgrounds.")
    return redirect("studio", pk=image_id) if image_id else redirect("library")


@require_safe
def backdrop_picture(request: HttpRequest, pk: int) -> HttpResponse:
    backdrop = backdrop_for_user(user=request.user, pk=pk)
    return _private_bytes(studio.display_backdrop(backdrop), "image/jpeg")


@require_POST
def export_start(request: HttpRequest) -> HttpResponse:
    """Apply a preset to the images ticked in the library, or to a whole upload batch."""
    if "batch" in request.POST:
        # Not an id names no batch, like another member's: 404 either way.
        batch_id = parse_id(request.POST["batch"])
        if batch_id is None:
            raise Http404("No such upload batch.")
        images = images_in_batch(user=request.user, batch_id=batch_id)
        back = reverse("batch_detail", args=[batch_id])
    else:
        # A filter: what is not an image id ticks no image.
        ids = parse_ids(request.POST.getlist("images"))
        if not ids:
            messages.error(request, "Tick at least one image to export.")
            return redirect("library")
        images = images_among(user=request.user, ids=ids)
        back = reverse("library")
    if not images.exists():
        # Other members' images and batches are private: as if they did not exist.
        raise Http404("No such images.")
    flagged = images.filter(needs_review=True, status=Image.Status.DONE)
    review = request.POST.get("review", "")
    if review == "leave-out":
        images = images.exclude(pk__in=flagged.values("pk"))
        if not images.exists():
            messages.error(request, "Every image chosen needs review: there is nothing to export.")
            return redirect(back)
    elif review != "include" and flagged.exists():
        # Asked first: a doubtful cutout should not reach a marketplace unseen.
        resend = [
            (name, value)
            for name in ("batch", "images", "preset")
            for value in request.POST.getlist(name)
        ]
        context = {"flagged": flagged, "back": back, "resend": resend}
        return render(request, "cutouts/export_review.html", context)
    try:
        created = studio.export_create(
            user=request.user, images=images, preset=request.POST.get("preset", "")
        )
    except (StudioError, SpecError) as error:
        messages.error(request, str(error))
        return redirect(back)
    if created.skipped:
        noun = "image is" if created.skipped == 1 else "images are"
        messages.warning(
            request, f"{created.skipped} {noun} not processed yet and will not be in the ZIP."
        )
    return redirect("export_detail", pk=created.export.pk)


@require_safe
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    export = export_for_user(user=request.user, pk=pk)
    failed = export.renders.filter(status=Render.Status.FAILED).select_related("image")
    context = {
        "export": export,
        "progress": studio.export_progress(export),
        "failed": failed.order_by("pk"),
        "checks": studio.export_checks(export),
    }
    return render(request, "cutouts/export_detail.html", context)


@require_safe
def export_status(request: HttpRequest, pk: int) -> JsonResponse:
    export = export_for_user(user=request.user, pk=pk)
    progress = studio.export_progress(export)
    return JsonResponse(
        {
            "status": export.status,
            "total": progress.total,
            "done": progress.done,
            "failed": progress.failed,
            "percent": progress.percent,
        }
    )


@require_safe
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    export = export_for_user(user=request.user, pk=pk)
    if export.status != Export.Status.DONE or not export.archive:
        raise Http404("This export has no ZIP yet.")
    try:
        handle = export.archive.open("rb")
    except FileNotFoundError as error:
        raise Http404("The ZIP is missing.") from error
    response = FileResponse(
        handle,
        content_type="application/zip",
        as_attachment=True,
        filename=studio.export_file_name(export),
    )
    patch_cache_control(response, private=True, max_age=MEDIA_MAX_AGE)
    return response


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def preset_list(request: HttpRequest) -> HttpResponse:
    defaults = json.dumps(RenderSpec().to_json(), indent=2)
    form = PresetForm(request.POST or None, initial={"spec": defaults})
    if form.is_valid():
        try:
            preset = studio.preset_create(
                name=form.cleaned_data["name"],
                spec=form.cleaned_data["spec"],
                created_by=request.user,
            )
        except SpecError as error:
            form.add_error("spec", str(error))
        except StudioError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, f"Added the team preset “{preset.name}”.")
            return redirect("preset_list")
    return render(request, "cutouts/presets.html", {"form": form, "presets": studio.preset_list()})


@staff_required
@require_POST
def preset_delete(request: HttpRequest, slug: str) -> HttpResponse:
    if not studio.preset_delete(slug=slug):
        raise Http404("No such team preset.")
    messages.success(request, "Preset deleted. Renders made with it are kept.")
    return redirect("preset_list")
