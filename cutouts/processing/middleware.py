"""Uploads far over the limit are refused from their Content-Length, unread.

A view marked with `upload_body_limit` declares how many files at
UPLOAD_MAX_BYTES its request body may carry. The check runs in process_view,
ahead of CsrfViewMiddleware's, which parses a POST body to find the CSRF token:
a view decorator alone would run after the body was spooled.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from cutouts.processing.uploads import BadContentLength, FileTooLarge, check_declared_body

View = Callable[..., HttpResponse]


def upload_body_limit(*, files: int, form_files: int | None = None) -> Callable[[View], View]:
    """Mark a view whose POST body carries at most `files` files (`form_files` without JavaScript).

    Requests asking for JSON come from the page's script; the others are the
    plain form, which may send several files at once.
    """

    def decorator(view: View) -> View:
        view.upload_body_files = (files, form_files or files)  # type: ignore[attr-defined]
        return view

    return decorator


def wants_json(request: HttpRequest) -> bool:
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


class UploadBodyLimitMiddleware:
    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: View, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        limits = getattr(view, "upload_body_files", None)
        if limits is None or request.method != "POST":
            return None
        files = limits[0] if wants_json(request) else limits[1]
        try:
            check_declared_body(content_length=request.META.get("CONTENT_LENGTH"), files=files)
        except BadContentLength as refusal:
            return _refusal(request, refusal.message, status=400)
        except FileTooLarge as refusal:
            return _refusal(request, refusal.message, status=413)
        return None


def _refusal(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": message}, status=status)
    return render(request, "cutouts/upload_refused.html", {"message": message}, status=status)
