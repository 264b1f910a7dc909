"""Contract templates: a lawyer's Word file checked at upload, then filled by docxtpl.

A template is an upload, so nothing about it is trusted, and every step that reads it runs
with a limit:

- the file's size, then its zip directory (`core.spreadsheets.check_archive`: the sizes the
  archive declares, which zipfile then holds it to) before any XML is parsed;
- the Jinja in it runs in a sandbox (`edo.sandbox`): no attributes like `__class__`, no
  globals but a short `range()`;
- opening, parsing and rendering happen in a child process with a wall-clock limit and an
  address-space limit, killed when either is reached.

Why a process rather than counting inside the sandbox: a sandbox can refuse a long range
but not three short loops nested (a billion turns of an empty body never reach any hook),
nor `"x"|center(10**9)`, nor docxtpl's own regular expressions on a crafted document; a
process bounds them all and takes its memory with it when it ends. The child is forked
from a server process that has docxtpl loaded and warmed already (`edo.template_server`),
so a render pays a fork, not an interpreter start, and the worker's threads and database
connections are never copied into it.
"""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from typing import Any

from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from flask import current_app, has_app_context
from flask_babel import lazy_gettext
from jinja2 import TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.sandbox import SecurityError
from lxml import etree

from core.config import ROOT
from core.errors import DomainError
from core.spreadsheets import XlsxLimits, check_archive
from edo import frames, sandbox
from edo.fields import PLACEHOLDERS, ContractFields, sample_fields

MB = 1024 * 1024


@dataclass(frozen=True)
class TemplateLimits:
    max_upload_bytes: int = 5 * MB
    max_unpacked_bytes: int = 50 * MB  # all members together, as the archive declares them
    max_ratio: int = 100  # unpacked / packed size of one member
    max_members: int = 500  # a contract with a logo, headers and styles has a few dozen
    seconds: float = 20.0  # to open, check or fill one template
    memory_bytes: int = 1024 * MB  # the child's address space, the ~80 MB it is forked with included


_MESSAGES = {
    "too_large": lazy_gettext("Файл завеликий: %(mb)s МБ, дозволено до %(limit)s МБ."),
    "not_docx": lazy_gettext("Файл не вдалося прочитати як документ Word (.docx). Збережіть шаблон у Word як «Документ Word (.docx)»."),
    "archive_too_large": lazy_gettext(
        "Документ Word розпаковується у забагато даних (понад %(limit)s МБ) або складається з забагато частин: це не схоже на шаблон договору."
    ),
    "external": lazy_gettext(
        "Документ Word містить макроси або посилання на зовнішні файли (%(what)s): такий файл не приймається. "
        "Збережіть його у Word як «Документ Word (.docx)» без макросів і зв'язаних файлів."
    ),
    "syntax": lazy_gettext("Помилка в розмітці шаблону біля «%(near)s»: %(detail)s"),
    "unknown_placeholders": lazy_gettext("Шаблон містить невідомі поля: %(names)s. Перевірте написання або оберіть поле зі списку."),
    "other_templates": lazy_gettext("Шаблон договору не може підключати інші шаблони ({%% include %%}, {%% extends %%}, {%% import %%})."),
    "unsafe": lazy_gettext("Шаблон звертається до службових властивостей (%(names)s) — такі шаблони не приймаються."),
    "loop_too_long": lazy_gettext("Цикл у шаблоні задовгий: %(length)s повторів, дозволено до %(limit)s."),
    "too_slow": lazy_gettext("Шаблон заповнювався довше за %(seconds)s с і був зупинений. Спростіть цикли й умови в шаблоні."),
    "too_big_to_render": lazy_gettext("Шаблон потребує забагато пам'яті для заповнення (понад %(limit)s МБ) і був зупинений."),
    "render_failed": lazy_gettext("Шаблон не вдалося заповнити: %(detail)s"),
}


class TemplateProblem(DomainError):
    """A template refused, with a code and its parameters for the caller that keeps them;
    the message is in the reader's language (Ukrainian outside a request)."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(str(_MESSAGES[code]) % params, field="file")


def configured_limits() -> TemplateLimits:
    """The limits with the app's EDO_TEMPLATE_MAX_MB as the file's size (the request's own
    limit is that of whichever feature allows the most)."""
    if not has_app_context():
        return TemplateLimits()
    return TemplateLimits(max_upload_bytes=int(current_app.config["EDO_TEMPLATE_MAX_MB"]) * MB)


def check_docx_file(data: bytes, limits: TemplateLimits) -> None:
    """Refuse a file that is too big, not a Word document, or a zip bomb, from its directory alone."""
    if len(data) > limits.max_upload_bytes:
        raise TemplateProblem("too_large", mb=megabytes(len(data)), limit=megabytes(limits.max_upload_bytes))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise TemplateProblem("not_docx") from None
    if "word/document.xml" not in names:
        raise TemplateProblem("not_docx")
    archive_limits = XlsxLimits(
        max_unpacked_bytes=limits.max_unpacked_bytes, max_ratio=limits.max_ratio, max_members=limits.max_members,
        max_rows=0, max_columns=0,  # no sheet is read: only the directory check is borrowed
    )
    try:
        check_archive(io.BytesIO(data), archive_limits)
    except DomainError:  # the archive opened above, so this is one of its size limits
        raise TemplateProblem("archive_too_large", limit=megabytes(limits.max_unpacked_bytes)) from None
    _refuse_outside_content(data, names)


# Macros and embedded controls: nothing a contract needs, and code that Word would run.
_ACTIVE_PARTS = re.compile(r"(^|/)vbaProject\.bin$|(^|/)activeX/", re.IGNORECASE)
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_INSTR_TEXT, _SIMPLE_FIELD, _INSTR = f"{_W}instrText", f"{_W}fldSimple", f"{_W}instr"
_OUTSIDE_FIELDS = re.compile(r"\b(INCLUDETEXT|INCLUDEPICTURE|DDEAUTO|DDE|LINK|IMPORT)\b", re.IGNORECASE)
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _refuse_outside_content(data: bytes, names: set[str]) -> None:
    """Macros, any part linked from outside the file but a hyperlink, and fields that pull
    content in or run a program: Word fetches an external template (with its macros) when
    the customer opens the file, DDEAUTO starts a program, and LibreOffice reads a linked
    picture (file:///…, http://10.…) into the PDF it makes here."""
    found = sorted(name for name in names if _ACTIVE_PARTS.search(name))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in sorted(names):
            if not (name.endswith(".rels") or (name.startswith("word/") and name.endswith(".xml"))):
                continue
            try:
                root = etree.fromstring(archive.read(name), _SAFE_XML)
            except etree.LxmlError:
                raise TemplateProblem("not_docx") from None
            for link in root.iter(_RELATIONSHIPS):
                kind = (link.get("Type") or "").rsplit("/", 1)[-1]
                if link.get("TargetMode") == "External" and kind != "hyperlink":
                    found.append(f"{kind} → {(link.get('Target') or '')[:80]}")
            # A field's code may be split over runs: read the part's codes as one text.
            codes = " ".join([node.text or "" for node in root.iter(_INSTR_TEXT)]
                             + [node.get(_INSTR, "") for node in root.iter(_SIMPLE_FIELD)])
            found += sorted({match.upper() for match in _OUTSIDE_FIELDS.findall(codes)})
    if found:
        raise TemplateProblem("external", what="; ".join(found[:3]))


def check_template(data: bytes, limits: TemplateLimits | None = None) -> list[str]:
    """The placeholders an uploaded template uses, sorted; a TemplateProblem when it is refused:
    not a .docx, too big, broken markup, a name the generator does not know, or a reach for
    Python's insides."""
    limits = limits or configured_limits()
    check_docx_file(data, limits)
    return _in_child("check", data, {}, limits)


def render(data: bytes, fields: ContractFields, limits: TemplateLimits | None = None) -> bytes:
    """The filled .docx. The template is checked again from its directory (a stored file is
    still the upload it was), then filled in the child process."""
    limits = limits or configured_limits()
    check_docx_file(data, limits)
    return _in_child("render", data, fields.context(), limits)


# --- the process that does it (edo.template_server) -----------------------------------

# The server answers within a child's time; past this much more, it is itself stuck.
_SERVER_GRACE_SECONDS = 10
_server: subprocess.Popen[bytes] | None = None
_server_owner = 0  # the pid that started it: a worker forked after that starts its own
_server_lock = threading.Lock()  # one request at a time on the pipe
_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
# The core properties docxtpl renders too (it skips the ones it cannot write back).
_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")


def _in_child(operation: str, data: bytes, context: dict[str, Any], limits: TemplateLimits) -> Any:
    with _server_lock:
        server = _running_server()
        assert server.stdin is not None and server.stdout is not None
        try:
            frames.write_frame(server.stdin.fileno(), (operation, data, context, limits))
            outcome = frames.read_frame(
                server.stdout.fileno(), time.monotonic() + limits.seconds + _SERVER_GRACE_SECONDS
            )
        except (TimeoutError, EOFError, OSError):
            outcome = None
        if outcome is None:
            _stop_server()
            raise RuntimeError("the contract template server stopped answering; it is started again on the next call")
    if outcome[0] == "problem":
        raise TemplateProblem(outcome[1], **outcome[2])
    return outcome[1]


def _running_server() -> subprocess.Popen[bytes]:
    global _server, _server_owner
    if _server is None or _server_owner != os.getpid() or _server.poll() is not None:
        if _server_owner == os.getpid():
            _stop_server()
        _server = subprocess.Popen(
            [sys.executable, "-m", "edo.template_server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT
        )
        _server_owner = os.getpid()
    return _server


def _stop_server() -> None:
    global _server
    if _server is not None:
        _server.kill()
        _server.wait()
        _server = None


def run(operation: str, data: bytes, context: dict[str, Any], limits: TemplateLimits) -> tuple[Any, ...]:
    """What the child forked for one template does: the outcome as plain values."""
    try:
        return ("ok", _OPERATIONS[operation](data, context))
    except TemplateProblem as problem:
        return ("problem", problem.code, problem.params)
    except MemoryError:
        return ("problem", "too_big_to_render", {"limit": megabytes(limits.memory_bytes)})
    except Exception as error:  # whatever else a crafted document breaks, the caller hears of it as its fault
        return ("problem", "render_failed", {"detail": f"{type(error).__name__}: {error}"})


def _open(data: bytes) -> DocxTemplate:
    template = DocxTemplate(io.BytesIO(data))
    try:
        template.init_docx()
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, etree.LxmlError):
        raise TemplateProblem("not_docx") from None
    return template


def _sources(template: DocxTemplate) -> list[str]:
    """The Jinja text of every part docxtpl renders, prepared the way it prepares them,
    so what passes here is what it will fill."""
    document = template.get_docx()
    parts = [template.get_xml()]
    for uri in (template.HEADER_URI, template.FOOTER_URI):
        parts += [template.get_part_xml(part) for _key, part in template.get_headers_footers(uri)]
    parts += [part.blob.decode("utf-8") for part in document.part.package.parts if part.content_type == _FOOTNOTES]
    # docxtpl puts each paragraph on a line of its own: a syntax error's line is its paragraph
    sources = [re.sub(r"<w:p([ >])", r"\n<w:p\1", template.patch_xml(xml)) for xml in parts]
    return sources + [getattr(document.core_properties, name) or "" for name in _PROPERTIES]


def _check(data: bytes, _context: dict[str, Any]) -> list[str]:
    template = _open(data)
    env = sandbox.contract_environment()
    used: set[str] = set()
    private: set[str] = set()
    for source in _sources(template):
        try:
            tree = env.parse(source)
        except TemplateSyntaxError as error:
            raise TemplateProblem("syntax", near=_paragraph_text(source, error.lineno), detail=error.message) from None
        if any(tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport))):
            raise TemplateProblem("other_templates")
        used |= meta.find_undeclared_variables(tree)
        private.update(sandbox.private_names(tree))
    if private:
        raise TemplateProblem("unsafe", names=", ".join(sorted(private)))
    unknown = used - PLACEHOLDERS - set(env.globals)
    if unknown:
        raise TemplateProblem("unknown_placeholders", names=", ".join(sorted(unknown)))
    # What reading cannot tell (an attribute named by a computed string, a filter on the
    # wrong kind of value), filling does: the sandbox refuses it now rather than at every
    # contract this version would make.
    for sample in sample_fields():
        _render(data, sample.context())
    return sorted(used & PLACEHOLDERS)


def _render(data: bytes, context: dict[str, Any]) -> bytes:
    template = _open(data)
    try:
        template.render(context, sandbox.contract_environment(), autoescape=True)
    except SecurityError as error:
        raise TemplateProblem("unsafe", names=str(error)) from None
    except sandbox.RangeTooLong as error:
        raise TemplateProblem("loop_too_long", length=error.length, limit=sandbox.MAX_RANGE) from None
    except TemplateSyntaxError as error:
        raise TemplateProblem("syntax", near="", detail=error.message) from None
    except (UndefinedError, TypeError, ValueError, RecursionError) as error:
        raise TemplateProblem("render_failed", detail=str(error)) from None
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


_OPERATIONS = {"check": _check, "render": _render}


def _paragraph_text(source: str, lineno: int | None) -> str:
    lines = source.splitlines()
    if not lineno or lineno > len(lines):
        return ""
    text = re.sub(r"<[^>]+>", "", lines[lineno - 1]).strip()
    return text if len(text) <= 80 else text[:77] + "…"


def megabytes(size: int) -> str:
    return number(size / MB)


def number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
