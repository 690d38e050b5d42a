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
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from cutouts.lib.withoutbg.contract import (
    ALPHA_FIELD,
    API_KEY_HEADER,
    CUTOUT_FIELD,
    FILE_FIELD,
    INVALID_KEY,
    METHOD_NOT_ALLOWED,
    MISSING_FILE,
    NOT_FOUND,
    Detail,
    Refusal,
    credit_body,
    error_body,
    image_from_json_body,
    rate_limit_exceeded,
)
from cutouts.processing.uploads import BadContentLength, FileTooLarge, check_declared_body
from cutouts.teamapi.services import (
    ApiError,
    ApiResult,
    process_for_api,
    team_credit,
    too_large_detail,
)
from cutouts.teamapi.tokens import token_authenticate, token_throttle

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]

BAD_MULTIPART = "Validation Error - malformed multipart/form-data body"
SERVER_ERROR = "Internal Server Error. An admin can find the details in Cutouts' logs."
# Bodies longer than this many files at the limit are refused unread; nearer
# ones are read, so the client, still sending, hears the 413 (base64 adds a
# third to the size).
_UNREAD_OVER = 4


def api_error(status: int, detail: Detail) -> JsonResponse:
    return JsonResponse(error_body(detail), status=status)


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
                response = api_error(405, METHOD_NOT_ALLOWED)
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
    token = token_authenticate(request.headers.get(API_KEY_HEADER, ""))
    if token is None:
        return api_error(401, INVALID_KEY)
    throttled = token_throttle(token=token)
    if throttled is not None:
        response = api_error(429, rate_limit_exceeded(throttled.limit))
        response["Retry-After"] = str(math.ceil(throttled.retry_after))
        return response
    request.user = token.user
    request.api_token = token
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
    return JsonResponse({ALPHA_FIELD: _base64_of(result)})


@api_endpoint("POST")
def image_without_background_base64(request: HttpRequest) -> JsonResponse:
    result = process_for_api(
        user=request.user, data=_base64_image(request), want="cutout", name=None
    )
    return JsonResponse({CUTOUT_FIELD: _base64_of(result)})


@api_endpoint("POST")
def alpha_channel(request: HttpRequest) -> FileResponse:
    data, name = multipart_image(request)
    result = process_for_api(user=request.user, data=data, want="matte", name=name)
    return _png_response(result, f"{result.image.stem}-matte.png")


@api_endpoint("POST")
def image_without_background(request: HttpRequest) -> FileResponse:
    data, name = multipart_image(request)
    result = process_for_api(user=request.user, data=data, want="cutout", name=name)
    return _png_response(result, f"{result.image.stem}-cutout.png")


@api_endpoint("GET", "HEAD")
def available_credit(request: HttpRequest) -> JsonResponse:
    balance = team_credit()
    return JsonResponse(credit_body(credit=balance.credit, expires_at=balance.expires_at))


def refuse_far_too_large(request: HttpRequest) -> None:
    try:
        check_declared_body(content_length=request.META.get("CONTENT_LENGTH"), files=_UNREAD_OVER)
    except BadContentLength:
        raise ApiError(400, "Validation Error - invalid Content-Length") from None
    except FileTooLarge:
        raise ApiError(413, too_large_detail()) from None


def _base64_image(request: HttpRequest) -> bytes:
    refuse_far_too_large(request)
    # Read the stream directly: request.body would apply Django's limit for
    # form data, which a 10 MB image grown by base64 is over.
    try:
        return image_from_json_body(request.read())
    except Refusal as refusal:
        raise ApiError(refusal.status, refusal.detail) from None


def multipart_image(request: HttpRequest) -> tuple[bytes, str | None]:
    refuse_far_too_large(request)
    try:
        uploaded_file = request.FILES.get(FILE_FIELD)
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
