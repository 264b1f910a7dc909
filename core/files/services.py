"""Keeping a file and reading it back, through the store the configuration chose."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext
from sqlalchemy.orm import Session

from core.config import ConfigError
from core.errors import DomainError
from core.files.interface import FileStore, key_for
from core.files.local import LocalDirectoryStore
from core.files.models import StoredFile
from core.files.s3 import S3Store
from core.providers import ProviderError

log = logging.getLogger(__name__)
S3_SETTINGS = ("FILES_S3_ENDPOINT", "FILES_S3_BUCKET", "FILES_S3_REGION", "FILES_S3_ACCESS_KEY", "FILES_S3_SECRET_KEY")


class DamagedFile(RuntimeError):
    """The store gave back other bytes than were put: never hand those to anyone."""


def settings_problems(config: Mapping[str, Any]) -> list[str]:
    kind = config["FILES_STORE"]
    if kind == "local":
        return []
    if kind != "s3":
        return [f"FILES_STORE={kind!r} is neither 'local' nor 's3'"]
    return [f"FILES_STORE=s3 needs {name}" for name in S3_SETTINGS if not config.get(name)]


def store_from_config(config: Mapping[str, Any]) -> FileStore:
    if config["FILES_STORE"] == "s3":
        return S3Store(*(config[name] for name in S3_SETTINGS))
    return LocalDirectoryStore(config["FILES_DIR"])


def init_files(app: Flask) -> None:
    problems = settings_problems(app.config)
    if problems:
        raise ConfigError("Refusing to start: " + "; ".join(problems) + ". Set them in the environment (or .env).")
    app.extensions["file_store"] = store_from_config(app.config)


def file_store() -> FileStore:
    store: FileStore = current_app.extensions["file_store"]
    return store


def store_file(session: Session, data: bytes, name: str, content_type: str) -> StoredFile:
    """Put the bytes in the store and record them. The store is written first: a row
    never names a key that holds nothing; a rolled-back transaction leaves at most an
    unreferenced file, which the next upload of the same bytes reuses."""
    digest = hashlib.sha256(data).hexdigest()
    key = key_for(digest)
    store = file_store()
    try:
        if not store.exists(key):
            store.put(key, data)
    except (ProviderError, OSError) as error:
        # The upload cannot be kept, so nothing that would name it may be written either:
        # the caller's DomainError rolls the whole action back and the person tries again.
        log.error("file store refused %s: %s", key, error)
        raise DomainError(gettext(
            "Не вдалося зберегти файл: сховище файлів зараз недоступне. Спробуйте ще раз за кілька хвилин. "
            "Нічого не змінено."
        )) from error
    stored = StoredFile(name=name[-255:], content_type=content_type[:100], size=len(data), sha256=digest, key=key)
    session.add(stored)
    session.flush()
    return stored


def read_file(stored: StoredFile) -> bytes:
    data = b"".join(file_store().open(stored.key))
    if hashlib.sha256(data).hexdigest() != stored.sha256:
        raise DamagedFile(f"stored file {stored.id} ({stored.key}) does not match its SHA-256")
    return data
