"""Error pages, error e-mails and log lines that never show a secret, whatever DEBUG says.

Django's debug pages print settings, `request.META` and every frame's locals.
Under runserver or a WSGI server `request.META` holds the whole process
environment, so a 400 from the request parser (too many fields or files, a
field too large), reachable by anyone, would print the team's withoutbg key
and the database password. Django's own filter hides settings by name only,
and only with DEBUG off; this one is always on and also hides every value
that is, or contains, a secret it knows of: keys, passwords, tokens and
passwords inside URLs.
"""

import logging
import os
import re
from collections.abc import Iterable, Mapping
from pprint import pformat
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.views.debug import (
    CallableSettingWrapper,
    ExceptionReporter,
    SafeExceptionReporterFilter,
)

SUBSTITUTE = SafeExceptionReporterFilter.cleansed_substitute
# Settings, META entries, environment variables, cookies and dict keys with
# these in their name are hidden whole wherever they are shown.
SECRET_NAME = re.compile(
    r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|CREDENTIAL|PRIVATE|COOKIE|SESSION|CSRF|DSN"
    r"|DATABASE_URL|REDIS_URL",
    re.IGNORECASE,
)
# Settings and environment variables whose values are secrets, and so are
# also looked for inside every other value. Narrower than SECRET_NAME: the
# values of PASSWORD_HASHERS or CSRF_COOKIE_NAME are no secret, and hiding
# them wherever they appear would only blur the page.
SECRET_VALUE_NAME = re.compile(
    r"(KEYS?|KEY_FALLBACKS|SECRET|TOKEN|PASSWORD|PASSWD|PASS|CREDENTIALS?|SIGNATURE|DSN"
    r"|DATABASE_URL|REDIS_URL)$",
    re.IGNORECASE,
)
# The password part of scheme://user:password@host.
# Bounded, so a 12 MB field is scanned in linear time.
URL_PASSWORD = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]{0,31}://[^/\s:@]{0,256}:)(?P<password>[^/\s@]{1,256})(?=@)",
    re.IGNORECASE,
)
# Shorter values are not looked for inside other values: "on" or "1" would
# blank out half the page, and no real key or password is that short.
MIN_SECRET_LENGTH = 6


def known_secrets() -> list[str]:
    """Every secret value this process holds, longest first, so the longest is hidden first."""
    found: set[str] = set()
    for name in dir(settings):
        if name.isupper():
            _collect(found, getattr(settings, name, None), secret=_secret_value_name(name))
    for name, value in os.environ.items():
        _collect(found, value, secret=_secret_value_name(name))
    return sorted(
        (value for value in found if len(value) >= MIN_SECRET_LENGTH), key=len, reverse=True
    )


def _secret_value_name(name: Any) -> bool:
    return isinstance(name, str) and bool(SECRET_VALUE_NAME.search(name))


def _collect(found: set[str], value: Any, *, secret: bool) -> None:
    if isinstance(value, str):
        if secret:
            found.add(value)
        elif "://" in value:
            found.update(match.group("password") for match in URL_PASSWORD.finditer(value))
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect(found, item, secret=secret or _secret_value_name(key))
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _collect(found, item, secret=secret)


def scrub_text(text: str, secrets: Iterable[str]) -> str:
    """`text` with every known secret and every password inside a URL replaced."""
    if "://" in text:
        text = URL_PASSWORD.sub(lambda match: match.group("head") + SUBSTITUTE, text)
    for secret in secrets:
        text = text.replace(secret, SUBSTITUTE)
    return text


def scrub_value(value: Any, secrets: list[str]) -> Any:
    """`value` as the debug page would show it, minus secrets; containers are kept readable."""
    if isinstance(value, str):
        return scrub_text(value, secrets)
    if isinstance(value, bytes):
        return _scrub_bytes(value, secrets)
    if isinstance(value, MultiValueDict):
        return {key: scrub_value(value.getlist(key), secrets) for key in value}
    if isinstance(value, dict):
        return {
            key: SUBSTITUTE if _secret_name(key) else scrub_value(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [scrub_value(item, secrets) for item in value]
    if isinstance(value, tuple):
        return tuple(scrub_value(item, secrets) for item in value)
    if isinstance(value, frozenset):
        return frozenset(scrub_value(item, secrets) for item in value)
    if isinstance(value, set):
        return {scrub_value(item, secrets) for item in value}
    # Any other object is shown by its repr: hide it whole if that repr leaks.
    try:
        shown = pformat(value)
    except Exception:
        # The debug page prints "Error in formatting" for these; nothing leaks.
        return value
    return SUBSTITUTE if scrub_text(shown, secrets) != shown else value


def _scrub_bytes(value: bytes, secrets: list[str]) -> bytes:
    # Latin-1 maps every byte to one character and back, so nothing else changes.
    return scrub_text(value.decode("latin-1"), secrets).encode("latin-1")


def _is_substitute(value: Any) -> bool:
    return isinstance(value, str) and value == SUBSTITUTE


def _secret_name(key: Any) -> bool:
    return isinstance(key, str) and bool(SECRET_NAME.search(key))


class SecretsFilter(SafeExceptionReporterFilter):
    """Hides secrets from settings, request.META, cookies, POST data and frame locals."""

    hidden_settings = SECRET_NAME

    def is_active(self, request: HttpRequest | None) -> bool:
        # Django's filter steps aside with DEBUG on; a debug page reaches
        # anonymous visitors just the same, so this one never does.
        return True

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        return self._cleanse(key, value, known_secrets())

    def get_safe_settings(self) -> dict[str, Any]:
        secrets = known_secrets()
        return {
            name: self._cleanse(name, getattr(settings, name), secrets)
            for name in dir(settings)
            if name.isupper()
        }

    def get_safe_request_meta(self, request: HttpRequest | None) -> dict[str, Any]:
        return self._cleanse_all(getattr(request, "META", {}))

    def get_safe_cookies(self, request: HttpRequest | None) -> dict[str, Any]:
        return self._cleanse_all(getattr(request, "COOKIES", {}))

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, Any]:
        return self._cleanse_all(super().get_post_parameters(request))

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        secrets = known_secrets()
        return [
            # isinstance first: `==` on a numpy array does not give a bool.
            (name, value if _is_substitute(value) else scrub_value(value, secrets))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]

    def _cleanse_all(self, values: Mapping[str, Any]) -> dict[str, Any]:
        secrets = known_secrets()
        return {key: self._cleanse(key, value, secrets) for key, value in values.items()}

    def _cleanse(self, key: Any, value: Any, secrets: list[str]) -> Any:
        if key == settings.SESSION_COOKIE_NAME or _secret_name(key):
            return SUBSTITUTE
        cleansed = scrub_value(value, secrets)
        # Templates call callables; the debug page must only show them.
        return CallableSettingWrapper(cleansed) if callable(cleansed) else cleansed


class SecretsReporter(ExceptionReporter):
    """The debug page and error e-mail, with a last pass over the finished text.

    The filter cannot reach the exception's own message, which the page shows
    as it is; this pass catches a secret there too.
    """

    def get_traceback_html(self) -> str:
        return scrub_text(super().get_traceback_html(), known_secrets())

    def get_traceback_text(self) -> str:
        return scrub_text(super().get_traceback_text(), known_secrets())


class ScrubSecretsLogFilter(logging.Filter):
    """Log lines, tracebacks included, with every known secret replaced."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: list[str] = []
        self._secrets_for: object = None

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._current_secrets()
        try:
            message = record.getMessage()
        except Exception:
            # A broken format string: logging reports it when it formats the line.
            return True
        record.msg, record.args = scrub_text(message, secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text, secrets)
        return True

    def _current_secrets(self) -> list[str]:
        # Gathering the secrets takes milliseconds, too long for every log
        # line: gather again only when the settings or the environment change.
        fingerprint = (id(getattr(settings, "_wrapped", None)), tuple(os.environ.items()))
        if fingerprint != self._secrets_for:
            self._secrets, self._secrets_for = known_secrets(), fingerprint
        return self._secrets
