"""STAND-IN until the lead's module lands on main (take theirs at the merge)."""

from typing import Any

from django.urls import reverse

from cutouts.models import Image, Render


def image_json(image: Image, *, base_url: str) -> dict[str, Any]:
    return {
        "id": image.pk,
        "status": image.status,
        "status_reason": image.status_reason,
        "url": base_url.rstrip("/") + reverse("api_image", args=[image.pk]),
    }


def render_json(render: Render, *, base_url: str) -> dict[str, Any]:
    return {
        "id": render.pk,
        "status": render.status,
        "error": render.error,
        "url": base_url.rstrip("/") + reverse("api_render", args=[render.pk]),
    }
