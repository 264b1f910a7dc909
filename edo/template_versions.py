"""The lawyers' template versions: an upload checked, kept in the file store and numbered;
the newest is what contracts are generated from."""
from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.files.services import store_file
from core.staff.models import StaffUser
from edo.default_template import default_template
from edo.docx_template import check_template
from edo.models import ContractTemplate

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# pg_advisory_xact_lock's key for numbering template versions ("edo-tmpl" in ASCII).
_VERSION_LOCK = 0x65646F2D746D706C


def newest_template(session: Session) -> ContractTemplate | None:
    return session.scalar(select(ContractTemplate).order_by(ContractTemplate.version.desc()).limit(1))


def add_template_version(session: Session, data: bytes, name: str, staff_user: StaffUser | None,
                         comment: str = "") -> ContractTemplate:
    """A new version from an upload; a TemplateProblem (a DomainError) names what is wrong with it."""
    if not name.lower().endswith(".docx"):
        raise DomainError(gettext("Завантажте шаблон у форматі Word (.docx)."), "file")
    placeholders = check_template(data)
    stored = store_file(session, data, name, DOCX)
    if session.get_bind().dialect.name == "postgresql":
        # Two lawyers uploading at once take turns for the next number, rather than the
        # second failing on the unique version (SQLite has one writer at a time).
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _VERSION_LOCK})
    version = (session.scalar(select(func.max(ContractTemplate.version))) or 0) + 1
    template = ContractTemplate(version=version, file_id=stored.id, placeholders=placeholders,
                                comment=comment.strip()[:500], uploaded_by_id=staff_user.id if staff_user else None)
    session.add(template)
    session.flush()
    return template


def install_template(session: Session, data: bytes | None = None, name: str = "dogovir-postavky.docx") -> ContractTemplate:
    """A version from a file (the built-in template without one), by nobody: the install's."""
    if data is None:
        return add_template_version(session, default_template(), name, None, "Вбудований шаблон договору поставки")
    return add_template_version(session, data, name, None)
