"""The withoutbg API, served under /api/ with the same paths, fields, status codes and bodies.

Any withoutbg client works against Cutouts by changing its base URL to
`https://<cutouts>/api` and its key to a member's personal token: the team's
own key stays on the server. Every error is JSON {"detail": ...}, never an
HTML page, whatever went wrong. `api_endpoint` is shared with Cutouts' own
JSON API (cutouts.teamapi.views.api_v1).
"""

import base64
import logging
import math
from collections.abc import Callable
from datetime import UTC
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from cutouts.processing.uploads import BadContentLength, FileTooLarge, check_declared_body
from cutouts.teamapi.services import (
    ApiError,
    ApiResult,
    process_for_api,
    rate_limit_detail,
    team_credit,
    too_large_detail,
)
from cutouts.teamapi.tokens import token_authenticate, token_throttle
from devtools.sandbox import INVALID_KEY, MISSING_FILE, Refusal, image_from_json_body

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]

BAD_MULTIPART = "Validation Error - malformed multipart/form-data body"
NOT_FOUND = "Not Found"
SERVER_ERROR = "Internal Server Error. An admin can find the details in Cutouts' logs."
# Bodies longer than this many files at the limit are refused unread; nearer
# ones are read, so the client, still sending, hears the 413 (base64 adds a
# third to the size).
_UNREAD_OVER = 4


def api_error(status: int, detail: str | list[dict[str, Any]]) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def api_endpoint(*methods: str, public: bool = False) -> Callable[[View], View]:
    """An /api/ view: these methods only, the caller's token (unless `public`), JSON errors.

    Authentication is by the X-API-Key header alone, never the session, so
    CSRF does not apply. The view finds the token's member in request.user and
    may raise ApiError or Http404.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = api_error(405, "Method Not Allowed")
                response["Allow"] = ", ".join(methods)
                return response
            if not public:
                refusal = _authenticate(request)
                if refusal is not None:
                    return refusal
            try:
                return view(request, *args, **kwargs)
            except ApiError as error:
                return api_error(error.status, error.detail)
            except Http404:
                return api_error(404, NOT_FOUND)
            except Exception:
                logger.exception("The API failed on %s %s", request.method, request.path)
                return api_error(500, SERVER_ERROR)

        return csrf_exempt(login_not_required(wrapper))

    return decorator


def _authenticate(request: HttpRequest) -> JsonResponse | None:
    token = token_authenticate(request.headers.get("X-API-Key", ""))
    if token is None:
        return api_error(401, INVALID_KEY)
    throttled = token_throttle(token=token)
    if throttled is not None:
        response = api_error(429, rate_limit_detail(throttled.limit))
        response["Retry-After"] = str(math.ceil(throttled.retry_after))
        return response
    request.user = token.user
    return None


@csrf_exempt
@login_not_required
def not_found(request: HttpRequest) -> JsonResponse:
    """Any other path under /api/: the vendor's 404, as JSON."""
    return api_error(404, NOT_FOUND)


@api_endpoint("POST")
def alpha_channel_base64(request: HttpRequest) -> JsonResponse:
    result = process_for_api(
        user=request.user, data=_base64_image(request), want="matte", name=None
    )
    return JsonResponse({"alpha_base64": _base64_of(result)})


@api_endpoint("POST")
def image_without_background_base64(request: HttpRequest) -> JsonResponse:
    result = process_for_api(
        user=request.user, data=_base64_image(request), want="cutout", name=None
    )
    return JsonResponse({"img_without_background_base64": _base64_of(result)})


@api_endpoint("POST")
def alpha_channel(request: HttpRequest) -> FileResponse:
    data, name = _multipart_image(request)
    result = process_for_api(user=request.user, data=data, want="matte", name=name)
    return _png_response(result, f"{result.image.stem}-matte.png")


@api_endpoint("POST")
def image_without_background(request: HttpRequest) -> FileResponse:
    data, name = _multipart_image(request)
    result = process_for_api(user=request.user, data=data, want="cutout", name=name)
    return _png_response(result, f"{result.image.stem}-cutout.png")


@api_endpoint("GET", "HEAD")
def available_credit(request: HttpRequest) -> JsonResponse:
    balance = team_credit()
    expires_at = balance.expires_at
    return JsonResponse(
        {
            "credit": balance.credit,
            "expiration_date": (
                expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if expires_at else None
            ),
        }
    )


def _refuse_far_too_large(request: HttpRequest) -> None:
    try:
        check_declared_body(content_length=request.META.get("CONTENT_LENGTH"), files=_UNREAD_OVER)
    except BadContentLength:
        raise ApiError(400, "Validation Error - invalid Content-Length") from None
    except FileTooLarge:
        raise ApiError(413, too_large_detail()) from None


def _base64_image(request: HttpRequest) -> bytes:
    _refuse_far_too_large(request)
    # Read the stream directly: request.body would apply Django's limit for
    # form data, which a 10 MB image grown by base64 is over.
    try:
        return image_from_json_body(request.read())
    except Refusal as refusal:
        raise ApiError(refusal.status, refusal.detail) from None


def _multipart_image(request: HttpRequest) -> tuple[bytes, str | None]:
    _refuse_far_too_large(request)
    try:
        uploaded_file = request.FILES.get("file")
    except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
        raise ApiError(400, BAD_MULTIPART) from None
    if uploaded_file is None:
        raise ApiError(422, MISSING_FILE)
    if (uploaded_file.size or 0) > settings.UPLOAD_MAX_BYTES:
        raise ApiError(413, too_large_detail())
    return uploaded_file.read(), uploaded_file.name or None


def _base64_of(result: ApiResult) -> str:
    with result.file.storage.open(result.file.name, "rb") as stored:
        return base64.b64encode(stored.read()).decode("ascii")


def _png_response(result: ApiResult, filename: str) -> FileResponse:
    handle = result.file.storage.open(result.file.name, "rb")
    return FileResponse(handle, content_type="image/png", filename=filename)
