"""The studio: renders, batch exports, background pictures and team presets.

Everything here works from the stored original and its matte: the studio
never calls the matting API. Pixels are composited in cutouts.lib.compositor;
this module decides what to render, queues it, stores the result and zips
exports. The jobs in cutouts.jobs load ids and call render_run / export_zip.
"""

import csv
import io
import logging
import shutil
import signal
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image as PILImage
from redis.exceptions import RedisError
from rq.timeouts import JobTimeoutException

from cutouts.lib import compositor, proxy
from cutouts.lib.marketplace import check_file
from cutouts.lib.presets import BUILTIN_PRESETS
from cutouts.lib.render_spec import RenderSpec, SpecError, parse_spec
from cutouts.models import Backdrop, Export, Image, Matte, Preset, Render
from cutouts.processing.outputs import display_size
from cutouts.processing.queueing import (
    enqueue_export,
    enqueue_render,
    export_job_id,
    jobs_lost,
    render_job_id,
    timed_out_after,
)
from cutouts.processing.signals import render_finished
from cutouts.processing.uploads import EXTENSIONS, UploadRejected, check_image, format_bytes
from cutouts.storage import new_files

logger = logging.getLogger(__name__)

# The preset slug of a render made from the studio's controls, for its file name.
CUSTOM = "custom"
DISPLAY_JPEG_QUALITY = 88
QUEUE_AWAY = "The job queue is unavailable right now. Try again in a moment."
RENDER_STOPPED = "The render stopped before it finished. Save it again."
RENDER_TOO_SLOW = (
    "The render took longer than {seconds} s and was stopped. "
    "Try a smaller size or lighter effects."
)
# A job is queued just after its transaction commits; give it that long before
# judging that Redis lost it.
_SWEEP_GRACE = timedelta(seconds=30)


class StudioError(ValueError):
    """A request the studio refuses; the message is for the member, as it is."""


class RenderLimitReached(StudioError):
    """The member has as many renders on the queue as they may: nothing was created."""


class _RenderFailed(Exception):
    """Ends one render as failed, with a message for the member."""


@dataclass(frozen=True)
class PresetChoice:
    slug: str
    name: str
    spec: dict[str, Any]
    builtin: bool


@dataclass(frozen=True)
class ExportCreated:
    export: Export
    skipped: int  # chosen images with no matte yet, left out


@dataclass(frozen=True)
class ExportProgress:
    total: int
    done: int
    failed: int

    @property
    def finished(self) -> int:
        return self.done + self.failed

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.total) if self.total else 100


# Presets


def preset_list() -> list[PresetChoice]:
    """The built-in presets, then the team's, as every member sees them."""
    builtin = [
        PresetChoice(preset.slug, preset.name, preset.spec.to_json(), builtin=True)
        for preset in BUILTIN_PRESETS.values()
    ]
    team = [
        PresetChoice(preset.slug, preset.name, preset.spec, builtin=False)
        for preset in Preset.objects.all()
    ]
    return builtin + team


def preset_get(slug: str) -> PresetChoice:
    if slug in BUILTIN_PRESETS:
        preset = BUILTIN_PRESETS[slug]
        return PresetChoice(preset.slug, preset.name, preset.spec.to_json(), builtin=True)
    team = Preset.objects.filter(slug=slug).first()
    if team is None:
        raise StudioError("There is no such preset. It may have been deleted.")
    return PresetChoice(team.slug, team.name, team.spec, builtin=False)


def preset_create(
    *, name: str, spec: RenderSpec | dict[str, Any], created_by: AbstractBaseUser
) -> Preset:
    """Add a team preset (admins only: the view checks). Raises StudioError or SpecError."""
    name = name.strip()
    # Cut to the column: "ﬃ" is one character of a name and three of its slug.
    slug = slugify(name)[: Preset._meta.get_field("slug").max_length].strip("-")
    if not slug:
        raise StudioError("Give the preset a name with at least one letter or digit.")
    if (
        slug in (*BUILTIN_PRESETS, CUSTOM)
        or Preset.objects.filter(Q(slug=slug) | Q(name__iexact=name)).exists()
    ):
        raise StudioError(f"A preset called “{name}” exists already. Choose another name.")
    spec = parse_spec(spec)
    if spec.background.type == "image":
        # Background pictures belong to one member; nobody else could use it.
        raise SpecError("A team preset cannot use a background picture.")
    compositor.check_cost(spec, render_limits())
    return Preset.objects.create(name=name, slug=slug, spec=spec.to_json(), created_by=created_by)


def preset_delete(*, slug: str) -> bool:
    """Remove a team preset; renders made with it keep their files. False if none."""
    deleted, _ = Preset.objects.filter(slug=slug).delete()
    return deleted > 0


# Renders


def render_create(
    *,
    image: Image,
    spec_or_preset: str | RenderSpec | dict[str, Any],
    user: AbstractBaseUser,
    limit_in_flight: bool = True,
) -> Render:
    """Queue a full-size render of `image`: a preset's slug, or a spec (typed, or its JSON).

    Raises StudioError or SpecError, with a message for the member, before
    anything is stored. `limit_in_flight=False` skips the member's limit of
    renders on the queue: for the preset render of an image sent through the
    asynchronous API, which come one per image, at the pace images are
    processed, so cannot flood the queue, and must not fail because the
    member is busy in the studio.
    """
    slug, spec = _resolve(spec_or_preset)
    return _render_queue(
        image=image, slug=slug, spec=spec, user=user, limit_in_flight=limit_in_flight
    )


def render_again(*, render: Render, user: AbstractBaseUser) -> Render:
    """Queue `render` again, with its own settings, from the image's current matte.

    For a render made from an earlier matte. Its spec is checked again: a
    limit may have changed since. Raises StudioError or SpecError.
    """
    return _render_queue(
        image=render.image, slug=render.preset, spec=parse_spec(render.spec), user=user
    )


def _render_queue(
    *,
    image: Image,
    slug: str,
    spec: RenderSpec,
    user: AbstractBaseUser,
    limit_in_flight: bool = True,
) -> Render:
    matte = Matte.objects.filter(image=image).first()
    if matte is None:
        raise StudioError("This image is not processed yet: the studio needs its cutout.")
    compositor.check_cost(spec, render_limits(), size=(image.width, image.height))
    _check_backdrop(spec, user)
    with transaction.atomic():
        if limit_in_flight:
            _lock_member(user.pk)
            _check_in_flight(user.pk)
        render = Render.objects.create(
            image=image,
            created_by=user,
            preset=slug,
            spec=spec.to_json(),
            status=Render.Status.QUEUED,
            # What it will most likely be made from; the render records the
            # version it was actually made from when it runs.
            matte_version=matte.version,
        )
        transaction.on_commit(partial(_queue_render, render.pk))
    return render


def _resolve(spec_or_preset: str | RenderSpec | dict[str, Any]) -> tuple[str, RenderSpec]:
    if isinstance(spec_or_preset, str):
        preset = preset_get(spec_or_preset)
        return preset.slug, parse_spec(preset.spec)
    return CUSTOM, parse_spec(spec_or_preset)


def render_limits() -> compositor.RenderLimits:
    return compositor.RenderLimits(
        max_pixels=settings.RENDER_MAX_PIXELS,
        max_upscale=settings.RENDER_MAX_UPSCALE,
        max_effect_px=settings.RENDER_MAX_EFFECT_PX,
    )


def _check_backdrop(spec: RenderSpec, user: AbstractBaseUser) -> None:
    background = spec.background
    if background.type != "image":
        return
    if not Backdrop.objects.filter(pk=background.backdrop_id, owner=user).exists():
        raise StudioError("Choose one of your own background pictures.")


def _lock_member(member_id: int) -> None:
    # Saves and export feeding of one member take turns, so two at once
    # cannot both see room for one more render.
    list(get_user_model().objects.select_for_update().filter(pk=member_id).values_list("pk"))


def _in_flight(member_id: int) -> int:
    """The member's renders on the job queue or running, export renders fed to it included."""
    return Render.objects.filter(
        created_by_id=member_id, status=Render.Status.QUEUED, waiting=False
    ).count()


def _check_in_flight(member_id: int) -> None:
    limit = settings.RENDER_MAX_IN_FLIGHT_PER_MEMBER
    in_flight = _in_flight(member_id)
    if in_flight >= limit:
        raise RenderLimitReached(
            f"You have {in_flight} renders on the way already, the most at once. "
            "Save again when one has finished."
        )


def _queue_render(render_id: int) -> None:
    try:
        enqueue_render(render_id)
    except RedisError:
        logger.warning("Redis is unavailable; render %s could not be queued", render_id)
        _fail(render_id, QUEUE_AWAY)


def render_run(*, render_id: int) -> None:
    """Composite one queued render at full size and store it; failures end it as failed."""
    render = Render.objects.filter(pk=render_id, status=Render.Status.QUEUED).first()
    if render is None:
        return
    try:
        _render(render)
    except _RenderFailed as failure:
        _fail(render.pk, str(failure))
    except JobTimeoutException:
        # RQ stopped it at RENDER_JOB_TIMEOUT (cutouts.processing.queueing), perhaps in the
        # middle of a query: start afresh on a new database connection.
        logger.warning("Render %s stopped: it ran past its time-out", render_id)
        connection.close()
        _fail(render.pk, RENDER_TOO_SLOW.format(seconds=settings.RENDER_JOB_TIMEOUT))
        raise
    except Exception:
        logger.exception("Render %s failed unexpectedly", render_id)
        _fail(render.pk, "Something went wrong while rendering. Try again.")
        raise
    finally:
        # Its place on the queue is free: the member's next export render may go.
        if render.created_by_id:
            _feed_export_renders(render.created_by_id)
        if render.export_id:
            _export_advance(render.export_id)


def _render(render: Render) -> None:
    # Checked again here: the spec was checked when queued, but a preset's
    # rules or the limits may have changed since, and the subject's box is
    # only known once the matte is read (compositor.render checks that).
    limits = render_limits()
    try:
        spec = parse_spec(render.spec)
        compositor.check_cost(spec, limits, size=(render.image.width, render.image.height))
    except SpecError as error:
        raise _RenderFailed(str(error)) from error
    matte_row = Matte.objects.filter(image_id=render.image_id).first()
    if matte_row is None:
        raise _RenderFailed("This image has no cutout any more. Process it again.")
    backdrop = _backdrop_picture(spec, render.created_by_id)
    try:
        with render.image.original.open("rb") as stored:
            original = proxy.open_upright(stored.read())
        with matte_row.file.open("rb") as stored, PILImage.open(stored) as matte_file:
            matte = matte_file.convert("L")
    except (OSError, ValueError) as error:
        raise _RenderFailed("The original or its cutout could not be read.") from error
    if matte.size != original.size:
        matte = proxy.upscale_matte(matte, original.size)
    try:
        rendered = compositor.render(original, matte, spec, backdrop=backdrop, limits=limits)
    except SpecError as error:
        raise _RenderFailed(str(error)) from error
    checks = _marketplace_checks(render, rendered)
    # The time-out bounds the compositing and checks, which are done: a stop from here on
    # could land between the row's update and the end of this function, and
    # leave a render marked done whose file was deleted.
    signal.alarm(0)
    storage = render.file.storage
    stored_as = render.file.field.generate_filename(render, f"render.{spec.output.extension}")
    try:
        stored_as = storage.save(stored_as, ContentFile(rendered.data))
        finished = Render.objects.filter(pk=render.pk, status=Render.Status.QUEUED).update(
            status=Render.Status.DONE,
            checks=checks,
            error="",
            file=stored_as,
            format=rendered.format,
            width=rendered.width,
            height=rendered.height,
            byte_size=len(rendered.data),
            matte_version=matte_row.version,
        )
    except BaseException:
        # Stopped while storing (its time-out) or not recorded: no file
        # without its row, whole or half-written.
        if storage.exists(stored_as):
            storage.delete(stored_as)
        raise
    if not finished:
        # Someone else settled it meanwhile (the sweep): theirs stands.
        storage.delete(stored_as)
        return
    _announce(render.pk, Render.Status.DONE)


def _marketplace_checks(render: Render, rendered: compositor.Rendered) -> list[dict[str, Any]]:
    """An export render's checks against its preset's marketplace rules; [] when it has none."""
    preset = BUILTIN_PRESETS.get(render.preset)
    if render.export_id is None or preset is None or preset.rules is None:
        return []
    checks = check_file(rendered.data, file_format=rendered.format, rules=preset.rules)
    return [asdict(check) for check in checks]


def _backdrop_picture(spec: RenderSpec, user_id: int | None) -> PILImage.Image | None:
    background = spec.background
    if background.type != "image":
        return None
    backdrop = Backdrop.objects.filter(pk=background.backdrop_id, owner_id=user_id).first()
    if backdrop is None:
        raise _RenderFailed("The background picture is gone. Choose another one.")
    try:
        with backdrop.file.open("rb") as stored:
            return proxy.open_upright(stored.read())
    except (OSError, ValueError) as error:
        raise _RenderFailed("The background picture could not be read.") from error


def _fail(render_id: int, message: str) -> None:
    failed = Render.objects.filter(pk=render_id, status=Render.Status.QUEUED).update(
        status=Render.Status.FAILED, error=message[:500]
    )
    if failed:
        _announce(render_id, Render.Status.FAILED)


def _announce(render_id: int, status: str) -> None:
    transaction.on_commit(
        lambda: render_finished.send(sender=Render, render_id=render_id, status=status)
    )


def renders_for_image(image: Image) -> QuerySet[Render]:
    """The image's renders, newest first, those made for exports aside."""
    return image.renders.filter(export=None).order_by("-created_at", "-pk")


# Exports


def export_create(*, user: AbstractBaseUser, images: QuerySet[Image], preset: str) -> ExportCreated:
    """One render per processed image in `images`, zipped when all have finished.

    `images` must already be limited to those the user may see. Raises
    StudioError when none of them is processed, and SpecError, naming the
    image, when the preset would cost one of them more than the render limits
    allow: the member chooses what to leave out, rather than finding it missing.
    """
    chosen = preset_get(preset)
    spec = parse_spec(chosen.spec)
    picked = list(
        images.values_list("pk", "matte__pk", "original_name", "width", "height", "matte__version")
    )
    ready = [image_id for image_id, matte_id, *_ in picked if matte_id is not None]
    versions = {image_id: version for image_id, *_, version in picked}
    if not ready:
        raise StudioError("None of these images is processed yet, so there is nothing to export.")
    limits = render_limits()
    for _, matte_id, name, width, height, _ in picked:
        if matte_id is not None:
            try:
                compositor.check_cost(spec, limits, size=(width, height))
            except SpecError as error:
                raise SpecError(f"{name}: {error}") from error
    with transaction.atomic():
        export = Export.objects.create(
            owner=user, preset=chosen.slug, spec=spec.to_json(), total=len(ready)
        )
        Render.objects.bulk_create(
            Render(
                image_id=image_id,
                export=export,
                created_by=user,
                preset=chosen.slug,
                spec=export.spec,
                status=Render.Status.QUEUED,
                waiting=True,
                matte_version=versions[image_id],
            )
            for image_id in ready
        )
        transaction.on_commit(partial(_feed_export_renders, user.pk))
    return ExportCreated(export=export, skipped=len(picked) - len(ready))


def _export_room(limit: int) -> int:
    """How many of a member's renders on the queue at once may be export renders.

    One place is kept free for a Save in the studio while an export runs. An
    export of hundreds of images thus never fills the queue: every render of
    another member waits behind a few of this member's, not all of them.
    """
    return max(1, limit - 1)


def _feed_export_renders(member_id: int) -> None:
    """Put the member's waiting export renders on the queue, oldest first, while there is room."""
    try:
        with transaction.atomic():
            _lock_member(member_id)
            room = _export_room(settings.RENDER_MAX_IN_FLIGHT_PER_MEMBER) - _in_flight(member_id)
            if room <= 0:
                return
            fed = list(
                Render.objects.filter(
                    created_by_id=member_id, status=Render.Status.QUEUED, waiting=True
                )
                .order_by("pk")
                .values_list("pk", flat=True)[:room]
            )
            Render.objects.filter(pk__in=fed).update(waiting=False)
            # Queued before the commit, so the sweep never sees a fed render
            # without its job; a render whose job runs first just runs.
            for render_id in fed:
                enqueue_render(render_id)
    except RedisError:
        # They stay waiting; the sweep feeds them once Redis is back.
        logger.warning("Redis is unavailable; export renders of member %s wait", member_id)


def export_progress(export: Export) -> ExportProgress:
    counts = export.renders.aggregate(
        done=Count("pk", filter=Q(status=Render.Status.DONE)),
        failed=Count("pk", filter=Q(status=Render.Status.FAILED)),
    )
    return ExportProgress(total=export.total, done=counts["done"], failed=counts["failed"])


@dataclass(frozen=True)
class CheckedFile:
    render: Render

    @property
    def passed(self) -> bool:
        return all(check["passed"] for check in self.render.checks)


@dataclass(frozen=True)
class ExportChecks:
    """An export's files against its preset's marketplace rules, failing ones first."""

    marketplace: str
    files: list[CheckedFile]

    @property
    def passed(self) -> int:
        return sum(checked.passed for checked in self.files)

    @property
    def failed(self) -> int:
        return len(self.files) - self.passed


def export_checks(export: Export) -> ExportChecks | None:
    """None when the export's preset has no marketplace rules."""
    preset = BUILTIN_PRESETS.get(export.preset)
    if preset is None or preset.rules is None:
        return None
    renders = export.renders.filter(status=Render.Status.DONE).select_related("image")
    files = [CheckedFile(render) for render in renders.order_by("pk")]
    # Failing files first, each group in upload order (the sort is stable).
    return ExportChecks(
        marketplace=preset.rules.marketplace,
        files=sorted(files, key=lambda checked: checked.passed),
    )


def _export_advance(export_id: int) -> None:
    # Every render checks after it has settled, so the last one to settle
    # always sees none left queued or waiting; two may both see it, and
    # export_zip makes sure only one archive is kept.
    if Render.objects.filter(export_id=export_id, status=Render.Status.QUEUED).exists():
        return
    try:
        enqueue_export(export_id)
    except RedisError:
        logger.warning("Redis is unavailable; export %s will be zipped by the sweep", export_id)


def export_zip(*, export_id: int) -> None:
    """Zip a running export's finished renders, once none is left queued."""
    export = Export.objects.filter(pk=export_id, status=Export.Status.RUNNING).first()
    if export is None or export.renders.filter(status=Render.Status.QUEUED).exists():
        return
    renders = export.renders.filter(status=Render.Status.DONE).select_related("image")
    if not renders.exists():
        _export_failed(export.pk)
        return
    try:
        _archive(export, renders)
    except Exception:
        logger.exception("Zipping export %s failed", export_id)
        _export_failed(export.pk)
        raise


def _export_failed(export_id: int) -> None:
    Export.objects.filter(pk=export_id, status=Export.Status.RUNNING).update(
        status=Export.Status.FAILED, updated_at=timezone.now()
    )


def _archive(export: Export, renders: QuerySet[Render]) -> None:
    with new_files() as files:
        with tempfile.TemporaryFile() as spool:
            _write_zip(spool, renders.order_by("pk"), preset=export.preset)
            spool.seek(0)
            files.save(export.archive, "export.zip", File(spool))
        finished = Export.objects.filter(pk=export.pk, status=Export.Status.RUNNING).update(
            status=Export.Status.DONE, archive=export.archive.name, updated_at=timezone.now()
        )
    if not finished:
        export.archive.storage.delete(export.archive.name)


def _write_zip(spool: Any, renders: Iterable[Render], *, preset: str) -> None:
    taken: set[str] = set()
    manifest = io.StringIO()
    rows = csv.writer(manifest)
    rows.writerow(MANIFEST_COLUMNS)
    # Images are compressed already: storing them is as small, and much faster.
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
        for render in renders:
            # The image's stem is already safe on Windows (cutouts.lib.filenames).
            name = _unique_name(f"{render.image.stem}-{preset}", EXTENSIONS[render.format], taken)
            with render.file.open("rb") as stored, archive.open(name, "w") as entry:
                shutil.copyfileobj(stored, entry)
            rows.writerow(_manifest_row(name, render))
        archive.writestr(MANIFEST_NAME, manifest.getvalue())


def _manifest_row(name: str, render: Render) -> list[str | int]:
    failed = [check["name"] for check in render.checks if not check["passed"]]
    result = ("fail" if failed else "pass") if render.checks else "not checked"
    warnings = []
    if render.image.needs_review:
        warnings.append("needs review: " + "; ".join(render.image.review_reasons.splitlines()))
    return [
        name,
        render.image.original_name,
        render.image_id,
        render.width,
        render.height,
        render.format,
        result,
        "; ".join(failed),
        " | ".join(warnings),
    ]


def _unique_name(stem: str, extension: str, taken: set[str]) -> str:
    name, number = f"{stem}{extension}", 1
    # Case-insensitively: unzipped on macOS or Windows, "A.png" overwrites "a.png".
    while name.casefold() in taken:
        number += 1
        name = f"{stem}-{number}{extension}"
    taken.add(name.casefold())
    return name


MANIFEST_NAME = "manifest.csv"
MANIFEST_COLUMNS = [
    "file",
    "source_image",
    "image_id",
    "width",
    "height",
    "format",
    "checks",
    "failed_checks",
    "warnings",
]


def export_file_name(export: Export) -> str:
    return f"cutouts-{export.preset}-{export.pk}.zip"


# Background pictures


def backdrop_upload(*, owner: AbstractBaseUser, uploaded_file: UploadedFile) -> Backdrop:
    """Store a background picture for the studio. Raises UploadRejected."""
    limit = settings.UPLOAD_MAX_BYTES
    if (uploaded_file.size or 0) > limit:
        raise UploadRejected(
            f"This file is {format_bytes(uploaded_file.size or 0)}; "
            f"the limit is {format_bytes(limit)}."
        )
    uploaded_file.seek(0)
    data = uploaded_file.read()
    # Measured upright from the header: decoding the full picture here would
    # cost the web process its whole size again.
    checked = check_image(data=data)
    backdrop = Backdrop(
        owner=owner,
        original_name=uploaded_file.name or "background",
        width=checked.width,
        height=checked.height,
    )
    with new_files() as files:
        files.save(backdrop.file, f"backdrop{EXTENSIONS[checked.format]}", ContentFile(data))
        backdrop.save()
    return backdrop


# The studio's inputs in the browser, at display size


def display_original(image: Image) -> bytes:
    """The original upright, in sRGB, at display size, as a JPEG."""
    with image.original.open("rb") as stored:
        return proxy.build_proxy(stored.read(), max_side=settings.PREVIEW_SIZE).jpeg


def display_matte(matte: Matte) -> bytes:
    """The matte at the display original's size, as a PNG."""
    with matte.file.open("rb") as stored, PILImage.open(stored) as picture:
        small = picture.convert("L").resize(
            display_size(matte.width, matte.height), PILImage.Resampling.LANCZOS
        )
    return compositor.encode(small, "PNG")


def display_backdrop(backdrop: Backdrop) -> bytes:
    with backdrop.file.open("rb") as stored:
        picture = proxy.open_upright(stored.read())
    small = compositor.fit_within(picture, settings.PREVIEW_SIZE)
    return compositor.encode(small, "JPEG", quality=DISPLAY_JPEG_QUALITY)


# Nothing left queued for ever


def sweep() -> int:
    """Fail renders whose job Redis lost, feed waiting export renders, zip exports; how many."""
    settled = timezone.now() - _SWEEP_GRACE
    queued = list(
        Render.objects.filter(
            status=Render.Status.QUEUED, waiting=False, created_at__lt=settled
        ).values_list("pk", "export_id")
    )
    lost = [
        (render_id, export_id)
        for (render_id, export_id), gone in zip(
            queued, jobs_lost([render_job_id(pk) for pk, _ in queued]), strict=True
        )
        if gone
    ]
    for render_id, _ in lost:
        timeout = timed_out_after(render_job_id(render_id))
        _fail(render_id, RENDER_TOO_SLOW.format(seconds=timeout) if timeout else RENDER_STOPPED)
    # A worker killed after a render settled never fed the member's next ones.
    waiting_members = (
        Render.objects.filter(status=Render.Status.QUEUED, waiting=True)
        .exclude(created_by=None)
        .values_list("created_by_id", flat=True)
        .distinct()
    )
    for member_id in list(waiting_members):
        _feed_export_renders(member_id)
    stalled = list(
        Export.objects.filter(status=Export.Status.RUNNING, created_at__lt=settled)
        .exclude(renders__status=Render.Status.QUEUED)
        .values_list("pk", flat=True)
    )
    unzipped = [
        export_id
        for export_id, gone in zip(
            stalled, jobs_lost([export_job_id(pk) for pk in stalled]), strict=True
        )
        if gone
    ]
    for export_id in unzipped:
        enqueue_export(export_id)
    return len(lost) + len(unzipped)
