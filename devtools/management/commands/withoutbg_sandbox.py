"""Serve the local withoutbg sandbox API: see devtools/sandbox.py."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from PIL import Image

from cutouts.lib.matting import get_matting
from devtools.sandbox import Config, Faults, SandboxServer


class Command(BaseCommand):
    help = "Serve a local stand-in for the withoutbg API, with real mattes from the offline model."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765, help="0 picks a free port.")
        parser.add_argument("--credits", type=int, default=100)
        parser.add_argument(
            "--rate-limit",
            type=int,
            default=settings.WITHOUTBG_RATE_LIMIT_PER_MINUTE,
            help="Calls per key per minute; 0 turns the limit off.",
        )
        parser.add_argument("--seed", type=int, help="Seed for the random faults.")
        parser.add_argument(
            "--error-rate", type=float, default=0.0, help="Share of calls answered 500."
        )
        parser.add_argument(
            "--delay", type=float, default=0.0, help="Seconds every call waits first."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        matting = get_matting(settings.MATTING_MODEL_PATH)
        try:
            # Loading the model now fails fast when it is missing and spares
            # the first call the wait.
            matting.predict(Image.new("RGB", (32, 32), "white"))
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        config = Config(
            credits=options["credits"],
            rate_limit=options["rate_limit"],
            faults=Faults(error_rate=options["error_rate"], delay_seconds=options["delay"]),
        )
        keys = settings.WITHOUTBG_SANDBOX_KEYS
        server = SandboxServer(
            (options["host"], options["port"]),
            keys=keys,
            matting=matting,
            config=config,
            seed=options["seed"],
        )
        self.stdout.write(
            f"withoutbg sandbox at {server.base_url} accepting {len(keys)} "
            f"key{'s' if len(keys) != 1 else ''} (WITHOUTBG_SANDBOX_KEYS); Ctrl-C stops it."
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
