"""The admins' dashboard: credits, usage and the queue on one page, and a credit check on demand."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from cutouts.accounts.views import staff_required
from cutouts.dashboard import charts
from cutouts.dashboard import selectors as dashboard
from cutouts.dashboard.forms import DAY_CHOICES, DEFAULT_DAYS, UsagePeriodForm
from cutouts.processing import credits


@staff_required
@require_safe
def dashboard_page(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    form = UsagePeriodForm(request.GET)
    period = form.period(now=now)
    overview = dashboard.overview(period=period, now=now)
    balance = charts.time_line(
        "Credit balance",
        overview.credit_history,
        start=period.start,
        end=period.end,
        point_label="%d %b %H:00: {value} credits" if period.hourly else "%d %b: {value} credits",
    )
    calls = charts.stacked_bars(
        "API calls per day",
        period.days,
        [
            charts.Series("success", [day.success for day in overview.usage.per_day]),
            charts.Series("cache_hit", [day.cache_hit for day in overview.usage.per_day]),
            charts.Series("error", [day.error for day in overview.usage.per_day]),
        ],
    )
    context = {
        "form": form,
        "day_choices": DAY_CHOICES,
        "default_days": DEFAULT_DAYS,
        "spend_window_days": credits.SPEND_WINDOW.days,
        "period": period,
        "overview": overview,
        "balance_chart": balance,
        "calls_chart": calls,
    }
    return render(request, "cutouts/dashboard.html", context)


@staff_required
@require_POST
def dashboard_refresh_credits(request: HttpRequest) -> HttpResponse:
    snapshot = credits.credits_refresh()
    if snapshot is None:
        messages.warning(
            request,
            "Processing is using every slot of the API's rate limit just now. "
            "Try again in a minute.",
        )
    elif snapshot.error:
        messages.error(request, f"The credit check failed: {snapshot.error}")
    else:
        messages.success(request, "Credits checked just now.")
    return redirect("dashboard")
