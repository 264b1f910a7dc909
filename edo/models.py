"""What the contracts package keeps: the lawyers' template versions, each contract with the
data it was made from and where it stands in Vchasno, its history, and the one-time incentive
for a customer who registers in Vchasno."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.customers.models import Company
from core.db import Base
from core.files.models import StoredFile
from core.staff.models import StaffUser

# Where a contract stands. Only a lawyer moves it from "review" to "approved"; from
# "approved" on, the document is Vchasno's and its status codes move it.
DRAFT_STATES = ("review", "returned")  # never shown to the customer
CONTRACT_STATES = (
    "review",  # waiting for the lawyer
    "returned",  # the lawyer sent it back to the manager with a comment
    "approved",  # approved, waiting for its upload (the outbox) or for the customer's registration
    "sent",  # in Vchasno, waiting for the customer's signature
    "signed",  # fully signed (7008)
    "rejected",  # the customer refused to sign (7006), with their reason
    "annulled",  # annulled in Vchasno (7011)
    "superseded",  # replaced by a newer contract before it was signed
)
OPEN_STATES = ("approved", "sent")  # Vchasno's statuses are polled for "sent"

HISTORY_ACTIONS = (
    "generated", "edited", "approved", "returned", "uploaded", "sent",
    "signed", "rejected", "annulled", "superseded", "upload_failed",
)


class ContractTemplate(Base):
    """One version of the contract template, as a lawyer uploaded it. The newest is used."""

    __tablename__ = "contract_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    # The placeholders the upload check found, for the templates page.
    placeholders: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(String(500), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    file: Mapped[StoredFile] = relationship()
    uploaded_by: Mapped[StaffUser | None] = relationship()


class Contract(Base):
    __tablename__ = "contract"
    __table_args__ = (
        CheckConstraint(
            "status IN ('review', 'returned', 'approved', 'sent', 'signed', 'rejected', 'annulled', 'superseded')",
            name="status",
        ),
        # The lawyer's queue (oldest first) and the polling job (open documents) are index walks.
        Index("ix_contract_status_submitted", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("contract_template.id"))
    status: Mapped[str] = mapped_column(String(12), default="review")
    # manual | first_order | terms_changed: why it was generated.
    reason: Mapped[str] = mapped_column(String(20), default="manual")
    # edo.fields.ContractFields as generated (dates ISO, money as strings): what the text was made from.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The .docx as generated, the manager's edited .docx when there is one, and the PDF sent.
    generated_file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    edited_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    pdf_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When it (last) entered the lawyer's queue: the queue's waiting time counts from here.
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    approved_at: Mapped[datetime | None]
    # Vchasno: the document's id, its last status code and when it was asked.
    vchasno_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    vchasno_status: Mapped[int | None]
    vchasno_checked_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    # The signed original and the signature container, once fully signed; never replaced.
    signed_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    signature_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    # The customer's reason for rejecting, as Vchasno gives it.
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    # The last failure sending it (a provider's code), shown on the contract and the sync page.
    last_error: Mapped[str] = mapped_column(Text, default="")

    company: Mapped[Company] = relationship()
    template: Mapped[ContractTemplate] = relationship()
    generated_file: Mapped[StoredFile] = relationship(foreign_keys=[generated_file_id])
    edited_file: Mapped[StoredFile | None] = relationship(foreign_keys=[edited_file_id])
    pdf_file: Mapped[StoredFile | None] = relationship(foreign_keys=[pdf_file_id])
    signed_file: Mapped[StoredFile | None] = relationship(foreign_keys=[signed_file_id])
    signature_file: Mapped[StoredFile | None] = relationship(foreign_keys=[signature_file_id])
    created_by: Mapped[StaffUser | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[StaffUser | None] = relationship(foreign_keys=[approved_by_id])
    history: Mapped[list[ContractEvent]] = relationship(
        back_populates="contract", order_by="ContractEvent.id", cascade="all, delete-orphan"
    )

    @property
    def is_draft(self) -> bool:
        return self.status in DRAFT_STATES


class ContractEvent(Base):
    """One step in a contract's life: who (a member of staff, or nobody for Vchasno and the
    jobs), when, and the comment or reason that came with it."""

    __tablename__ = "contract_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="history")
    staff_user: Mapped[StaffUser | None] = relationship()


class RegistrationIncentive(Base):
    """A customer not yet in Vchasno was invited to register with a discount on its next
    order; the discount is given once, when the registration is seen."""

    __tablename__ = "vchasno_registration_incentive"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), unique=True)
    percent: Mapped[Decimal]
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When Vchasno was last asked whether it has registered (edo/registration.py asks the
    # longest-unasked first, a batch at a time).
    checked_at: Mapped[datetime | None]
    registered_at: Mapped[datetime | None]
    # The order the discount went to; set once, so it is never given twice.
    used_order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), unique=True)
    used_at: Mapped[datetime | None]

    company: Mapped[Company] = relationship()


class ContractNumberCounter(Base):
    """The last sequence number of contracts of a year (edo.numbering). On PostgreSQL it is
    moved in a short transaction of its own, so a generation holds no lock while it renders;
    a generation that rolls back leaves a gap, never a repeat."""

    __tablename__ = "contract_number_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int]
