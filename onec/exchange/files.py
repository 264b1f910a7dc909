"""The session's folder: files 1C uploads, appended part by part, and the zip archives it
sends when init answered zip=yes. No name may lead out of the folder."""
from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO, Any

from flask_babel import gettext
from sqlalchemy import func, select

from core.db import db_session
from onec.exchange.answers import Refused
from onec.models import ExchangeSession

MB = 1024 * 1024
# Members smaller than this are not judged by their ratio: a tiny file of spaces packs
# thousands to one and harms nobody; the total size bounds them.
RATIO_FROM_BYTES = MB
# A name's part longer than this many bytes no Linux file system takes (ENAMETOOLONG); 1C's
# deepest names are import_files/ab/<guid>.jpg.
NAME_MAX = 255
MAX_DEPTH = 16
ENCRYPTED = 0x1  # a member's general purpose flag: 1C never sets a password
_WRITE = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)


def start_folder(folder: Path) -> None:
    """init: a fresh folder, so a package never mixes with a previous one."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)


def safe_path(folder: Path, filename: str | None) -> Path:
    """Where `filename` (import.xml, import_files/ab/abc.jpg) lives in the folder; refused
    when it could lead anywhere else (`..`, an absolute or drive path, a symlink on the way)
    or could not be a file's name here: nothing but dots and slashes, a control character
    (NUL, a line break), a part longer than the file system takes. Backslashes count as
    separators: 1C on Windows may write them."""
    name = (filename or "").replace("\\", "/")
    pure = PurePosixPath(name)
    if not pure.parts or pure.is_absolute() or ".." in pure.parts or ":" in pure.parts[0] \
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in name) \
            or any(len(part.encode()) > NAME_MAX for part in pure.parts) or len(pure.parts) > MAX_DEPTH:
        raise _bad_name(name)
    path, current = folder.joinpath(*pure.parts), folder
    for part in pure.parts:
        current = current / part
        if current.is_symlink():
            raise _bad_name(name)
    return path


def _bad_name(name: str) -> Refused:
    return Refused("bad_filename", gettext("Ім'я файлу «%(name)s» веде за межі папки обміну.", name=name[:200]),
                   400, file_name=name)


def _open_for_write(path: Path, *, append: bool) -> IO[bytes]:
    """The file, its folders made; a name that a folder has, or whose way runs through a
    file (import.xml/x after import.xml), is refused rather than a 500."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = _WRITE | (os.O_APPEND if append else os.O_TRUNC)
        return os.fdopen(os.open(path, flags, 0o600), "wb")
    except (IsADirectoryError, NotADirectoryError, FileExistsError) as error:
        raise Refused("name_taken", gettext("Ім'я файлу «%(name)s» зайняте папкою або файлом обміну.",
                                            name=path.name[:200]), 409, file_name=path.name) from error


def room_left(session: ExchangeSession, config: Any) -> int:
    return config["ONEC_EXCHANGE_MAX_MB"] * MB - session.received_bytes


def check_total(adding: int, config: Any, file_name: str) -> None:
    """All sessions' folders together stay under ONEC_EXCHANGE_TOTAL_MB: sessions are
    not limited in number (each checkauth opens one), and each may write ONEC_EXCHANGE_MAX_MB
    until it expires and is swept."""
    used = db_session.scalar(select(func.coalesce(func.sum(ExchangeSession.received_bytes), 0)))
    if used + adding > config["ONEC_EXCHANGE_TOTAL_MB"] * MB:
        raise Refused("exchange_full", gettext("Папка обміну заповнена (%(mb)s МБ усіх сеансів): спробуйте пізніше.",
                                               mb=config["ONEC_EXCHANGE_TOTAL_MB"]), 507, file_name=file_name)


def append(session: ExchangeSession, folder: Path, filename: str, body: bytes, config: Any) -> Path:
    """One POST of 1C's file: a file larger than file_limit comes in several, in order."""
    path = safe_path(folder, filename)
    if len(body) > room_left(session, config):
        raise Refused("package_too_large", gettext("Пакет обміну більший за %(mb)s МБ.", mb=config["ONEC_EXCHANGE_MAX_MB"]),
                      413, file_name=filename)
    check_total(len(body), config, filename)
    with _open_for_write(path, append=True) as out:
        out.write(body)
    session.received_bytes += len(body)
    return path


def archives_in(folder: Path) -> list[Path]:
    # 1C on Windows may name its archive in capitals (IMPORT.ZIP): a name's case is no matter there.
    return sorted(path for path in folder.iterdir() if path.suffix.lower() == ".zip" and path.is_file()
                  and not path.is_symlink()) if folder.is_dir() else []


def unpack(session: ExchangeSession, folder: Path, archive: Path, config: Any) -> None:
    """The archive's files into the folder, then the archive is gone. Checked whole from
    its directory before one byte is unpacked: member count, total size against what the
    session may still write, each member's ratio, names and links; a refused archive is
    deleted and nothing of it is written."""
    try:
        _check_entries(archive, config)
        with zipfile.ZipFile(archive) as zipped:
            members = [member for member in zipped.infolist() if not member.is_dir()]
            _check(session, folder, archive.name, members, config)
            written: list[Path] = []
            try:
                for member in members:
                    written.append(safe_path(folder, member.filename))
                    _extract(zipped, member, written[-1])
            except (zipfile.BadZipFile, OSError, Refused):
                for path in written:  # a member that fails its CRC half way: none of the archive stays
                    if not path.is_dir():  # a member refused for the folder in its place
                        path.unlink(missing_ok=True)
                raise
            session.received_bytes += sum(member.file_size for member in members)
    except (zipfile.BadZipFile, NotImplementedError) as error:  # broken; or packed by a method zipfile lacks
        raise Refused("bad_zip", gettext("Архів %(name)s пошкоджений: %(error)s", name=archive.name, error=error),
                      400, file_name=archive.name) from error
    finally:
        archive.unlink(missing_ok=True)


def _check_entries(archive: Path, config: Any) -> None:
    """The entry count the archive's end record declares, read before ZipFile parses the
    whole central directory into memory: an upload of 2 GB of empty entries would be tens
    of millions of objects, a worker killed for memory before the member count is checked.
    zipfile has no public way to read the end record alone."""
    with open(archive, "rb") as stream:
        end = zipfile._EndRecData(stream)  # type: ignore[attr-defined]
    entries = end[zipfile._ECD_ENTRIES_TOTAL] if end else 0  # type: ignore[attr-defined]
    if entries > config["ONEC_EXCHANGE_ZIP_MAX_MEMBERS"]:
        raise Refused("zip_too_many_members", gettext("В архіві %(name)s забагато файлів (%(count)s).",
                                                      name=archive.name, count=entries), 400, file_name=archive.name)


def _check(session: ExchangeSession, folder: Path, name: str, members: list[zipfile.ZipInfo], config: Any) -> None:
    if len(members) > config["ONEC_EXCHANGE_ZIP_MAX_MEMBERS"]:
        raise Refused("zip_too_many_members", gettext("В архіві %(name)s забагато файлів (%(count)s).",
                                                      name=name, count=len(members)), 400, file_name=name)
    total = sum(member.file_size for member in members)
    if total > room_left(session, config):
        raise Refused("zip_too_large", gettext("Архів %(name)s розпаковується у %(mb)s МБ, більше, ніж дозволено.",
                                               name=name, mb=total // MB), 413, file_name=name)
    check_total(total, config, name)
    for member in members:
        if member.filename.lower().endswith(".zip"):
            # It would be unpacked in turn at the next import call (archives_in), a zip quine
            # forever; 1C's packages hold XML and images only.
            raise Refused("zip_nested", gettext("В архіві %(name)s є інший архів %(member)s.", name=name,
                                                member=member.filename[:200]), 400, file_name=name)
        if member.flag_bits & ENCRYPTED:  # zipfile would raise RuntimeError: a 500
            raise Refused("zip_encrypted", gettext("Файл %(member)s в архіві %(name)s зашифрований.", name=name,
                                                   member=member.filename[:200]), 400, file_name=name)
        if stat.S_ISLNK(member.external_attr >> 16):
            raise Refused("zip_symlink", gettext("В архіві %(name)s є посилання %(member)s.", name=name,
                                                 member=member.filename[:200]), 400, file_name=name)
        if member.file_size >= RATIO_FROM_BYTES and member.file_size > member.compress_size * config["ONEC_EXCHANGE_ZIP_MAX_RATIO"]:
            raise Refused("zip_bomb", gettext("Файл %(member)s в архіві %(name)s стиснутий підозріло щільно (%(ratio)s:1).",
                                              member=member.filename[:200], name=name,
                                              ratio=member.file_size // max(member.compress_size, 1)), 400, file_name=name)
        try:
            safe_path(folder, member.filename)
        except Refused as refused:
            raise Refused("zip_bad_member", gettext("В архіві %(name)s є файл поза папкою обміну: %(member)s.",
                                                    name=name, member=member.filename[:200]), 400, file_name=name) from refused
    _check_names(name, members)


def _check_names(name: str, members: list[zipfile.ZipInfo]) -> None:
    """Each member a file of its own: a name twice (the second would overwrite the first,
    which was already counted) or a file where another member needs a folder is refused."""
    files: set[PurePosixPath] = set()
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        if path in files:
            raise Refused("zip_duplicate_member", gettext("В архіві %(name)s файл %(member)s є двічі.",
                                                          name=name, member=member.filename[:200]), 400, file_name=name)
        files.add(path)
    folders = {parent for path in files for parent in path.parents}
    clash = next((path for path in sorted(files) if path in folders), None)
    if clash is not None:
        raise Refused("zip_duplicate_member", gettext("В архіві %(name)s %(member)s і файл, і папка.",
                                                      name=name, member=str(clash)[:200]), 400, file_name=name)


def _extract(zipped: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> None:
    # zipfile stops reading a member at its declared size and checks its CRC, so the
    # sizes checked above are the sizes written.
    with zipped.open(member) as source, _open_for_write(target, append=False) as out:
        shutil.copyfileobj(source, out, 1 << 20)
