"""E-mail to the team's admins."""

from django.contrib.auth import get_user_model
from django.core.mail import send_mail


def email_admins(*, subject: str, message: str) -> int:
    """Send to every active admin with an address; the number of recipients."""
    recipients = list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if recipients:
        send_mail(f"[Cutouts] {subject}", message, None, recipients)
    return len(recipients)
