"""The banner admins see on every page of the app while a credit alert is on."""

from django import template

from cutouts.dashboard.selectors import active_alerts
from cutouts.models import Alert

register = template.Library()


@register.simple_tag(takes_context=True)
def credit_alerts(context: template.Context) -> list[Alert]:
    """The alerts that are on, for staff only: members cannot top up credits."""
    user = context.get("user")
    if user is None or not user.is_staff:
        return []
    return active_alerts()
