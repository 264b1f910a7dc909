"""Reading an uploaded .xlsx without trusting it.

An .xlsx is a zip archive of XML files: a 1.35 MB upload once unpacked to 1.26 GB and a
sheet of 3 million empty rows held a worker for half a minute. So the archive's central
directory (sizes as declared, which zipfile then enforces while unpacking) is checked
before anything is parsed, rows are read as a stream, and reading stops at a row limit
that counts empty rows too, whatever the sheet declares about its own size.
"""
from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from flask_babel import gettext
from openpyxl import load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from core.errors import DomainError

MB = 1024 * 1024
# A member this small may compress as well as it likes: its ratio cannot hurt.
RATIO_CHECKED_ABOVE = 1 * MB


@dataclass(frozen=True)
class XlsxLimits:
    max_unpacked_bytes: int  # all members together, as the archive declares them
    max_ratio: int  # unpacked / packed size of one member
    max_members: int
    max_rows: int  # rows read from a sheet, empty ones included
    max_columns: int  # cells read from each row

    @classmethod
    def from_config(cls, config: Any) -> XlsxLimits:
        return cls(
            max_unpacked_bytes=config["XLSX_MAX_UNPACKED_MB"] * MB,
            max_ratio=config["XLSX_MAX_RATIO"],
            max_members=config["XLSX_MAX_MEMBERS"],
            max_rows=config["XLSX_MAX_ROWS"],
            max_columns=config["XLSX_MAX_COLUMNS"],
        )


def _unreadable() -> DomainError:
    return DomainError(
        gettext("Файл не вдалося прочитати як Excel (.xlsx). Якщо це старий формат .xls, збережіть його як .xlsx."),
        field="file",
    )


def check_archive(stream: IO[bytes], limits: XlsxLimits) -> None:
    """Refuse an archive that would unpack to an absurd size, judged from its directory alone."""
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _unreadable() from None
    finally:
        stream.seek(0)
    if len(members) > limits.max_members:
        raise DomainError(
            gettext("Файл Excel містить забагато частин (%(n)s): це не схоже на бланк замовлення.", n=len(members)),
            field="file",
        )
    unpacked = sum(member.file_size for member in members)
    suspicious = any(
        member.file_size > RATIO_CHECKED_ABOVE and member.file_size > limits.max_ratio * max(member.compress_size, 1)
        for member in members
    )
    if unpacked > limits.max_unpacked_bytes or suspicious:
        raise DomainError(
            gettext(
                "Файл Excel розпаковується у %(mb)s МБ даних — забагато для бланка замовлення "
                "(до %(limit)s МБ). Збережіть у файлі лише таблицю замовлення.",
                mb=max(unpacked // MB, 1),
                limit=limits.max_unpacked_bytes // MB,
            ),
            field="file",
        )


@contextmanager
def open_first_sheet(stream: IO[bytes], limits: XlsxLimits) -> Iterator[ReadOnlyWorksheet]:
    """The workbook's first sheet, streamed (read-only); the archive is checked first."""
    check_archive(stream, limits)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise _unreadable() from None
    try:
        if not workbook.worksheets:
            raise _unreadable()
        sheet = workbook.worksheets[0]
        # The declared dimension may claim a million rows and 16,384 columns: every row
        # would then be padded to that width. Read what is really there instead.
        sheet.reset_dimensions()
        yield sheet
    finally:
        workbook.close()


def iter_rows(sheet: ReadOnlyWorksheet, limits: XlsxLimits) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(row number, cell values) for each row, empty rows included, up to the row limit.

    A sheet with more rows is refused rather than cut short: an order must not lose lines silently.
    """
    rows = sheet.iter_rows(max_col=limits.max_columns, values_only=True)
    for number, values in enumerate(rows, start=1):
        if number > limits.max_rows:
            raise DomainError(
                gettext(
                    "У файлі понад %(n)s рядків (разом з порожніми). Видаліть зайві рядки або вставте список текстом.",
                    n=limits.max_rows,
                ),
                field="file",
            )
        yield number, values
