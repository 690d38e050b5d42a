"""The dashboard's usage period: the last 7, 30 or 90 days, or from one day to another."""

from datetime import date, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from cutouts.dashboard.selectors import Period, period_between, period_last_days

DAY_CHOICES = [7, 30, 90]
DEFAULT_DAYS = 30
MAX_DAYS = 366
# No usage is older than the app, none is in the future; and far-off dates
# overflow the date arithmetic (the day after 9999-12-31 does not exist).
FIRST_DAY = date(2000, 1, 1)
LOOK_AHEAD = timedelta(days=366)


class UsagePeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        choices=[(n, f"{n} days") for n in DAY_CHOICES], coerce=int, required=False
    )
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_start(self) -> date | None:
        return _in_range(self.cleaned_data["start"])

    def clean_end(self) -> date | None:
        return _in_range(self.cleaned_data["end"])

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        # A date that did not parse has its own error already.
        if (start is None) != (end is None) and not self.errors:
            raise ValidationError("Give both the first and the last day, or neither.")
        if start and end:
            if start > end:
                raise ValidationError("The first day comes after the last.")
            if (end - start).days >= MAX_DAYS:
                raise ValidationError(f"Choose at most {MAX_DAYS} days.")
        return cleaned

    def period(self, *, now: datetime) -> Period:
        """The period asked for; the last DEFAULT_DAYS days when none is, or it is invalid."""
        if self.is_valid():
            start, end = self.cleaned_data["start"], self.cleaned_data["end"]
            if start and end:
                return period_between(first=start, last=end, now=now)
            if self.cleaned_data["days"]:
                return period_last_days(days=self.cleaned_data["days"], now=now)
        return period_last_days(days=DEFAULT_DAYS, now=now)

    @property
    def days_chosen(self) -> int | None:
        """Which of DAY_CHOICES the page shows, for the period links; None for dates."""
        if not self.is_valid():
            return DEFAULT_DAYS
        if self.cleaned_data["start"]:
            return None
        return self.cleaned_data["days"] or DEFAULT_DAYS


def _in_range(day: date | None) -> date | None:
    last = timezone.localdate() + LOOK_AHEAD
    if day is not None and not FIRST_DAY <= day <= last:
        raise ValidationError(f"Choose a day from {FIRST_DAY:%d %b %Y} to {last:%d %b %Y}.")
    return day


MAX_MONTHLY_CREDITS = 1_000_000
CREDITS_ERROR = f"Enter a whole number of credits from 0 to {MAX_MONTHLY_CREDITS:,}."


def _credits_field(*, label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=MAX_MONTHLY_CREDITS,
        error_messages={
            "invalid": CREDITS_ERROR,
            "min_value": CREDITS_ERROR,
            "max_value": CREDITS_ERROR,
        },
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_MONTHLY_CREDITS, "step": 1}),
    )


class TeamBudgetForm(forms.Form):
    monthly_credits = _credits_field(label="Credits a month for each member")


class MemberBudgetForm(forms.Form):
    MODES = [
        ("team", "Team default"),
        ("unlimited", "Unlimited"),
        ("credits", "Credits a month:"),
    ]
    mode = forms.ChoiceField(
        choices=MODES,
        error_messages={"invalid_choice": "Choose the team default, unlimited or a number."},
    )
    monthly_credits = _credits_field(label="Credits a month")

    def clean(self) -> dict:
        cleaned = super().clean()
        # A number that did not parse has its own error already.
        wants_number = cleaned.get("mode") == "credits" and "monthly_credits" not in self.errors
        if wants_number and cleaned.get("monthly_credits") is None:
            self.add_error("monthly_credits", "Give the number of credits a month.")
        return cleaned
