"""`manage.py runserver` with DEBUG on, in its own process, with secrets in its environment.

Under a real server `request.META` holds the process environment, which is
what Django's debug pages used to print; the Django test client has no such
environment, so these tests need the real thing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings

from tests.web_server import WebServer, web_server

TEAM_KEY = "wbg-live-Zq7XkP2mN9vR4tL8cW"
SANDBOX_KEYS = ("sbx-key-Hq3Jw8Lp5Vn2Ad", "sbx-key-Tf6Rb1Cz9Xm4Ge")
DJANGO_SECRET_KEY = "django-secret-Yp4Kd7Ws2Qn9Lx6Vb3Ur8Hj"
DATABASE_PASSWORD = "dbpass-Rm5Tz8Hc3Jq"
REDIS_PASSWORD = "redispass-Wk2Ny7Pf4Dd"
AWS_SECRET = "awssecret-Gd9Lm3Xs6Bv1Qe"
BACKUP_PASSWORD = "backuppass-Nb4Qw8Ej2Zo"
# Every secret a page, an e-mail or a log line must never show.
SECRETS = (
    TEAM_KEY,
    *SANDBOX_KEYS,
    DJANGO_SECRET_KEY,
    DATABASE_PASSWORD,
    REDIS_PASSWORD,
    AWS_SECRET,
    BACKUP_PASSWORD,
)


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def _database_url(folder: Path) -> str:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return f"sqlite:///{folder / 'debug.sqlite3'}"
    # The maintenance database always exists; the server only checks migrations there.
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
    return f"postgres://{database['USER']}:{DATABASE_PASSWORD}@{host}:{port}/postgres"


@contextmanager
def running_debug_server(folder: Path) -> Iterator[WebServer]:
    redis = urlparse(settings.REDIS_URL)
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.leaky_settings",
        "WITHOUTBG_API_KEY": TEAM_KEY,
        "WITHOUTBG_SANDBOX_KEYS": ",".join(SANDBOX_KEYS),
        "SECRET_KEY": DJANGO_SECRET_KEY,
        "DATABASE_URL": _database_url(folder),
        "REDIS_URL": f"redis://:{REDIS_PASSWORD}@{redis.hostname}:{redis.port or 6379}{redis.path}",
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        # Any URL with a password, whatever its variable is called.
        "NIGHTLY_DUMP_TARGET": f"sftp://backup:{BACKUP_PASSWORD}@backup.example.com/dumps",
        # A secret value under an innocent name.
        "DEPLOY_NOTE": f"rotated {TEAM_KEY} on Monday",
    }
    with web_server(media_root=folder / "media", log_dir=folder, **env) as server:
        yield server
