"""The safe .xlsx opener judges an archive by its directory before anything is parsed."""
import io
import zipfile

import pytest

from core.errors import DomainError
from core.spreadsheets import XlsxLimits, check_archive

LIMITS = XlsxLimits(max_unpacked_bytes=2 * 1024 * 1024, max_ratio=100, max_members=50, max_rows=100, max_columns=8)


def _archive(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in members:
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ([(f"xl/part{n}.xml", b"<a/>") for n in range(51)], "забагато частин"),
        ([("xl/worksheets/sheet1.xml", b" " * (3 * 1024 * 1024))], "розпаковується"),  # over the total
        ([("xl/worksheets/sheet1.xml", b" " * (1024 * 1024 + 1))], "розпаковується"),  # packed too tight
    ],
)
def test_hostile_archives_are_refused_from_their_directory(app, members, reason):
    with app.test_request_context():
        with pytest.raises(DomainError) as refused:
            check_archive(_archive(members), LIMITS)
    assert reason in refused.value.message and refused.value.field == "file"


def test_an_ordinary_archive_passes_and_is_rewound(app):
    stream = _archive([("xl/workbook.xml", b"<workbook/>" * 100), ("xl/worksheets/sheet1.xml", bytes(range(256)) * 4096)])
    with app.test_request_context():
        check_archive(stream, LIMITS)
    assert stream.tell() == 0


def test_not_a_zip_is_unreadable(app):
    with app.test_request_context():
        with pytest.raises(DomainError) as refused:
            check_archive(io.BytesIO(b"PK\x03\x04 broken"), LIMITS)
    assert "не вдалося прочитати" in refused.value.message
