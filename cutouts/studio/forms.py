"""The team preset form: a name and a spec as JSON (checked by cutouts.lib.render_spec)."""

from django import forms

from cutouts.lib.render_spec import RenderSpec, SpecError, spec_from_json


class PresetForm(forms.Form):
    name = forms.CharField(max_length=80)
    spec = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        help_text="The settings as JSON; unset fields take the defaults.",
    )

    def clean_spec(self) -> RenderSpec:
        try:
            return spec_from_json(self.cleaned_data["spec"])
        except SpecError as error:
            raise forms.ValidationError(str(error)) from error
