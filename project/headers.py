"""The Content-Security-Policy, with the one exception third-party admin pages need.

Our own pages pass the strict policy in settings.CONTENT_SECURITY_POLICY: no
inline script, no inline style. Django's admin and django-rq's dashboard are
not ours to change and carry a few inline <style> blocks, and django-rq's job
lists one inline script; under /admin/ only, inline styles are allowed and
that one script by its hash (never 'unsafe-inline' for scripts).
"""

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase

ADMIN_PREFIX = "/admin/"
QUEUE_DASHBOARD_PREFIX = "/admin/rq/"
# sha256 of the `$("tr input.action-select").actions();` script inlined in
# django-rq 4.2's job and worker lists; a new django-rq release with another
# script shows up as a violation in tests/browser/test_content_security_policy.py.
DJANGO_RQ_ACTIONS_SCRIPT = "'sha256-1kZe1KRxelr3ptMPsod17Z6BDvbtm4WcufgsZGvsErM='"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only or not request.path_info.startswith(ADMIN_PREFIX):
            return parts
        update: dict[str, list[str]] = {"style-src": [UNSAFE_INLINE]}
        if request.path_info.startswith(QUEUE_DASHBOARD_PREFIX):
            update["script-src"] = [DJANGO_RQ_ACTIONS_SCRIPT]
        parts.update = {**(parts.update or {}), **update}
        return parts
