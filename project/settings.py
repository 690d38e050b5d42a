"""Settings for Cutouts, read from the environment with working defaults.

Every variable read here has a line in the README. `manage.py runserver` works
with none of them set: SQLite under var/, Redis on localhost, DEBUG on.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    return env(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: int) -> int:
    return int(env(name, str(default)))


def envfloat(name: str, default: float) -> float:
    return float(env(name, str(default)))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", "true")

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY: it has no default when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_rq",
    "cutouts",
    # The vendor API's development sandbox (`manage.py withoutbg_sandbox`);
    # no product code imports it.
    "devtools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "project.headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CsrfViewMiddleware, which parses a POST body to find its token.
    "cutouts.processing.middleware.UploadBodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cutouts.sqlite3'}"),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # Web and worker processes share the file: WAL lets readers go on while one
    # writes, and IMMEDIATE transactions wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so worker processes started by tests can reach it;
    # one per test run, so runs side by side do not clash.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
# Processing on "default"; studio renders and export ZIPs on "renders", served
# by their own workers, so processing never waits behind a long render.
RQ_QUEUES = {
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600},
    "renders": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600},
    "webhooks": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60},
}
# Enqueue at once: the code decides when (uploads queue their job on commit
# themselves, and must see a Redis failure where they can handle it). Workers
# take over a killed worker's scheduler within minutes (cutouts.processing.queueing.Worker).
RQ = {"COMMIT_MODE": "auto", "WORKER_CLASS": "cutouts.processing.queueing.Worker"}
# The queue dashboard is linked as "Queue" at /admin/rq/; one link is enough.
RQ_SHOW_ADMIN_LINK = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "library"
LOGOUT_REDIRECT_URL = "login"

# Open sign-up is off: accounts come from admins or one-time invite links.
SIGNUP_OPEN = envbool("SIGNUP_OPEN", "false")
INVITE_TTL_DAYS = envint("INVITE_TTL_DAYS", 7)
# Failed sign-ins in the window before a username is locked for the client
# address that failed (never for everyone), and before an address is locked
# for every username: higher, so one person's typos do not lock out an office
# behind one address. Past the per-username ceiling, counted from all
# addresses, tries at that username are slowed by seconds, not refused.
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_ADDRESS_LIMIT = envint("LOGIN_FAILURE_ADDRESS_LIMIT", 20)
LOGIN_FAILURE_NAME_LIMIT = envint("LOGIN_FAILURE_NAME_LIMIT", 50)
LOGIN_FAILURE_WINDOW_SECONDS = envint("LOGIN_FAILURE_WINDOW_SECONDS", 900)
# Password reset e-mails: an attacker must not be able to flood someone's
# inbox, nor use the form to send mail in bulk. Over either limit the page
# answers as usual and sends nothing.
PASSWORD_RESET_ACCOUNT_LIMIT = envint("PASSWORD_RESET_ACCOUNT_LIMIT", 3)
PASSWORD_RESET_ADDRESS_LIMIT = envint("PASSWORD_RESET_ADDRESS_LIMIT", 10)
PASSWORD_RESET_WINDOW_SECONDS = envint("PASSWORD_RESET_WINDOW_SECONDS", 3600)

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "cutouts@localhost")

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Media is private: there is no MEDIA_URL route; files leave only through
# views that check who is asking.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Media on S3-compatible object storage (AWS S3, MinIO, R2…), so web and
# worker processes on several machines share it. Objects stay private: media
# still leaves only through Cutouts' own views.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
UPLOAD_MAX_PIXELS = envint("UPLOAD_MAX_PIXELS", 50_000_000)
# What one upload's decode may take in memory (width × height × the bytes a
# pixel takes, four times over for WebP), checked from the header before any
# decoding: 50 megapixels of RGBA. At most UPLOAD_MAX_CONCURRENT_DECODES run at
# once in a web process, so together they bound what uploads take of its memory;
# an upload that finds no free slot within UPLOAD_DECODE_WAIT_SECONDS gets a 503.
UPLOAD_MAX_DECODED_BYTES = envint("UPLOAD_MAX_DECODED_BYTES", 200 * 1024 * 1024)
UPLOAD_MAX_CONCURRENT_DECODES = envint("UPLOAD_MAX_CONCURRENT_DECODES", 2)
UPLOAD_DECODE_WAIT_SECONDS = envfloat("UPLOAD_DECODE_WAIT_SECONDS", 5.0)
# Longest side over shortest: a 4,000,000 × 1 strip passes the pixel limit but
# no preview, thumbnail or proxy of it can be made.
UPLOAD_MAX_ASPECT = envfloat("UPLOAD_MAX_ASPECT", 20.0)
# Django refuses larger request bodies before our validation can explain why;
# leave room for the multipart envelope around one file at the limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
LIBRARY_PAGE_SIZE = envint("LIBRARY_PAGE_SIZE", 48)
THUMBNAIL_SIZE = envint("THUMBNAIL_SIZE", 384)

WITHOUTBG_API_KEY = env("WITHOUTBG_API_KEY")
WITHOUTBG_BASE_URL = env("WITHOUTBG_BASE_URL", "https://api.withoutbg.com").rstrip("/")
# Seconds to wait for a processing call (the vendor advises at least 60) and
# for the credit balance.
WITHOUTBG_TIMEOUT = envint("WITHOUTBG_TIMEOUT", 60)
WITHOUTBG_CREDIT_TIMEOUT = envint("WITHOUTBG_CREDIT_TIMEOUT", 10)
# The vendor's pages say 7 calls a minute per key, its SDK 20: the stricter figure.
WITHOUTBG_RATE_LIMIT_PER_MINUTE = envint("WITHOUTBG_RATE_LIMIT_PER_MINUTE", 7)
# Keys the local sandbox API (manage.py withoutbg_sandbox) accepts.
WITHOUTBG_SANDBOX_KEYS = envlist("WITHOUTBG_SANDBOX_KEYS", "sandbox-key")
# "api" calls WITHOUTBG_BASE_URL; "local" makes mattes offline with the u2netp
# model (scripts/fetch-model.sh puts it in place). A relative path is taken
# from the repository root, as the script does.
MATTING_ENGINE = env("MATTING_ENGINE", "api")
MATTING_MODEL_PATH = BASE_DIR / env("MATTING_MODEL_PATH", "var/models/u2netp.onnx")

# Processing. A job that fails for a passing reason (429, 5xx, time-out) is
# retried with exponential back-off and jitter, at most PROCESS_MAX_ATTEMPTS
# times in all; a worker that dies mid-job is noticed after
# PROCESSING_STALE_SECONDS, which must exceed the longest job.
PROCESS_MAX_ATTEMPTS = envint("PROCESS_MAX_ATTEMPTS", 5)
PROCESS_BACKOFF_SECONDS = envfloat("PROCESS_BACKOFF_SECONDS", 4.0)
PROCESS_BACKOFF_MAX_SECONDS = envfloat("PROCESS_BACKOFF_MAX_SECONDS", 300.0)
PROCESS_JOB_TIMEOUT = envint("PROCESS_JOB_TIMEOUT", 240)
PROCESSING_STALE_SECONDS = envint("PROCESSING_STALE_SECONDS", 300)
# A paid answer is kept in Redis until its matte is stored, so a failure after
# it arrived is retried from it, not paid again; an admin may take weeks to
# retry. Malformed replies are kept as long, to show the vendor.
PAID_ANSWER_KEEP_DAYS = envfloat("PAID_ANSWER_KEEP_DAYS", 30.0)
SWEEP_INTERVAL_SECONDS = envint("SWEEP_INTERVAL_SECONDS", 60)
# A delayed job (a back-off retry, a wait for a rate-limit slot) still not run
# this long after its time has lost its scheduler (a killed worker holds RQ's
# scheduler lock for a minute or two); a periodic job, run twice as often,
# queues it. Schedulers look every second, so 10 s late is long lost.
SCHEDULED_JOB_GRACE_SECONDS = envint("SCHEDULED_JOB_GRACE_SECONDS", 10)
CREDIT_RECHECK_SECONDS = envint("CREDIT_RECHECK_SECONDS", 60)
RATE_LIMIT_TOLERANCE_SECONDS = envfloat("RATE_LIMIT_TOLERANCE_SECONDS", 1.5)
# A member with fewer images than this waiting goes ahead of large batches.
FAIR_SMALL_DROP = envint("FAIR_SMALL_DROP", 10)
# Credits: checked every CREDIT_REFRESH_SECONDS for the dashboard; admins are
# e-mailed once when they drop below CREDIT_LOW_THRESHOLD, and once when they
# expire within CREDIT_EXPIRY_WARNING_DAYS.
CREDIT_REFRESH_SECONDS = envint("CREDIT_REFRESH_SECONDS", 900)
CREDIT_LOW_THRESHOLD = envint("CREDIT_LOW_THRESHOLD", 50)
CREDIT_EXPIRY_WARNING_DAYS = envint("CREDIT_EXPIRY_WARNING_DAYS", 14)
PREVIEW_SIZE = envint("PREVIEW_SIZE", 1280)
# What one render may cost, refused with a message before it is queued (and
# checked again by the worker): output pixels (a full-size render of the
# largest upload must pass), how many times the photo may be enlarged, and
# the edge shift, feather and shadow blur in output pixels, which is what
# they cost (a 50 px shift on a photo enlarged 90 times is 4,500 px wide).
RENDER_MAX_PIXELS = envint("RENDER_MAX_PIXELS", 50_000_000)
RENDER_MAX_UPSCALE = envfloat("RENDER_MAX_UPSCALE", 10.0)
RENDER_MAX_EFFECT_PX = envint("RENDER_MAX_EFFECT_PX", 500)

# The studio. `make run` starts RENDER_WORKERS workers for the "renders" queue
# (the dashboard warns when none runs). A render still compositing after
# RENDER_JOB_TIMEOUT seconds is stopped and fails as too slow. Each member may
# have RENDER_MAX_IN_FLIGHT_PER_MEMBER renders on the queue at once; an
# export's renders are fed to it that many at a time, so a big export waits its
# turn instead of filling the queue.
RENDER_WORKERS = envint("RENDER_WORKERS", 1)
RENDER_JOB_TIMEOUT = envint("RENDER_JOB_TIMEOUT", 120)
RENDER_MAX_IN_FLIGHT_PER_MEMBER = envint("RENDER_MAX_IN_FLIGHT_PER_MEMBER", 4)

# The team API (/api/): requests a minute allowed per personal token and per
# member, all their tokens together, so more tokens do not buy more calls (0
# turns a limit off); live tokens a member may hold; and how long a processing
# call waits for its image before answering 504 (the image still finishes in
# the member's library).
API_TOKEN_RATE_LIMIT_PER_MINUTE = envint("API_TOKEN_RATE_LIMIT_PER_MINUTE", 60)
API_MEMBER_RATE_LIMIT_PER_MINUTE = envint("API_MEMBER_RATE_LIMIT_PER_MINUTE", 120)
API_TOKENS_PER_MEMBER = envint("API_TOKENS_PER_MEMBER", 10)
API_WAIT_SECONDS = envfloat("API_WAIT_SECONDS", 120.0)

# Webhooks of the asynchronous API (cutouts.teamapi.webhooks). A webhook URL is
# http(s), at most WEBHOOK_URL_MAX_LENGTH long, and every address its host
# resolves to must be public (loopback too while DEBUG is on), checked when it
# is given and again before each delivery, or inside WEBHOOK_ALLOWED_NETWORKS
# (CIDR list); WEBHOOK_ALLOWED_HOSTS, when set, also limits the host names
# ("hooks.example.com", or ".example.com" for it and its subdomains). A
# delivery gets WEBHOOK_TIMEOUT_SECONDS in all; failed ones are retried after
# WEBHOOK_RETRY_BASE_SECONDS, doubling (with jitter) up to
# WEBHOOK_RETRY_MAX_SECONDS, until WEBHOOK_GIVE_UP_HOURS after the event.
WEBHOOK_URL_MAX_LENGTH = envint("WEBHOOK_URL_MAX_LENGTH", 2000)
WEBHOOK_ALLOWED_NETWORKS = envlist("WEBHOOK_ALLOWED_NETWORKS", "")
WEBHOOK_ALLOWED_HOSTS = envlist("WEBHOOK_ALLOWED_HOSTS", "")
WEBHOOK_TIMEOUT_SECONDS = envfloat("WEBHOOK_TIMEOUT_SECONDS", 5.0)
WEBHOOK_RETRY_BASE_SECONDS = envfloat("WEBHOOK_RETRY_BASE_SECONDS", 30.0)
WEBHOOK_RETRY_MAX_SECONDS = envfloat("WEBHOOK_RETRY_MAX_SECONDS", 3600.0)
WEBHOOK_GIVE_UP_HOURS = envfloat("WEBHOOK_GIVE_UP_HOURS", 24.0)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG and envbool("SECURE_COOKIES", "true")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# Headers. Every response, media downloads, API answers and static files
# included, says what it is (nosniff), keeps its address to this site and
# shares no window with other sites. HSTS and the redirect to HTTPS are
# opt-in (README "Behind HTTPS"): both break a site that is not on HTTPS yet.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "false")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "false")
# Behind a proxy that ends TLS, the header it sets on HTTPS requests (for
# example X-Forwarded-Proto: https); trusted only when named, since anyone
# can send that header to a server that is reached directly.
_PROXY_SSL_HEADER = env("SECURE_PROXY_SSL_HEADER").strip().upper().replace("-", "_")
if _PROXY_SSL_HEADER and not _PROXY_SSL_HEADER.startswith("HTTP_"):
    _PROXY_SSL_HEADER = f"HTTP_{_PROXY_SSL_HEADER}"
SECURE_PROXY_SSL_HEADER = (_PROXY_SSL_HEADER, "https") if _PROXY_SSL_HEADER else None
# No inline script or style on our pages; project.headers relaxes style-src
# (and allows one hashed script) under /admin/ only, for Django's admin and
# django-rq's pages. Pictures come as data: and blob: URLs in the studio.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Secrets never reach a page, an e-mail or a log line, whatever DEBUG says:
# debug pages print settings, request.META (the whole environment under a
# WSGI server) and frame locals, and admins' error e-mails carry the same.
DEFAULT_EXCEPTION_REPORTER_FILTER = "project.safe_errors.SecretsFilter"
DEFAULT_EXCEPTION_REPORTER = "project.safe_errors.SecretsReporter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "scrub_secrets": {"()": "project.safe_errors.ScrubSecretsLogFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["scrub_secrets"]},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "scrub_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # httpx logs every request URL at INFO; keep it quiet so nothing about
        # the vendor call leaks into logs by accident.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # Django's own e-mail handler, with the secrets filter; its lines reach
        # the console through the root logger (its default console handler,
        # without the filter, would print django.request lines a second time).
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
    },
}
