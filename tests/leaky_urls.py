"""The site's own URLs, plus views that fail while holding secrets, as a bug might."""

import os

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_not_required
def fails_holding_secrets(request: HttpRequest) -> HttpResponse:
    team_key = settings.WITHOUTBG_API_KEY
    headers = {"X-Api-Key": team_key, "Accept": "application/json"}
    environment = dict(os.environ)
    queue_url = settings.RQ_QUEUES["default"]["URL"]
    raise RuntimeError(
        f"The vendor refused the call ({len(headers)}, {len(environment)}, {queue_url})"
    )


@login_not_required
def fails_naming_a_secret(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"The vendor refused the key {settings.WITHOUTBG_API_KEY}")


urlpatterns = [
    path("_test/fails-holding-secrets/", fails_holding_secrets),
    path("_test/fails-naming-a-secret/", fails_naming_a_secret),
    path("", include("project.urls")),
]
