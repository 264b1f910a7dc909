"""Per-form upload limits: the number a page states is the number the form enforces."""
from __future__ import annotations

import os
from typing import Any

from flask import current_app
from flask_babel import gettext
from werkzeug.datastructures import FileStorage
from wtforms.validators import StopValidation

MB = 1024 * 1024


def upload_size(upload: FileStorage) -> int:
    stream = upload.stream
    position = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(position)
    return size


class WithinUploadLimit:
    """WTForms validator: the file is at most `config[config_key]` MB."""

    def __init__(self, config_key: str) -> None:
        self.config_key = config_key

    def __call__(self, _form: Any, field: Any) -> None:
        limit_mb = current_app.config[self.config_key]
        if isinstance(field.data, FileStorage) and upload_size(field.data) > limit_mb * MB:
            raise StopValidation(gettext("Файл завеликий: до %(mb)s МБ.", mb=limit_mb))
