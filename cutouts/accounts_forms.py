"""Forms for signing in, accepting invites, signing up and making invites."""

import math

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import ValidationError

from cutouts import accounts


class SignInForm(AuthenticationForm):
    """Django's sign-in form, refusing throttled users before any password check."""

    def clean(self) -> dict:
        username = self.cleaned_data.get("username") or ""
        ip_address = accounts.client_ip(self.request)
        wait = accounts.login_blocked_for(username=username, ip_address=ip_address)
        if wait:
            minutes = max(1, math.ceil(wait.total_seconds() / 60))
            unit = "minute" if minutes == 1 else "minutes"
            raise ValidationError(
                f"Too many failed sign-in attempts. Try again in {minutes} {unit}.",
                code="throttled",
            )
        try:
            cleaned_data = super().clean()
        except ValidationError:
            accounts.login_failure_record(username=username, ip_address=ip_address)
            raise
        if username:
            accounts.login_failures_clear(username=username)
        return cleaned_data


class AdminSignInForm(SignInForm, AdminAuthenticationForm):
    """The Django admin's sign-in form, under the same throttle as ours."""


class AccountCreateForm(UserCreationForm):
    """Username, e-mail and password for a new member (invite or open sign-up)."""

    email = forms.EmailField(help_text="For password resets.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")


class InviteCreateForm(forms.Form):
    email = forms.EmailField(
        required=False, help_text="Optional: who the link is for, filled in on their form."
    )
    make_staff = forms.BooleanField(
        required=False,
        label="Make them an admin",
        help_text="Admins can invite people and use the Django admin.",
    )
