"""The banner admins see on every page, in the app and the admin, while processing is paused."""

from dataclasses import dataclass
from datetime import datetime

from django import template

from cutouts.processing import pausing
from cutouts.selectors import processing_pause_state

register = template.Library()


@dataclass(frozen=True)
class PauseNotice:
    label: str
    what_to_do: str
    since: datetime | None


@register.simple_tag(takes_context=True)
def processing_pause(context: template.Context) -> PauseNotice | None:
    """The pause, for staff only: members are told through their images' reasons."""
    user = context.get("user")
    if user is None or not user.is_staff:
        return None
    state = processing_pause_state()
    if state is None:
        return None
    rule = pausing.PAUSE_RULES[state.pause]
    return PauseNotice(label=rule.label, what_to_do=rule.what_to_do, since=state.paused_at)
