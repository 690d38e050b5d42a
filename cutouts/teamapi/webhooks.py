"""Webhooks of the asynchronous API: which URLs may receive them.

The address rules themselves are Django-free, in cutouts.lib.safe_urls; this
module gives them the settings. Events are made in webhook_events and sent in
webhook_deliveries.
"""

from django.conf import settings

from cutouts.lib.safe_urls import AddressPolicy, CheckedUrl, UrlRefused, check_url, parse_networks


class WebhookUrlRefused(Exception):
    """The webhook URL may not be used; str() is the message for a 400 answer."""


def webhook_url_policy() -> AddressPolicy:
    return AddressPolicy(
        allow_loopback=settings.DEBUG,
        allowed_networks=parse_networks(settings.WEBHOOK_ALLOWED_NETWORKS),
        allowed_hosts=tuple(settings.WEBHOOK_ALLOWED_HOSTS),
    )


def webhook_url_resolve(url: str) -> CheckedUrl:
    """The URL with the addresses it may be called at now, or WebhookUrlRefused."""
    try:
        return check_url(
            url,
            policy=webhook_url_policy(),
            max_length=settings.WEBHOOK_URL_MAX_LENGTH,
            label="webhook_url",
        )
    except UrlRefused as refused:
        raise WebhookUrlRefused(str(refused)) from None


def webhook_url_check(url: str) -> str:
    """The webhook URL to store, once its host resolves to allowed addresses only."""
    return webhook_url_resolve(url.strip()).url
