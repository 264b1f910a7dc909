"""The files Vchasno hands out for a document: the original as uploaded, the signature
container (.p7s) and the archive (.zip of the original with one .p7s per signature).

Real containers are CAdES/PKCS#7 made with qualified keys; the emulator has none, so its
.p7s is a plain-text stand-in that says so on its first line and carries the original
and a manifest of the signatures (who, when, the original's SHA-256). A client should
store it as opaque bytes, which is all a real one may do without a crypto library."""
from __future__ import annotations

import io
import json
import mimetypes
import zipfile

from emulators.vchasno.office import Document, Signature

MARKER = b"VCHASNO EMULATOR P7S: not a real CAdES container\n"


def content_type(document: Document) -> str:
    return mimetypes.guess_type(document.filename)[0] or "application/octet-stream"


def p7s(document: Document, signatures: list[Signature] | None = None) -> bytes:
    """The original with its signatures (all of them unless `signatures` is given)."""
    manifest = {
        "document_id": document.id,
        "filename": document.filename,
        "sha256": document.sha256,
        "signatures": [
            {
                "side": signature.side, "edrpou": signature.edrpou, "signer": signature.signer,
                "serial_number": signature.serial_number, "signed_at": signature.signed_at.isoformat(),
            }
            for signature in (document.signatures if signatures is None else signatures)
        ],
    }
    return MARKER + json.dumps(manifest, ensure_ascii=False).encode() + b"\n" + document.content


def archive(document: Document) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(document.filename, document.content)
        for number, signature in enumerate(document.signatures, start=1):
            zipped.writestr(f"{document.filename}_Підпис_{number}_{signature.edrpou}.p7s", p7s(document, [signature]))
    return buffer.getvalue()
