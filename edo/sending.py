"""An approved contract to the customer in Vchasno: registration checked, the document
uploaded once, sent for the customer's signature.

Once, even across a crash: the document carries our id as Vchasno's `vendor_id`, and
before uploading we look for it by that id. A worker that died after the upload (or after
the send) and before its commit left a document in Vchasno and nothing here; the next
delivery finds that document and carries on from its status instead of uploading again.

A customer not registered in Vchasno could not sign: the contract waits "approved", the
company is invited once (with the discount of EDO_REGISTRATION_DISCOUNT_PERCENT on its
next order), and `registration.check_invited` sends the contract once it has registered.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.customers.models import Company
from core.files.services import read_file, store_file
from core.outbox import emit
from edo import pdf
from edo.history import record
from edo.models import Contract, RegistrationIncentive
from edo.settings import registration_discount
from edo.vchasno.interface import READY, SENT_FOR_FIRST_SIGNATURE, EdoProvider, VchasnoDocument

APPROVED, SENT = "approved", "sent"
# last_error of a contract waiting for its customer's registration (edo/notes.py words it).
WAITING_REGISTRATION = "waiting_registration"


def vendor_id(contract: Contract) -> str:
    return f"contract-{contract.id}"


def document_url(document_id: str) -> str:
    """The document in Vchasno's web app, where the customer signs it."""
    return f"{current_app.config['VCHASNO_BASE_URL'].rstrip('/')}/app/documents/{document_id}"


def send_contract(session: Session, provider: EdoProvider, contract: Contract) -> bool:
    """Upload and send an approved contract; True when it is now with the customer.
    Anything but "approved" is left alone (a redelivered event, a contract sent already)."""
    if contract.status != APPROVED:
        return False
    company = contract.company
    if not company.vchasno_registered:
        if not provider.is_registered(company.tax_id):
            invite(session, contract)
            return False
        mark_registered(session, company.id)
    document = upload_document(session, provider, contract)
    status = document.status
    if status == READY:
        provider.send(document.id)
        status = SENT_FOR_FIRST_SIGNATURE
    contract.status, contract.sent_at, contract.last_error = SENT, utcnow(), ""
    contract.vchasno_status, contract.vchasno_checked_at = status, utcnow()
    record(session, contract, "sent")
    emit(session, "contract.sent_for_signature", {
        "contract_id": contract.id, "company_id": company.id, "number": contract.number,
        "title": title_of(contract), "sign_url": document_url(document.id),
    })
    session.flush()
    return True


def title_of(contract: Contract) -> str:
    return f"Договір № {contract.number}"


def upload_document(session: Session, provider: EdoProvider, contract: Contract) -> VchasnoDocument:
    """The contract's document in Vchasno: the one uploaded before (found by our id), or
    uploaded now."""
    # To this customer only: our ids start again after a restore from a backup, and the
    # document of a contract since lost, sent to another customer, is not this one.
    found = provider.find_by_vendor_id(vendor_id(contract), contract.company.tax_id)
    if found:
        document = found[0]
        comment = "знайдено у Вчасно за нашим ідентифікатором"
    else:
        content, filename = _document_file(session, contract)
        company = contract.company
        document = provider.upload(
            content, filename, vendor_id=vendor_id(contract), recipient_edrpou=company.tax_id,
            recipient_email=company.email or "", title=title_of(contract), number=contract.number,
            category=current_app.config["EDO_CONTRACT_CATEGORY"],
        )
        comment = filename
    contract.vchasno_id = document.id
    record(session, contract, "uploaded", comment=comment)
    return document


def _document_file(session: Session, contract: Contract) -> tuple[bytes, str]:
    """What goes for signature: the PDF of the .docx (the manager's edit, else the
    generated one) when LibreOffice can make it, else that .docx; the .docx is kept."""
    if contract.pdf_file is not None:
        return read_file(contract.pdf_file), contract.pdf_file.name
    docx = contract.edited_file or contract.generated_file
    content = read_file(docx)
    stem = f"dogovir-{contract.number}".replace("/", "-")
    if current_app.config["EDO_SEND_PDF"]:
        made = pdf.to_pdf(content)
        if made.pdf is not None:
            contract.pdf_file = store_file(session, made.pdf, f"{stem}.pdf", "application/pdf")
            return made.pdf, contract.pdf_file.name
    return content, f"{stem}.docx"


def invite(session: Session, contract: Contract) -> RegistrationIncentive:
    """The company is asked to register in Vchasno, once whatever number of its contracts
    wait; the contract stays approved, with the reason to see."""
    contract.last_error = WAITING_REGISTRATION
    incentive = session.scalar(select(RegistrationIncentive).where(RegistrationIncentive.company_id == contract.company_id))
    if incentive is None:
        percent = registration_discount(current_app.config)
        incentive = RegistrationIncentive(company_id=contract.company_id, percent=percent)
        session.add(incentive)
        session.flush()
        emit(session, "contract.registration_invited", {
            "contract_id": contract.id, "company_id": contract.company_id, "percent": str(percent),
        })
    session.flush()
    return incentive


def mark_registered(session: Session, company_id: int) -> None:
    """The company is in Vchasno now: remembered, and its invitation's discount earned."""
    session.get(Company, company_id).vchasno_registered = True
    incentive = session.scalar(select(RegistrationIncentive).where(RegistrationIncentive.company_id == company_id))
    if incentive is not None and incentive.registered_at is None:
        incentive.registered_at = utcnow()
    session.flush()
