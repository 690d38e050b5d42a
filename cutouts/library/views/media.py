"""Originals, thumbnails, previews, mattes and renders, served only to their owner and to admins.

There is no public /media/ URL: every file leaves through these views, which
look the image up among those the user may see.
"""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from cutouts.lib.filenames import safe_file_name
from cutouts.processing.uploads import CONTENT_TYPES
from cutouts.selectors import image_for_user, matte_of, render_for_user

# A stored file never changes under its image id, but access can be revoked:
# let the member's own browser keep it for a while, and no shared cache ever.
MEDIA_MAX_AGE = 3600


@require_safe
def image_original(request: HttpRequest, pk: int) -> FileResponse:
    image = image_for_user(user=request.user, pk=pk)
    return _private_file(
        image.original,
        content_type=CONTENT_TYPES.get(image.format, "application/octet-stream"),
        filename=safe_file_name(image.original_name, fallback=f"image-{image.pk}"),
        as_attachment=request.GET.get("download") == "1",
    )


@require_safe
def image_thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    return _inline_webp(request, pk, "thumbnail", "thumbnail")


@require_safe
def image_cutout_thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    return _inline_webp(request, pk, "cutout_thumbnail", "cutout thumbnail")


@require_safe
def image_preview(request: HttpRequest, pk: int) -> FileResponse:
    return _inline_webp(request, pk, "preview", "preview")


def _inline_webp(request: HttpRequest, pk: int, field: str, label: str) -> FileResponse:
    """One of the WebP pictures made for an image, shown in the page."""
    image = image_for_user(user=request.user, pk=pk)
    picture = getattr(image, field)
    if not picture:
        raise Http404(f"This image has no {label} yet.")
    return _private_file(
        picture,
        content_type=CONTENT_TYPES["WEBP"],
        filename=f"{image.stem}-{label.replace(' ', '-')}.webp",
        as_attachment=False,
    )


@require_safe
def image_matte(request: HttpRequest, pk: int) -> FileResponse:
    image = image_for_user(user=request.user, pk=pk)
    matte = matte_of(image)
    if matte is None:
        raise Http404("This image has no matte yet.")
    return _private_file(
        matte.file,
        content_type=CONTENT_TYPES["PNG"],
        filename=f"{image.stem}-matte.png",
        as_attachment=True,
    )


@require_safe
def render_download(request: HttpRequest, pk: int) -> FileResponse:
    render = render_for_user(user=request.user, pk=pk)
    return _private_file(
        render.file,
        content_type=CONTENT_TYPES.get(render.format, "application/octet-stream"),
        filename=render.download_name,
        as_attachment=True,
    )


def _private_file(
    stored: FieldFile, *, content_type: str, filename: str, as_attachment: bool
) -> FileResponse:
    try:
        handle = stored.storage.open(stored.name, "rb")
    except FileNotFoundError as error:
        raise Http404("The stored file is missing.") from error
    response = FileResponse(
        handle, content_type=content_type, as_attachment=as_attachment, filename=filename
    )
    patch_cache_control(response, private=True, max_age=MEDIA_MAX_AGE)
    return response
