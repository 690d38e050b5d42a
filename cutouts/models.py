"""The pipeline's data: upload batch → image → matte → renders, and the ledger of API calls."""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils import timezone

from cutouts.lib.filenames import safe_stem


def _stored_name(prefix: str, filename: str) -> str:
    # Stored names never reuse the member's file name: no collisions, nothing
    # guessable, no path tricks. The original name lives in a column instead.
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    key = uuid.uuid4().hex
    return f"{prefix}/{key[:2]}/{key}{suffix}"


def original_path(instance: "Image", filename: str) -> str:
    return _stored_name("originals", filename)


def thumbnail_path(instance: "Image", filename: str) -> str:
    return _stored_name("thumbnails", filename)


def preview_path(instance: "Image", filename: str) -> str:
    return _stored_name("previews", filename)


def matte_path(instance: "Matte", filename: str) -> str:
    return _stored_name("mattes", filename)


def matte_version_path(instance: "MatteVersion", filename: str) -> str:
    return _stored_name("matte-versions", filename)


def render_path(instance: "Render", filename: str) -> str:
    return _stored_name("renders", filename)


def export_path(instance: "Export", filename: str) -> str:
    return _stored_name("exports", filename)


def backdrop_path(instance: "Backdrop", filename: str) -> str:
    return _stored_name("backdrops", filename)


class UploadBatch(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="batches"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"Batch {self.pk} by {self.owner}"


class Image(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        WAITING_CREDITS = "waiting_credits", "Waiting for credits"
        # Its member's monthly credit budget is spent: it waits for a raise or
        # the next month (cutouts.processing.budgets).
        OVER_BUDGET = "over_budget", "Over budget"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images"
    )
    batch = models.ForeignKey(
        UploadBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="images"
    )
    original = models.FileField(upload_to=original_path, max_length=255)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    format = models.CharField(max_length=10)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    byte_size = models.PositiveBigIntegerField()
    thumbnail = models.FileField(upload_to=thumbnail_path, max_length=255, blank=True)
    # Display-size transparent WebP made with the matte, for pages and the studio.
    preview = models.FileField(upload_to=preview_path, max_length=255, blank=True)
    # The cutout at thumbnail size, so a page of library cards stays light.
    cutout_thumbnail = models.FileField(upload_to=thumbnail_path, max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.QUEUED)
    status_reason = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when a worker claims the image; the sweeper puts back images whose
    # worker died, judged by how long ago this was.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The RQ job that will process the image next; the sweeper re-enqueues
    # images whose job Redis no longer knows (Redis down at upload, or flushed).
    job_id = models.CharField(max_length=64, blank=True)
    # Its place in the fair order of API calls (cutouts.processing.scheduling):
    # urgent images first, then by fair_seq, which interleaves members.
    fair_seq = models.BigIntegerField(default=0)
    urgent = models.BooleanField(default=False)
    # Not to be called for before this (a retry's back-off, a twin's wait).
    not_before = models.DateTimeField(null=True, blank=True)
    # Its matte looked doubtful when stored (cutouts.lib.matte_review): why, in
    # words, one reason a line. Cleared when a member marks it reviewed or touches it up.
    needs_review = models.BooleanField(default=False)
    review_reasons = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "needs_review", "-created_at"]),
            models.Index(fields=["status", "-urgent", "fair_seq", "id"], name="image_fair_order"),
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["owner", "status", "-created_at"]),
            models.Index(fields=["status", "updated_at"]),
            models.Index(fields=["-created_at"]),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def stem(self) -> str:
        """The original's name without extension, safe in a ZIP or a download on any system."""
        return safe_stem(PurePosixPath(self.original_name).stem, fallback=f"image-{self.pk}")


class Matte(models.Model):
    """The image's current matte, which the cutout, previews and every render use."""

    image = models.OneToOneField(Image, on_delete=models.CASCADE, related_name="matte")
    file = models.FileField(upload_to=matte_path, max_length=255)
    engine = models.CharField(max_length=40)
    # Which of the image's MatteVersions this is a copy of; 1, the engine's,
    # until a member touches it up (versions are kept from the first touch-up).
    version = models.PositiveIntegerField(default=1)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    byte_size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Matte of {self.image}"


class MatteVersion(models.Model):
    """One kept version of an image's matte: the engine's, or a member's touch-up."""

    class Source(models.TextChoices):
        ENGINE = "engine", "Made by the engine"
        TOUCH_UP = "touch_up", "Touched up by hand"

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="matte_versions")
    number = models.PositiveIntegerField()
    source = models.CharField(max_length=20, choices=Source)
    engine = models.CharField(max_length=40)  # the engine whose matte it starts from
    file = models.FileField(upload_to=matte_version_path, max_length=255)
    byte_size = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["image", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["image", "number"], name="one_matte_version_number")
        ]

    def __str__(self) -> str:
        return f"Matte version {self.number} of {self.image}"


class Preset(models.Model):
    """A team preset an admin added; the built-in ones live in code (cutouts.lib.render_spec)."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    spec = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Backdrop(models.Model):
    """A background picture a member uploaded for the studio (never sent to the API)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="backdrops"
    )
    file = models.FileField(upload_to=backdrop_path, max_length=255)
    original_name = models.CharField(max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class Export(models.Model):
    """One preset applied to many images, delivered as one ZIP."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports"
    )
    preset = models.CharField(max_length=80)  # the preset's slug, for file names
    spec = models.JSONField()
    status = models.CharField(max_length=20, choices=Status, default=Status.RUNNING)
    total = models.PositiveIntegerField(default=0)
    archive = models.FileField(upload_to=export_path, max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.preset})"


class Render(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="renders")
    export = models.ForeignKey(
        Export, on_delete=models.SET_NULL, null=True, blank=True, related_name="renders"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    preset = models.CharField(max_length=80, blank=True)  # slug, for the download name
    spec = models.JSONField()
    status = models.CharField(max_length=20, choices=Status, default=Status.DONE)
    # An export's render not on the job queue yet: exports feed their renders
    # to it a few at a time (cutouts.studio.services), so one member cannot fill it.
    waiting = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)
    # The matte version it was made from: an older one than the image's
    # current matte means "made from an earlier matte".
    matte_version = models.PositiveIntegerField(default=1)
    # An export render's marketplace checks: [{"name", "passed", "detail"}, ...]
    # (cutouts.lib.marketplace); empty for presets with no marketplace rules.
    checks = models.JSONField(default=list, blank=True)
    file = models.FileField(upload_to=render_path, max_length=255, blank=True)
    format = models.CharField(max_length=10, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    byte_size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["image", "-created_at"]),
            # A member's renders on the way, counted at every Save.
            models.Index(fields=["created_by", "status"]),
        ]

    def __str__(self) -> str:
        return f"Render {self.pk} of {self.image}"

    @property
    def download_name(self) -> str:
        """<original's stem>-<preset>.<ext>: what members download it as."""
        extension = {"JPEG": "jpg"}.get(self.format, self.format.lower())
        return f"{self.image.stem}-{self.preset or 'render'}.{extension}"


class ApiCall(models.Model):
    """One row per call the pipeline made, or avoided, to the matting engine.

    The row is written before the call is sent and completed when the answer
    arrives, so a call whose worker died on the way is still on the ledger.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        ERROR = "error", "Error"
        CACHE_HIT = "cache_hit", "Cache hit"
        SENT = "sent", "Sent, no answer recorded"

    class Charge(models.TextChoices):
        # The values of cutouts.lib.withoutbg.client.Charge, which decides them.
        CHARGED = "charged", "Charged"
        MAYBE = "maybe", "Maybe charged"
        FREE = "free", "Free"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="api_calls",
    )
    image = models.ForeignKey(
        Image, on_delete=models.SET_NULL, null=True, blank=True, related_name="api_calls"
    )
    endpoint = models.CharField(max_length=100)
    engine = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome)
    # Spend is charged plus maybe rows: what the vendor may have taken, so it
    # reconciles with the balance (a maybe is a call sent in full that never
    # got its answer, a time-out or a worker killed mid-call).
    charge = models.CharField(max_length=10, choices=Charge, default=Charge.FREE)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    bytes_sent = models.PositiveBigIntegerField(default=0)
    bytes_received = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["outcome", "created_at"]),
            models.Index(fields=["charge", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.outcome} at {self.created_at:%Y-%m-%d %H:%M}"


class Invite(models.Model):
    """A one-time sign-up link an admin hands to a new member.

    Only the SHA-256 of the token is stored, so a database leak yields no
    usable links.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(blank=True)
    make_staff = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invites_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invite_used",
    )

    def __str__(self) -> str:
        return f"Invite {self.email or self.pk}"


class LoginFailure(models.Model):
    """A failed sign-in, kept for the throttle window (see cutouts.accounts.services)."""

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} from {self.ip_address}"


class ProcessingState(models.Model):
    """The one row saying whether all processing is paused, and why.

    A pause comes from the API refusing the key (401) or having no usable
    credit (402, 403); it lasts until a credit check shows the API will work.
    """

    class Pause(models.TextChoices):
        NONE = "", "Running"
        INVALID_KEY = "invalid_key", "The API key was refused"
        NO_CREDIT = "no_credit", "Out of credits"
        EXPIRED = "expired", "Credits expired"

    pause = models.CharField(max_length=20, choices=Pause, default=Pause.NONE, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.get_pause_display()

    @classmethod
    def load(cls) -> "ProcessingState":
        state, _ = cls.objects.get_or_create(pk=1)
        return state


class CreditSnapshot(models.Model):
    """The credit balance as the engine reported it, or why it could not."""

    engine = models.CharField(max_length=40)
    credit = models.IntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # When the check was sent, and when its answer came: the vendor read the
    # balance in between. Paid calls answered after taken_at are counted off
    # `credit` (processing.credits).
    taken_at = models.DateTimeField(default=timezone.now, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # `credit` minus what Cutouts' own calls since the check before explain:
    # below zero, someone else spent on the key; above, a top-up or
    # maybe-charged calls that were not. None when there was no check before.
    difference = models.IntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.credit} credits at {self.taken_at:%Y-%m-%d %H:%M}"


class Alert(models.Model):
    """An alert condition that is on or off, so admins are told once per crossing."""

    kind = models.CharField(max_length=40, unique=True)
    active = models.BooleanField(default=False)
    message = models.CharField(max_length=500, blank=True)
    changed_at = models.DateTimeField(auto_now=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} ({'on' if self.active else 'off'})"


class ApiToken(models.Model):
    """A member's personal token for the team API; only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)  # shown in lists to tell tokens apart
    # Signs the webhooks of images sent with this token (cutouts.lib.webhook_signing).
    # Kept as is, like Stripe's and GitHub's: signing needs the secret itself.
    webhook_secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ApiSubmission(models.Model):
    """An image sent through the asynchronous API, and how to tell its sender about it."""

    image = models.OneToOneField(Image, on_delete=models.CASCADE, related_name="submission")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    # Its webhooks stop when the token is revoked; the image still finishes.
    token = models.ForeignKey(
        ApiToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="submissions"
    )
    idempotency_key = models.CharField(max_length=255, blank=True)
    preset = models.CharField(max_length=80, blank=True)  # rendered once the image is done
    render = models.ForeignKey(
        Render, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    webhook_url = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One image per key and member, however many times, or at once, it is sent.
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="one_image_per_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"Submission of {self.image}"


class WebhookEvent(models.Model):
    """One event for a submission's webhook, delivered until its receiver says 2xx."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"
        STOPPED = "stopped", "Stopped: token revoked"

    submission = models.ForeignKey(
        ApiSubmission, on_delete=models.CASCADE, related_name="webhook_events"
    )
    kind = models.CharField(max_length=40)  # image.done, image.failed, render.ready, ...
    url = models.CharField(max_length=2000)
    payload = models.TextField()  # the exact JSON body, the same on every attempt
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["submission", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.submission.image_id}"


class WebhookAttempt(models.Model):
    """One try at delivering an event: what the receiver answered, and how fast."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField()
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    manual = models.BooleanField(default=False)  # "Send again" by the member
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event", "number"]

    def __str__(self) -> str:
        return f"Attempt {self.number} of {self.event}"


class TeamBudget(models.Model):
    """The one row with the team's default monthly credit budget per member."""

    monthly_credits = models.PositiveIntegerField(null=True, blank=True)  # None: unlimited

    def __str__(self) -> str:
        return f"{self.monthly_credits} credits a month" if self.monthly_credits else "Unlimited"

    @classmethod
    def load(cls) -> "TeamBudget":
        budget, _ = cls.objects.get_or_create(pk=1)
        return budget


class MemberBudget(models.Model):
    """A member's own monthly budget, in place of the team's default."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="budget"
    )
    monthly_credits = models.PositiveIntegerField(null=True, blank=True)  # None: unlimited
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Budget of {self.user}"


class BudgetNotice(models.Model):
    """Admins were told that a member ran out of budget this month (once per month)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # its first day
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="one_budget_notice_a_month")
        ]

    def __str__(self) -> str:
        return f"{self.user} over budget in {self.month:%Y-%m}"
