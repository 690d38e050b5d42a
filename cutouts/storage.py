"""Stored files follow their rows.

A row's files are deleted with the row, however it goes (the admin, a
cascade, a queryset's delete()), and a file a save replaces (re-processing
writes a new preview) is deleted with that save. Deleting waits for the
commit, so a delete or save that rolls back keeps its files. Files written
for rows that then never commit are removed by `new_files`.

Media may live on S3, so files are removed through their storage only.
"""

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from django.core.files import File
from django.core.files.storage import Storage
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete, pre_save

logger = logging.getLogger(__name__)


def connect(model_classes: Iterable[type[models.Model]]) -> None:
    """Make the files of each model with a FileField follow its rows (from AppConfig.ready)."""
    for model in model_classes:
        if _file_fields(model):
            pre_save.connect(_delete_replaced_files, sender=model)
            post_delete.connect(_delete_files, sender=model)


def _file_fields(model: type[models.Model]) -> list[models.FileField]:
    return [field for field in model._meta.concrete_fields if isinstance(field, models.FileField)]


def _delete_files(
    sender: type[models.Model], instance: models.Model, using: str, **kwargs: Any
) -> None:
    for field in _file_fields(sender):
        _delete_after_commit(field.storage, getattr(instance, field.attname).name, using)


def _delete_replaced_files(
    sender: type[models.Model],
    instance: models.Model,
    raw: bool,
    using: str,
    update_fields: frozenset[str] | None,
    **kwargs: Any,
) -> None:
    if raw or instance._state.adding:
        return
    fields = [
        field
        for field in _file_fields(sender)
        if update_fields is None or field.name in update_fields
    ]
    if not fields:
        return
    stored = (
        sender._base_manager.using(using)
        .filter(pk=instance.pk)
        .values(*[field.attname for field in fields])
        .first()
    )
    if stored is None:
        return
    for field in fields:
        if stored[field.attname] != getattr(instance, field.attname).name:
            _delete_after_commit(field.storage, stored[field.attname], using)


def _delete_after_commit(storage: Storage, name: str | None, using: str) -> None:
    if name:
        # Robust: the row is gone whatever the storage answers, so a storage
        # error is logged rather than failing whoever committed.
        transaction.on_commit(partial(storage.delete, name), using=using, robust=True)


class NewFiles:
    """Files written for rows that are not committed yet."""

    def __init__(self) -> None:
        self._written: list[tuple[Storage, str]] = []

    def save(self, field_file: FieldFile, name: str, content: File) -> None:
        """Write `content` as the file of `field_file`; its row is saved apart."""
        field_file.save(name, content, save=False)
        self._written.append((field_file.storage, field_file.name))

    def delete(self) -> None:
        for storage, name in self._written:
            try:
                storage.delete(name)
            except Exception:
                # The failure that got us here matters more than this one.
                logger.exception("Could not delete %s, written for rows that were not saved", name)


@contextmanager
def new_files() -> Iterator[NewFiles]:
    """Files written through it are deleted again if the block fails.

    The block saves their rows and commits them: when it fails, the rows
    were rolled back or never written, so no file may stay. Use it outside
    the caller's transactions, whose later rollback it cannot see.
    """
    files = NewFiles()
    try:
        yield files
    except BaseException:
        files.delete()
        raise
