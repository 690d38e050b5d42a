"""Cutouts' own JSON API under /api/cutouts/v1/, for integrations, with the same tokens.

A token sees its member's own images only, admins' tokens included: a script
can never reach another member's pictures, whoever made the token.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, JsonResponse
from django.urls import reverse

from cutouts.lib.filenames import safe_file_name
from cutouts.lib.inputs import InputError, parse_json
from cutouts.lib.render_spec import SpecError
from cutouts.lib.withoutbg.contract import Refusal, image_from_payload, json_object_body
from cutouts.models import Image, Render
from cutouts.processing import scheduling
from cutouts.processing.budgets import budget_use
from cutouts.processing.uploads import CONTENT_TYPES
from cutouts.selectors import matte_of, own_image, own_images, own_render, waiting_counts
from cutouts.studio import services as studio
from cutouts.teamapi.representations import image_json, render_json
from cutouts.teamapi.services import ApiError, image_submit
from cutouts.teamapi.views.api import api_endpoint, multipart_image, refuse_far_too_large

# A render's body names a preset; anything far larger or deeper is not one.
JSON_MAX_LENGTH = 10_000
JSON_MAX_DEPTH = 4
EXAMPLE_BODY = '{"preset": "amazon-main"}'
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH = 255
TEXT_MAX_LENGTH = 4000  # far above any name, preset or webhook URL that can be accepted
SUBMIT_FORMS = (
    "Send the image as multipart/form-data (a `file` field) or as JSON "
    '({"image_base64": "..."}), with optional `preset` and `webhook_url`.'
)


@api_endpoint("GET", "HEAD", "POST")
def image_list(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        return _image_submit(request)
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
            "results": [image_json(image, base_url=_origin(request)) for image in page],
        }
    )


def _image_submit(request: HttpRequest) -> JsonResponse:
    """POST /images: queue an image and answer 202 at once, with where to follow it."""
    key = _idempotency_key(request)
    if request.content_type == "application/json":
        refuse_far_too_large(request)
        try:
            body = json_object_body(request.read())
            data = image_from_payload(body)
        except Refusal as refusal:
            raise ApiError(refusal.status, refusal.detail) from None
        fields, name = body, _text(body, "name") or None
    elif request.content_type == "multipart/form-data":
        data, name = multipart_image(request)
        fields = request.POST
    else:
        raise ApiError(415, SUBMIT_FORMS)
    submitted = image_submit(
        token=request.api_token,
        data=data,
        name=name,
        preset=_text(fields, "preset"),
        webhook_url=_text(fields, "webhook_url"),
        idempotency_key=key,
    )
    scheduling.attach_etas([submitted.image])
    response = JsonResponse(image_json(submitted.image, base_url=_origin(request)), status=202)
    response["Location"] = reverse("api_image", args=[submitted.image.pk])
    if submitted.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _idempotency_key(request: HttpRequest) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not key.isprintable() or not key.isascii():
        raise ApiError(
            400,
            f"{IDEMPOTENCY_HEADER} must be at most {IDEMPOTENCY_KEY_MAX_LENGTH} printable "
            "ASCII characters, such as a UUID.",
        )
    return key.strip()


def _text(fields: Mapping[str, Any], name: str) -> str:
    """An optional text field; what it may hold is checked where it is used."""
    value = fields.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(400, f"{name} must be a string.")
    if len(value) > TEXT_MAX_LENGTH:
        raise ApiError(400, f"{name} is too long: at most {TEXT_MAX_LENGTH} characters.")
    return value.strip()


@api_endpoint("GET", "HEAD")
def image_detail(request: HttpRequest, pk: int) -> JsonResponse:
    image = own_image(user=request.user, pk=pk)
    scheduling.attach_etas([image])
    renders = studio.renders_for_image(image)
    return JsonResponse(
        {
            **image_json(image, base_url=_origin(request)),
            "renders": [render_json(render, base_url=_origin(request)) for render in renders],
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
    response = JsonResponse(render_json(render, base_url=_origin(request)), status=202)
    response["Location"] = request.build_absolute_uri(reverse("api_render", args=[render.pk]))
    return response


@api_endpoint("GET", "HEAD")
def render_detail(request: HttpRequest, pk: int) -> JsonResponse:
    render = own_render(user=request.user, pk=pk)
    return JsonResponse(render_json(render, base_url=_origin(request)))


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
def me(request: HttpRequest) -> JsonResponse:
    """Who the token is, and the member's credit budget this month."""
    use = budget_use(user=request.user)
    token = request.api_token
    return JsonResponse(
        {
            "username": request.user.get_username(),
            "token": {"name": token.name, "prefix": f"cut_{token.prefix}"},
            "budget": {
                "monthly_credits": use.monthly_credits,  # null: no limit
                "used": use.used,
                "left": use.left,
                "resets_at": use.resets_at.isoformat(),
                "source": use.source,
            },
            "images": waiting_counts(user=request.user),
        }
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


def _origin(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _download(stored: FieldFile, *, content_type: str, filename: str) -> FileResponse:
    try:
        handle = stored.storage.open(stored.name, "rb")
    except FileNotFoundError as error:
        raise ApiError(404, "The stored file is missing.") from error
    return FileResponse(handle, content_type=content_type, as_attachment=True, filename=filename)
