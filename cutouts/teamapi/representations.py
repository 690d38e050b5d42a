"""The JSON of an image and a render, as the team API and its webhooks give them.

URLs are absolute: a view passes its request's origin, a webhook the site's
(settings.SITE_URL), so a receiver can fetch the files with its token.
"""

from typing import Any

from django.urls import reverse

from cutouts.models import ApiSubmission, Image, Render


def image_json(image: Image, *, base_url: str) -> dict[str, Any]:
    """An image's JSON. Its `eta` is used when set (scheduling.attach_etas), else none is given."""
    done = image.status == Image.Status.DONE
    eta = getattr(image, "eta", None)
    matte = getattr(image, "matte", None) if done else None
    submission = _submission(image)
    return {
        "id": image.pk,
        "name": image.original_name,
        "status": image.status,
        "status_reason": image.status_reason,
        # While it waits: seconds until it is expected done, null when paused.
        "eta_seconds": eta.seconds if eta else None,
        "eta": eta.text if eta else "",
        # What made its matte, once made: "withoutbg" (the API), "local-u2netp" (offline).
        "engine": matte.engine if matte else None,
        "format": image.format,
        "width": image.width,
        "height": image.height,
        "byte_size": image.byte_size,
        "sha256": image.sha256,
        "created_at": image.created_at.isoformat(),
        "updated_at": image.updated_at.isoformat(),
        "url": _absolute(base_url, "api_image", image.pk),
        "original_url": _absolute(base_url, "api_image_original", image.pk),
        "matte_url": _absolute(base_url, "api_image_matte", image.pk) if done else None,
        # Sent through POST /images: the preset asked for, and its render once asked for.
        "preset": submission.preset or None if submission else None,
        "render": (
            render_json(submission.render, base_url=base_url)
            if submission and submission.render
            else None
        ),
    }


def render_json(render: Render, *, base_url: str) -> dict[str, Any]:
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
        "url": _absolute(base_url, "api_render", render.pk),
        "file_url": _absolute(base_url, "api_render_file", render.pk) if done else None,
    }


def _submission(image: Image) -> ApiSubmission | None:
    try:
        return image.submission
    except ApiSubmission.DoesNotExist:
        return None


def _absolute(base_url: str, name: str, pk: int) -> str:
    return base_url.rstrip("/") + reverse(name, args=[pk])
