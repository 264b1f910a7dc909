"""The PDF sent for signature, made from the contract's .docx by LibreOffice when the machine has it.

Why LibreOffice (`soffice --headless --convert-to pdf`, Debian's libreoffice-writer-nogui,
installed by `make pdf`): it is the one free converter that lays out a Word document as
Word does — tables, numbered clauses, headers and footers, fonts by metric-compatible
substitutes — which a contract needs; AbiWord is smaller but loses numbering and table
layout, and pandoc goes through LaTeX and rewrites the layout altogether. It is big
(about 260 MB) and slow to start (a second or two), so it is optional: without it the
contract goes out as the .docx, and the result says why there is no PDF.

Each conversion gets a LibreOffice profile of its own in a temporary folder: two
conversions sharing one profile would meet LibreOffice's single-instance lock, and the
second would silently hand its file to the first. A conversion that outlives its time is
killed with its whole process group (soffice starts a child of its own).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext

_SKIPPED = {
    "no_converter": lazy_gettext("PDF не створено: на сервері немає LibreOffice. Договір залишено у форматі .docx."),
    "timeout": lazy_gettext("PDF не створено: перетворення тривало довше за %(seconds)s с. Договір залишено у форматі .docx."),
    "failed": lazy_gettext("PDF не створено: LibreOffice не зміг перетворити документ. Договір залишено у форматі .docx."),
}


@dataclass(frozen=True)
class PdfResult:
    pdf: bytes | None
    skipped: str | None = None  # why there is no PDF: a key of _SKIPPED
    seconds: float = 0

    @property
    def reason(self) -> str | None:
        """Why there is no PDF, in the reader's language."""
        return str(_SKIPPED[self.skipped]) % {"seconds": f"{self.seconds:g}"} if self.skipped else None


def converter() -> str | None:
    """The LibreOffice binary, when the machine has one."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx: bytes, timeout: float = 120, binary: str | None = None) -> PdfResult:
    """The PDF of a .docx (one the product made or already checked), or why there is none."""
    binary = binary or converter()
    if not binary or not os.access(binary, os.X_OK):
        return PdfResult(None, "no_converter")
    with tempfile.TemporaryDirectory(prefix="edo-pdf-") as folder:
        work = Path(folder)
        source = work / "contract.docx"
        source.write_bytes(docx)
        command = [
            binary, f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless", "--norestore", "--nolockcheck", "--nologo",
            "--convert-to", "pdf", "--outdir", str(work), str(source),
        ]
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return PdfResult(None, "timeout", timeout)
        target = work / "contract.pdf"
        if process.returncode != 0 or not target.is_file() or not target.read_bytes().startswith(b"%PDF"):
            return PdfResult(None, "failed")
        return PdfResult(target.read_bytes())
