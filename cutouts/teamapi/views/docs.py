"""How to call the API: the OpenAPI document, and a page with examples for signed-in members."""

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from cutouts.lib.presets import CUTOUT_PRESET
from cutouts.teamapi.openapi import openapi_document
from cutouts.teamapi.views.api import api_endpoint


def api_base_url(request: HttpRequest) -> str:
    """The base URL a withoutbg client is given in place of https://api.withoutbg.com."""
    return request.build_absolute_uri(reverse("api_openapi")).removesuffix("/openapi.json")


@api_endpoint("GET", "HEAD", public=True)
def openapi_json(request: HttpRequest) -> JsonResponse:
    document = openapi_document(
        server_url=api_base_url(request),
        rate_limit=settings.API_TOKEN_RATE_LIMIT_PER_MINUTE,
        wait_seconds=settings.API_WAIT_SECONDS,
    )
    return JsonResponse(document, json_dumps_params={"indent": 2})


@require_safe
def api_docs(request: HttpRequest) -> HttpResponse:
    context = {
        "base_url": api_base_url(request),
        "openapi_url": request.build_absolute_uri(reverse("api_openapi")),
        "has_token": request.user.api_tokens.filter(revoked_at=None).exists(),
        "rate_limit": settings.API_TOKEN_RATE_LIMIT_PER_MINUTE,
        "wait_seconds": settings.API_WAIT_SECONDS,
        # A client must outwait the server, which answers 504 when it gives up.
        "client_timeout": math.ceil(settings.API_WAIT_SECONDS) + 30,
        "cutout_preset": CUTOUT_PRESET,
        "example_preset": "amazon-main",
        "api_per_hour": settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE * 60,
        "webhook_timeout": settings.WEBHOOK_TIMEOUT_SECONDS,
        "webhook_hours": settings.WEBHOOK_GIVE_UP_HOURS,
        "webhook_hosts": settings.WEBHOOK_ALLOWED_HOSTS,
    }
    return render(request, "api/docs.html", context)
