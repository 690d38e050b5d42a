"""Cutouts' own JSON API under /api/cutouts/v1/, for integrations, with the same tokens.

A token sees its member's own images only, admins' tokens included: a script
can never reach another member's pictures, whoever made the token.
"""

from typing import Any

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.urls import reverse

from cutouts.lib.filenames import safe_file_name
from cutouts.lib.inputs import InputError, parse_json
from cutouts.lib.render_spec import SpecError
from cutouts.models import Image, Render
from cutouts.processing import scheduling
from cutouts.processing.uploads import CONTENT_TYPES
from cutouts.selectors import matte_of, own_image, own_images, own_render
from cutouts.studio import services as studio
from cutouts.teamapi.services import ApiError
from cutouts.teamapi.views.api import api_endpoint

# A render's body names a preset; anything far larger or deeper is not one.
JSON_MAX_LENGTH = 10_000
JSON_MAX_DEPTH = 4
EXAMPLE_BODY = '{"preset": "amazon-main"}'


@api_endpoint("GET", "HEAD")
def image_list(request: HttpRequest) -> JsonResponse:
    status = request.GET.get("status", "")
    if status and status not in Image.Status.values:
        raise ApiError(400, f"status must be one of: {', '.join(Image.Status.values)}.")
    images = own_images(user=request.user, status=status)
    paginator = Paginator(images, settings.LIBRARY_PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except InvalidPage:
        raise ApiError(404, "Invalid page.") from None
    scheduling.attach_etas(page.object_list)
    return JsonResponse(
        {
            "count": paginator.count,
            "page": page.number,
            "pages": paginator.num_pages,
            "next": _page_url(request, page.next_page_number()) if page.has_next() else None,
            "previous": (
                _page_url(request, page.previous_page_number()) if page.has_previous() else None
            ),
            "results": [_image_json(request, image) for image in page],
        }
    )


@api_endpoint("GET", "HEAD")
def image_detail(request: HttpRequest, pk: int) -> JsonResponse:
    image = own_image(user=request.user, pk=pk)
    scheduling.attach_etas([image])
    renders = studio.renders_for_image(image)
    return JsonResponse(
        {
            **_image_json(request, image),
            "renders": [_render_json(request, render) for render in renders],
        }
    )


@api_endpoint("GET", "HEAD")
def image_original(request: HttpRequest, pk: int) -> FileResponse:
    image = own_image(user=request.user, pk=pk)
    content_type = CONTENT_TYPES.get(image.format, "application/octet-stream")
    filename = safe_file_name(image.original_name, fallback=f"image-{image.pk}")
    return _download(image.original, content_type=content_type, filename=filename)


@api_endpoint("GET", "HEAD")
def image_matte(request: HttpRequest, pk: int) -> FileResponse:
    image = own_image(user=request.user, pk=pk)
    matte = matte_of(image)
    if matte is None:
        raise Http404("This image has no matte yet.")
    return _download(matte.file, content_type="image/png", filename=f"{image.stem}-matte.png")


@api_endpoint("POST")
def render_create(request: HttpRequest, pk: int) -> JsonResponse:
    image = own_image(user=request.user, pk=pk)
    body = _json_object(request)
    preset = body.get("preset")
    if not isinstance(preset, str) or not preset:
        raise ApiError(400, 'Name a preset: {"preset": "<slug>"} (see /presets).')
    try:
        render = studio.render_create(image=image, spec_or_preset=preset, user=request.user)
    except studio.RenderLimitReached as error:
        raise ApiError(429, str(error)) from error
    except (studio.StudioError, SpecError) as error:
        raise ApiError(400, str(error)) from error
    response = JsonResponse(_render_json(request, render), status=202)
    response["Location"] = request.build_absolute_uri(reverse("api_render", args=[render.pk]))
    return response


@api_endpoint("GET", "HEAD")
def render_detail(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(_render_json(request, own_render(user=request.user, pk=pk)))


@api_endpoint("GET", "HEAD")
def render_file(request: HttpRequest, pk: int) -> FileResponse:
    render = own_render(user=request.user, pk=pk)
    if render.status != Render.Status.DONE or not render.file:
        raise ApiError(404, "This render has no file yet: see its status.")
    return _download(
        render.file,
        content_type=CONTENT_TYPES.get(render.format, "application/octet-stream"),
        filename=render.download_name,
    )


@api_endpoint("GET", "HEAD")
def preset_list(request: HttpRequest) -> JsonResponse:
    presets = [
        {"slug": preset.slug, "name": preset.name, "builtin": preset.builtin}
        for preset in studio.preset_list()
    ]
    return JsonResponse({"results": presets})


def _json_object(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object body ({} when empty); ApiError 400 for anything else.

    Read from the stream with a bound, not request.body: a body over Django's
    own limit would raise there, and this limit is far smaller.
    """
    data = request.read(JSON_MAX_LENGTH + 1)
    try:
        body = parse_json(data or b"{}", max_length=JSON_MAX_LENGTH, max_depth=JSON_MAX_DEPTH)
    except InputError as error:
        raise ApiError(400, f"{error} Send a JSON object, like {EXAMPLE_BODY}.") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"The body must be a JSON object, like {EXAMPLE_BODY}.")
    return body


def _page_url(request: HttpRequest, number: int) -> str:
    query = request.GET.copy()
    query["page"] = str(number)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def _image_json(request: HttpRequest, image: Image) -> dict[str, Any]:
    """An image's JSON; `eta` must have been set (scheduling.attach_etas)."""
    done = image.status == Image.Status.DONE
    return {
        "id": image.pk,
        "name": image.original_name,
        "status": image.status,
        "status_reason": image.status_reason,
        # While it waits: seconds until it is expected done, null when paused.
        "eta_seconds": image.eta.seconds if image.eta else None,
        "eta": image.eta.text if image.eta else "",
        "format": image.format,
        "width": image.width,
        "height": image.height,
        "byte_size": image.byte_size,
        "sha256": image.sha256,
        "created_at": image.created_at.isoformat(),
        "updated_at": image.updated_at.isoformat(),
        "url": _absolute(request, "api_image", image.pk),
        "original_url": _absolute(request, "api_image_original", image.pk),
        "matte_url": _absolute(request, "api_image_matte", image.pk) if done else None,
    }


def _render_json(request: HttpRequest, render: Render) -> dict[str, Any]:
    done = render.status == Render.Status.DONE and bool(render.file)
    return {
        "id": render.pk,
        "image": render.image_id,
        "preset": render.preset,
        "status": render.status,
        "error": render.error,
        "format": render.format,
        "width": render.width,
        "height": render.height,
        "byte_size": render.byte_size,
        "created_at": render.created_at.isoformat(),
        "url": _absolute(request, "api_render", render.pk),
        "file_url": _absolute(request, "api_render_file", render.pk) if done else None,
    }


def _absolute(request: HttpRequest, name: str, pk: int) -> str:
    return request.build_absolute_uri(reverse(name, args=[pk]))


def _download(stored: FieldFile, *, content_type: str, filename: str) -> FileResponse:
    try:
        handle = stored.storage.open(stored.name, "rb")
    except FileNotFoundError as error:
        raise ApiError(404, "The stored file is missing.") from error
    return FileResponse(handle, content_type=content_type, as_attachment=True, filename=filename)
