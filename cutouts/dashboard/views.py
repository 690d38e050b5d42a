"""The admins' dashboard: credits, usage and the queue on one page, and a credit check on demand."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cutouts.accounts.views import staff_required
from cutouts.dashboard import charts
from cutouts.dashboard import selectors as dashboard
from cutouts.dashboard.forms import (
    DAY_CHOICES,
    DEFAULT_DAYS,
    MAX_MONTHLY_CREDITS,
    MemberBudgetForm,
    TeamBudgetForm,
    UsagePeriodForm,
)
from cutouts.models import TeamBudget
from cutouts.processing import credits, releasing


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


@staff_required
@require_http_methods(["GET", "POST"])
def dashboard_budgets(request: HttpRequest) -> HttpResponse:
    """Monthly budgets: the team's default (set here) and each member's use against theirs."""
    form = TeamBudgetForm(
        request.POST or None, initial={"monthly_credits": TeamBudget.load().monthly_credits}
    )
    if form.is_valid():
        releasing.team_budget_set(monthly_credits=form.cleaned_data["monthly_credits"])
        messages.success(request, "Team default budget saved.")
        return redirect("dashboard_budgets")
    return _budgets_page(request, team_form=form)


@staff_required
@require_POST
def dashboard_member_budget(request: HttpRequest, user_id: int) -> HttpResponse:
    member = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    form = MemberBudgetForm(request.POST, prefix=_member_prefix(member.pk))
    if not form.is_valid():
        return _budgets_page(request, failed=(member.pk, form))
    releasing.member_budget_set(
        user_id=member.pk,
        mode=form.cleaned_data["mode"],
        monthly_credits=form.cleaned_data["monthly_credits"],
    )
    messages.success(request, f"Budget of {member.get_username()} saved.")
    return redirect("dashboard_budgets")


def _budgets_page(
    request: HttpRequest,
    *,
    team_form: TeamBudgetForm | None = None,
    failed: tuple[int, MemberBudgetForm] | None = None,
) -> HttpResponse:
    rows = dashboard.member_budgets(now=timezone.now())
    forms = {
        row.user_id: MemberBudgetForm(
            initial={"mode": row.mode, "monthly_credits": row.use.monthly_credits},
            prefix=_member_prefix(row.user_id),
        )
        for row in rows
    }
    if failed is not None:
        forms[failed[0]] = failed[1]
    context = {
        "team_form": team_form
        or TeamBudgetForm(initial={"monthly_credits": TeamBudget.load().monthly_credits}),
        "rows": [(row, forms[row.user_id]) for row in rows],
        "max_credits": MAX_MONTHLY_CREDITS,
    }
    return render(request, "cutouts/budgets.html", context)


def _member_prefix(user_id: int) -> str:
    # Every member's form is on one page: their fields need names of their own.
    return f"member-{user_id}"
