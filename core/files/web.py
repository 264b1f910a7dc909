"""A stored file handed to a staff member's browser."""
from __future__ import annotations

import io

from flask import Response, send_file

from core.files.models import StoredFile
from core.files.services import read_file


def download(stored: StoredFile) -> Response:
    # Always an attachment, never shown inline: the file came from outside, and a page
    # of ours must not render whatever a customer uploaded.
    response = send_file(io.BytesIO(read_file(stored)), mimetype=stored.content_type, as_attachment=True,
                         download_name=stored.name, etag=stored.sha256, conditional=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
