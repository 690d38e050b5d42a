"""Forms for signing in, accepting invites, signing up and making invites."""

import math
import secrets

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError

from cutouts.accounts import services as accounts


def _refusal(username: str, ip_address: str | None) -> ValidationError | None:
    locked = accounts.login_blocked_for(username=username, ip_address=ip_address)
    if locked:
        minutes = max(1, math.ceil(locked.total_seconds() / 60))
        unit = "minute" if minutes == 1 else "minutes"
        return ValidationError(
            f"Too many failed sign-in attempts. Try again in {minutes} {unit}.",
            code="throttled",
        )
    slowed = accounts.login_slowed_for(username=username, ip_address=ip_address)
    if slowed:
        seconds = max(1, math.ceil(slowed.total_seconds()))
        unit = "second" if seconds == 1 else "seconds"
        return ValidationError(
            f"Too many sign-in attempts for this account. Try again in {seconds} {unit}.",
            code="throttled",
        )
    return None


class SignInForm(AuthenticationForm):
    """Django's sign-in form, refusing throttled users before any password check."""

    def clean(self) -> dict:
        username = self.cleaned_data.get("username") or ""
        ip_address = accounts.client_ip(self.request)
        refusal = _refusal(username, ip_address)
        if refusal is not None:
            raise refusal
        try:
            cleaned_data = super().clean()
        except ValidationError:
            accounts.login_failure_record(username=username, ip_address=ip_address)
            raise
        if username:
            accounts.login_failures_clear(username=username, ip_address=ip_address)
        return cleaned_data


class AdminSignInForm(SignInForm, AdminAuthenticationForm):
    """The Django admin's sign-in form, under the same throttle as ours."""


class AccountCreateForm(UserCreationForm):
    """Username, e-mail and password for a new member (invite or open sign-up)."""

    email = forms.EmailField(help_text="For password resets.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")


class SentOnceForm(forms.Form):
    """A form whose answer shows a secret once: sending the same page again is noticed.

    The answer to the form is the only place the secret is shown, so a reload
    would send the form again and make a second token or invite nobody sees.
    Each page of the form carries a random name; the session remembers the
    last few sent (names only, never what they made).
    """

    once = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    SENT_KEY = "sent_forms"
    SENT_KEPT = 20

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["once"].initial = secrets.token_urlsafe(16)

    def sent_before(self, session: SessionBase) -> bool:
        once = self.cleaned_data["once"]
        return bool(once) and once in session.get(self.SENT_KEY, [])

    def mark_sent(self, session: SessionBase) -> None:
        if once := self.cleaned_data["once"]:
            kept = session.get(self.SENT_KEY, [])[-(self.SENT_KEPT - 1) :]
            session[self.SENT_KEY] = [*kept, once]


class InviteCreateForm(SentOnceForm):
    email = forms.EmailField(
        required=False, help_text="Optional: who the link is for, filled in on their form."
    )
    make_staff = forms.BooleanField(
        required=False,
        label="Make them an admin",
        help_text="Admins can invite people and use the Django admin.",
    )
