"""Sign-in, password reset, invites and open sign-up.

Logout and password change are Django's own views (django.contrib.auth.urls).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView, PasswordResetView
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cutouts.accounts import services as accounts
from cutouts.accounts.forms import AccountCreateForm, InviteCreateForm, SignInForm
from cutouts.models import Invite


class SignInView(LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(signup_open=settings.SIGNUP_OPEN, **kwargs)

    def form_invalid(self, form: Form) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, code="throttled"):
            response.status_code = 429
        return response


class SiteUrlPasswordResetView(PasswordResetView):
    """Reset links point at SITE_URL, never at whatever Host the request named.

    A request over the reset limits gets the usual answer, so it tells nobody
    whether the account exists or was limited, and sends no e-mail.
    """

    def form_valid(self, form: Form) -> HttpResponse:
        if not accounts.password_reset_allowed(
            email=form.cleaned_data["email"], ip_address=accounts.client_ip(self.request)
        ):
            return HttpResponseRedirect(self.get_success_url())
        self.extra_email_context = {"site_url": settings.SITE_URL.rstrip("/")}
        return super().form_valid(form)


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    # Anonymous visitors never get here: LoginRequiredMiddleware sends them to
    # sign in. Signed-in members get a 403 rather than a sign-in loop.
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _invite_refused(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/invite_invalid.html", status=404)


@login_not_required
@require_http_methods(["GET", "POST"])
def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    invite = accounts.invite_lookup(token)
    if invite is None:
        return _invite_refused(request)
    form = AccountCreateForm(request.POST or None, initial={"email": invite.email})
    if form.is_valid():
        try:
            user = accounts.invite_accept(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                email=form.cleaned_data["email"],
            )
        except accounts.InviteUnusable:
            return _invite_refused(request)
        login(request, user)
        messages.success(request, f"Welcome to Cutouts, {user.get_username()}.")
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/invite_accept.html", {"form": form, "invite": invite})


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.SIGNUP_OPEN:
        raise Http404
    form = AccountCreateForm(request.POST or None)
    if form.is_valid():
        user = accounts.user_create(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        login(request, user)
        messages.success(request, f"Welcome to Cutouts, {user.get_username()}.")
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/signup.html", {"form": form})


@staff_required
@never_cache
@require_http_methods(["GET", "POST"])
def invite_list(request: HttpRequest) -> HttpResponse:
    # A new invite's link is shown on the answer to the POST that made it and
    # kept nowhere else (not in the session, not in a message), like a token.
    form = InviteCreateForm(request.POST or None)
    new_invite_url = None
    if form.is_valid():
        if form.sent_before(request.session):
            messages.info(request, "That invite was made already; its link is not shown again.")
            return redirect("invite_list")
        _, token = accounts.invite_create(
            created_by=request.user,
            email=form.cleaned_data["email"],
            make_staff=form.cleaned_data["make_staff"],
        )
        form.mark_sent(request.session)
        new_invite_url = request.build_absolute_uri(reverse("invite_accept", args=[token]))
        form = InviteCreateForm()
    now = timezone.now()
    invites = Invite.objects.select_related("created_by", "used_by").order_by("-created_at")
    context = {
        "form": form,
        "new_invite_url": new_invite_url,
        "invites": [(invite, accounts.invite_status(invite, now=now)) for invite in invites],
        "ttl_days": settings.INVITE_TTL_DAYS,
    }
    return render(request, "accounts/invite_list.html", context)


@staff_required
@require_POST
def invite_revoke(request: HttpRequest, invite_id: int) -> HttpResponse:
    if not accounts.invite_revoke(invite_id=invite_id):
        raise Http404
    messages.success(request, "Invite revoked: its link no longer works.")
    return redirect("invite_list")
