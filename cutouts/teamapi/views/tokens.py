"""Personal API tokens in the app: make one (shown once), see them, revoke them.

Members manage their own tokens; admins also see and revoke everyone's.
"""

from django.contrib import messages
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cutouts.accounts.views import staff_required
from cutouts.models import ApiToken
from cutouts.selectors import own_token, token_for_user
from cutouts.teamapi import tokens
from cutouts.teamapi.forms import TokenCreateForm

_LIVE_FIRST = F("revoked_at").asc(nulls_first=True)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    # A new token is shown on the answer to the POST that made it, and kept
    # nowhere else: not in the session, not in a message (Django keeps those
    # in a cookie or the session). never_cache keeps it out of every cache.
    form = TokenCreateForm(request.POST or None)
    new_token = new_secret = None
    if form.is_valid():
        if form.sent_before(request.session):
            messages.info(request, "That token was made already; it is not shown again.")
            return redirect("token_list")
        try:
            token, new_token = tokens.token_create(
                user=request.user, name=form.cleaned_data["name"]
            )
        except tokens.TokenLimitReached as refusal:
            form.add_error(None, str(refusal))
        else:
            form.mark_sent(request.session)
            form = TokenCreateForm()
            new_secret = token.webhook_secret
    return _token_page(request, form, new_token=new_token, new_secret=new_secret)


@never_cache
@require_POST
def token_webhook_secret(request: HttpRequest, pk: int) -> HttpResponse:
    """Replace a token's webhook secret and show the new one, on this answer only."""
    token = own_token(user=request.user, pk=pk)
    secret = tokens.webhook_secret_roll(token=token)
    return _token_page(request, TokenCreateForm(), new_secret=secret, secret_of=token)


def _token_page(
    request: HttpRequest,
    form: TokenCreateForm,
    *,
    new_token: str | None = None,
    new_secret: str | None = None,
    secret_of: ApiToken | None = None,
) -> HttpResponse:
    context = {
        "form": form,
        "new_token": new_token,
        "new_secret": new_secret,
        "secret_of": secret_of,
        "tokens": request.user.api_tokens.order_by(_LIVE_FIRST, "-created_at"),
    }
    return render(request, "accounts/token_list.html", context)


@staff_required
@require_http_methods(["GET", "HEAD"])
def token_list_all(request: HttpRequest) -> HttpResponse:
    everyone = ApiToken.objects.select_related("user").order_by(
        _LIVE_FIRST, "user__username", "-created_at"
    )
    return render(request, "accounts/token_list_all.html", {"tokens": everyone})


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = token_for_user(user=request.user, pk=pk)
    tokens.token_revoke(token=token, by=request.user)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    if request.POST.get("next") == "all" and request.user.is_staff:
        return redirect("token_list_all")
    return redirect("token_list")
