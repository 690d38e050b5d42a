"""The form for a new personal API token."""

from django import forms

from cutouts.accounts.forms import SentOnceForm


class TokenCreateForm(SentOnceForm):
    name = forms.CharField(
        max_length=80,
        help_text="What the token is for, like “Shop sync” or “Laptop scripts”.",
    )
