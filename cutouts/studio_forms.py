"""The team preset form: a name and a spec as JSON (checked by cutouts.presets)."""

import json
from typing import Any

from django import forms


class PresetForm(forms.Form):
    name = forms.CharField(max_length=80)
    spec = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        help_text="The settings as JSON; unset fields take the defaults.",
    )

    def clean_spec(self) -> Any:
        try:
            return json.loads(self.cleaned_data["spec"])
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"This is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
            ) from error
