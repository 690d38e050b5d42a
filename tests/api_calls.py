"""Calling the team API as a script would, and checking every answer for the team's key.

ApiClient sends a personal token in X-API-Key and never a session cookie. Each
answer it returns has been searched, headers and body, for the withoutbg key
the server holds (settings.WITHOUTBG_API_KEY): it must never leave the server.
"""

import base64
import io
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from PIL import Image as PILImage

from cutouts.teamapi.tokens import token_create
from tests.sandbox_fixtures import point_at_sandbox

# What the team's key is set to in tests that do not use the sandbox.
TEAM_KEY = "sk_live_team_key_that_must_never_leave_the_server"


def assert_no_team_key(headers: Iterable[tuple[str, str]], body: bytes) -> None:
    for key in {settings.WITHOUTBG_API_KEY, TEAM_KEY} - {""}:
        assert key.encode() not in body
        for name, value in headers:
            assert key not in value, name


class ApiClient:
    def __init__(self, raw_token: str | None) -> None:
        self.client = Client()
        self.headers = {"X-API-Key": raw_token} if raw_token is not None else {}

    def get(self, path: str, **extra: object) -> HttpResponse:
        return self._checked(self.client.get(path, headers=self.headers, **extra))

    def post(self, path: str, data: object = None, **extra: object) -> HttpResponse:
        return self._checked(self.client.post(path, data, headers=self.headers, **extra))

    def post_json(self, path: str, payload: object) -> HttpResponse:
        return self.post(path, payload, content_type="application/json")

    def post_raw(self, path: str, body: bytes, content_type: str) -> HttpResponse:
        return self.post(path, body, content_type=content_type)

    def _checked(self, response: HttpResponse) -> HttpResponse:
        if response.streaming:
            response.content_bytes = b"".join(response.streaming_content)
        else:
            response.content_bytes = response.content
        assert_no_team_key(response.items(), response.content_bytes)
        return response


def base64_body(data: bytes) -> dict[str, str]:
    """The JSON body of the base64 endpoints, the vendor's and ours: the image as base64."""
    return {"image_base64": base64.b64encode(data).decode()}


def client_for(user, name: str = "Script") -> ApiClient:
    _, raw = token_create(user=user, name=name)
    return ApiClient(raw)


def use_sandbox(settings, sandbox) -> None:
    """Point the pipeline at the sandbox, with room for every call a test makes."""
    point_at_sandbox(settings, sandbox)
    settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE = 600


def process_on_upload(settings) -> None:
    """Run each queued job in this process the moment it is queued (django-rq's synchronous
    mode): the upload's job, queued when its row is committed, has then finished before the
    request waits for it, as if a worker had been quick. Jobs queued with a delay (retries)
    are only scheduled, never run."""
    settings.RQ_QUEUES = {
        name: {**queue, "ASYNC": False} for name, queue in settings.RQ_QUEUES.items()
    }


def opened(data: bytes) -> PILImage.Image:
    picture = PILImage.open(io.BytesIO(data))
    picture.load()
    return picture
