"""The lawyer's decision and the manager's edit: the moves of a contract before Vchasno.

Each locks the contract row first, so a double click or two lawyers at once make one move:
the second finds it already made (an approval repeated is no error, and emits nothing).
"""
from __future__ import annotations

import re

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import outbox
from core.clock import utcnow
from core.errors import DomainError
from core.files.services import store_file
from core.staff.models import StaffUser
from edo.docx_diff import paragraphs
from edo.history import record
from edo.models import Contract
from edo.template_versions import DOCX

MAX_COMMENT = 2000
# A template's Jinja left in a manager's edit ({{ … }}, {% … %}, {# … #}).
TEMPLATE_MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")


def locked(session: Session, contract_id: int) -> Contract | None:
    return session.scalar(select(Contract).where(Contract.id == contract_id).with_for_update())


def approve(session: Session, contract: Contract, lawyer: StaffUser) -> bool:
    """True when this call approved it; False when it was approved already (a second click)."""
    if contract.status == "approved":
        return False
    if contract.status != "review":
        raise DomainError(gettext("Договір № %(number)s уже не чекає на візу юриста.", number=contract.number))
    contract.status = "approved"
    contract.approved_by_id = lawyer.id
    contract.approved_at = utcnow()
    record(session, contract, "approved", lawyer)
    outbox.emit(session, "contract.approved", {"contract_id": contract.id})
    return True


def return_contract(session: Session, contract: Contract, lawyer: StaffUser, comment: str) -> None:
    comment = comment.strip()
    if not comment:
        raise DomainError(gettext("Напишіть, що виправити: без коментаря договір не повертають."), "comment")
    if len(comment) > MAX_COMMENT:
        raise DomainError(gettext("Коментар задовгий: до %(n)s символів.", n=MAX_COMMENT), "comment")
    if contract.status != "review":
        raise DomainError(gettext("Договір № %(number)s уже не чекає на візу юриста.", number=contract.number))
    contract.status = "returned"
    record(session, contract, "returned", lawyer, comment)
    manager_id = contract.company.manager_id
    # "user" names the company's manager the way notify addresses one person (an e-mail).
    outbox.emit(session, "contract.returned", {
        "contract_id": contract.id, "number": contract.number, "company_id": contract.company_id,
        "manager_id": manager_id, "user": f"s:{manager_id}" if manager_id else "", "comment": comment,
    })


def upload_edit(session: Session, contract: Contract, staff_user: StaffUser, data: bytes, name: str,
                comment: str = "") -> Contract:
    """The manager's own text in place of the generated one; back to the lawyer's queue."""
    if contract.status not in ("review", "returned"):
        raise DomainError(gettext("Договір № %(number)s уже погоджено: його текст не змінюють.", number=contract.number))
    if not name.lower().endswith(".docx"):
        raise DomainError(gettext("Завантажте договір у форматі Word (.docx)."), "file")
    left = sorted({field for text in paragraphs(data) for field in TEMPLATE_MARKUP.findall(text)})
    if left:  # the edit goes to the customer as it is: nothing fills these any more
        raise DomainError(gettext(
            "У зміненому договорі лишилися поля шаблону: %(fields)s. Його надсилають клієнту як є — впишіть "
            "замість них текст.", fields=", ".join(left[:5])), "file")
    stored = store_file(session, data, f"{contract.number}-edited.docx", DOCX)
    contract.edited_file_id = stored.id
    contract.status = "review"
    contract.submitted_at = utcnow()
    record(session, contract, "edited", staff_user, comment.strip()[:MAX_COMMENT])
    return contract
