"""Make a personal API token for a member, for automation: the token is the last line printed."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cutouts.teamapi.forms import TokenCreateForm
from cutouts.teamapi.tokens import TokenLimitReached, token_create


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME and print it, alone, on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="Command line", help="What the token is for.")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        form = TokenCreateForm({"name": name})
        if not form.is_valid():
            raise CommandError(f"--name: {' '.join(form.errors['name'])}")
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active user called {username!r}.")
        try:
            token, raw = token_create(user=user, name=form.cleaned_data["name"])
        except TokenLimitReached as refusal:
            raise CommandError(f"{username}: {refusal}") from None
        self.stderr.write(f"Token “{token.name}” for {username}; it is not shown again:")
        self.stdout.write(raw)
