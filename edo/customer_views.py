"""A customer's contracts: its own company's, never a draft (in review or returned) nor one
replaced before it reached the customer; the files Vchasno signed to download."""
from __future__ import annotations

from typing import Any

from flask import abort, render_template
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from core.auth import customer_required
from core.db import db_session
from core.files.web import download
from edo.customer_blueprint import bp
from edo.models import DRAFT_STATES, Contract
from edo.sending import WAITING_REGISTRATION
from edo.staff_forms import STATUS_LABELS

HIDDEN_STATES = (*DRAFT_STATES, "superseded")
# What a customer may download: the document sent and what came back signed.
CUSTOMER_FILES = ("pdf_file", "signed_file", "signature_file")


def _shown() -> Any:
    return select(Contract).where(Contract.company_id == current_user.company_id, Contract.status.not_in(HIDDEN_STATES))


@bp.get("/contracts", endpoint="contracts")
@customer_required
def contracts() -> Any:
    rows = db_session.scalars(_shown().order_by(Contract.id.desc()))
    return render_template("edo/customer_contracts.html", contracts=list(rows), status_label=customer_status,
                           files=CUSTOMER_FILES)


def customer_status(contract: Contract) -> str:
    """The status as the customer reads it: the staff's "approved" is a contract on its way
    to Vchasno or waiting for the customer to register there, "with the customer" is theirs
    to sign."""
    if contract.status == "approved":
        if contract.last_error == WAITING_REGISTRATION:
            return gettext("Чекає на реєстрацію вашої компанії у «Вчасно»: посилання надіслано на e-mail і SMS.")
        return gettext("Готується до надсилання на підпис")
    if contract.status == "sent":
        return gettext("Чекає на ваш підпис")
    return str(STATUS_LABELS.get(contract.status, contract.status))


@bp.get("/contracts/<int:contract_id>/<any(pdf_file, signed_file, signature_file):kind>")
@customer_required
def contract_file(contract_id: int, kind: str) -> Any:
    """Another company's contract, a draft or a file not there yet: 404 alike."""
    contract = db_session.scalar(_shown().where(Contract.id == contract_id))
    stored = getattr(contract, kind) if contract is not None else None
    if stored is None:
        abort(404)
    return download(stored)
