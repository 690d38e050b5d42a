from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import pluralize

from cutouts.accounts.forms import AdminSignInForm
from cutouts.models import (
    Alert,
    ApiCall,
    ApiSubmission,
    ApiToken,
    Backdrop,
    BudgetNotice,
    CreditSnapshot,
    Export,
    Image,
    Invite,
    LoginFailure,
    Matte,
    MatteVersion,
    MemberBudget,
    Preset,
    ProcessingState,
    Render,
    TeamBudget,
    UploadBatch,
    WebhookAttempt,
    WebhookEvent,
)
from cutouts.processing.retrying import images_retry_failed
from cutouts.teamapi.tokens import token_revoke

# /admin/login/ is a second sign-in form; without this it would skip the throttle.
admin.site.login_form = AdminSignInForm


class RecordAdmin(admin.ModelAdmin):
    """Rows the app writes as records of what happened: look, or delete, never edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(UploadBatch)
class UploadBatchAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "created_at"]
    list_select_related = ["owner"]
    search_fields = ["owner__username"]
    raw_id_fields = ["owner"]
    date_hierarchy = "created_at"


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = [
        "original_name",
        "owner",
        "status",
        "format",
        "width",
        "height",
        "created_at",
    ]
    list_filter = ["status", "format"]
    list_select_related = ["owner"]
    search_fields = ["original_name", "owner__username", "sha256"]
    raw_id_fields = ["owner", "batch"]
    readonly_fields = ["sha256", "byte_size", "claimed_at", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]

    @admin.action(description="Retry selected failed images")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Image]) -> None:
        count = images_retry_failed(images_qs=queryset)
        skipped = queryset.count() - count
        message = f"{count} failed image{pluralize(count)} queued again."
        if skipped:
            message += f" {skipped} not failed, left as they were."
        self.message_user(request, message, messages.SUCCESS if count else messages.WARNING)


@admin.register(Matte)
class MatteAdmin(admin.ModelAdmin):
    list_display = ["image", "engine", "width", "height", "byte_size", "created_at"]
    list_filter = ["engine"]
    list_select_related = ["image"]
    search_fields = ["image__original_name", "image__owner__username"]
    raw_id_fields = ["image"]


@admin.register(Render)
class RenderAdmin(admin.ModelAdmin):
    list_display = ["id", "image", "format", "width", "height", "byte_size", "created_at"]
    list_filter = ["format"]
    list_select_related = ["image"]
    search_fields = ["image__original_name", "image__owner__username"]
    raw_id_fields = ["image"]


@admin.register(Preset)
class PresetAdmin(RecordAdmin):
    # Added on /presets/, where the spec is checked; here only looked at or deleted.
    list_display = ["name", "slug", "created_by", "created_at"]
    list_select_related = ["created_by"]
    search_fields = ["name", "slug"]


@admin.register(Export)
class ExportAdmin(RecordAdmin):
    list_display = ["id", "owner", "preset", "status", "total", "created_at"]
    list_filter = ["status", "preset"]
    list_select_related = ["owner"]
    search_fields = ["owner__username", "preset"]


@admin.register(Backdrop)
class BackdropAdmin(RecordAdmin):
    list_display = ["original_name", "owner", "width", "height", "created_at"]
    list_select_related = ["owner"]
    search_fields = ["original_name", "owner__username"]


@admin.register(ApiCall)
class ApiCallAdmin(RecordAdmin):
    list_display = [
        "created_at",
        "user",
        "endpoint",
        "engine",
        "outcome",
        "charge",
        "http_status",
        "latency_ms",
        "bytes_sent",
        "bytes_received",
    ]
    list_filter = ["outcome", "charge", "engine", "endpoint"]
    list_select_related = ["user"]
    search_fields = ["endpoint", "user__username", "error"]
    date_hierarchy = "created_at"


@admin.register(CreditSnapshot)
class CreditSnapshotAdmin(RecordAdmin):
    list_display = ["taken_at", "engine", "credit", "expires_at", "error"]
    list_filter = ["engine"]
    date_hierarchy = "taken_at"


@admin.register(Alert)
class AlertAdmin(RecordAdmin):
    list_display = ["kind", "active", "message", "changed_at", "emailed_at"]
    list_filter = ["active"]


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    """Invites are made on the Invites page, the only place that shows their link."""

    list_display = [
        "id",
        "email",
        "make_staff",
        "created_by",
        "created_at",
        "expires_at",
        "used_by",
    ]
    list_filter = ["make_staff", ("used_at", admin.EmptyFieldListFilter)]
    list_select_related = ["created_by", "used_by"]
    search_fields = ["email", "created_by__username", "used_by__username"]
    readonly_fields = ["token_hash", "created_by", "created_at", "used_at", "used_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(RecordAdmin):
    """Deleting a username's rows lifts its sign-in throttle."""

    list_display = ["username", "ip_address", "created_at"]
    search_fields = ["username", "ip_address"]
    date_hierarchy = "created_at"


@admin.register(ProcessingState)
class ProcessingStateAdmin(admin.ModelAdmin):
    list_display = ["pause", "detail", "paused_at", "checked_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made in the app or by manage.py create_api_token, the only places showing one."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        live = list(queryset.filter(revoked_at=None).select_related("user"))
        for token in live:
            token_revoke(token=token, by=request.user)
        self.message_user(request, f"{len(live)} token{pluralize(len(live))} revoked.")


class BudgetAdmin(RecordAdmin):
    """Budgets are set on the dashboard's Budgets page, which releases images waiting for them."""


@admin.register(TeamBudget)
class TeamBudgetAdmin(BudgetAdmin):
    list_display = ["monthly_credits"]


@admin.register(MemberBudget)
class MemberBudgetAdmin(BudgetAdmin):
    list_display = ["user", "monthly_credits", "updated_at"]
    list_select_related = ["user"]
    search_fields = ["user__username"]


@admin.register(BudgetNotice)
class BudgetNoticeAdmin(RecordAdmin):
    """Deleting a member's row for this month lets the next overrun e-mail the admins again."""

    list_display = ["user", "month", "created_at"]
    list_select_related = ["user"]


@admin.register(MatteVersion)
class MatteVersionAdmin(RecordAdmin):
    """Made and restored on the image's page, which also remakes its cutout and previews."""

    list_display = ["image", "number", "source", "engine", "created_by", "created_at"]
    list_filter = ["source"]
    list_select_related = ["image", "created_by"]
    search_fields = ["image__original_name"]


@admin.register(ApiSubmission)
class ApiSubmissionAdmin(RecordAdmin):
    list_display = ["image", "user", "token", "preset", "webhook_url", "created_at"]
    list_select_related = ["image", "user", "token"]
    search_fields = ["image__original_name", "user__username", "idempotency_key"]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["number", "http_status", "ok", "latency_ms", "error", "manual", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(WebhookEvent)
class WebhookEventAdmin(RecordAdmin):
    """Sent again from the member's webhooks page, which checks the address afresh."""

    list_display = ["kind", "submission", "status", "attempts", "next_attempt_at", "created_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["submission__image"]
    inlines = [WebhookAttemptInline]


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(RecordAdmin):
    list_display = ["event", "number", "http_status", "ok", "latency_ms", "created_at"]
    list_select_related = ["event__submission__image"]
