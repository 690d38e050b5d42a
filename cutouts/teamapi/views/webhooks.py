"""The member's webhook deliveries: what their scripts' receivers were sent, and "Send again"."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from cutouts.selectors import own_webhook_event, own_webhook_events
from cutouts.teamapi import webhook_deliveries

EVENTS_PER_PAGE = 25


@require_safe
def webhook_list(request: HttpRequest) -> HttpResponse:
    events = own_webhook_events(user=request.user)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "accounts/webhook_list.html", {"page": page})


@require_POST
def webhook_send_again(request: HttpRequest, pk: int) -> HttpResponse:
    event = own_webhook_event(user=request.user, pk=pk)
    try:
        webhook_deliveries.webhook_send_again(event=event)
    except webhook_deliveries.SendAgainRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, f"Sending {event.kind} again now; its answer shows here in a moment."
        )
    if request.POST.get("next") == "image":
        return redirect("image_detail", event.submission.image_id)
    return redirect("webhook_list")
