"""The form for a new personal API token."""

from django import forms


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        help_text="What the token is for, like “Shop sync” or “Laptop scripts”.",
    )
