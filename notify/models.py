from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import Base

QUEUED, SENDING, SENT, DELIVERED, FAILED = "queued", "sending", "sent", "delivered", "failed"
# A worker died while the message was on the wire: nobody knows yet whether it went.
UNKNOWN = "unknown"
MESSAGE_STATUSES = (QUEUED, SENDING, SENT, DELIVERED, FAILED, UNKNOWN)
CHANNELS = ("sms", "email")


class Message(Base):
    """One message to one address: what was rendered, and what became of it.

    `sending` is held under a lease by one worker; `claim` names the batch it was
    taken in, so after a crash the sweep can tell the one message that was on the
    wire (its outcome unknown) from those never tried. An `unknown` message keeps the
    end of that lease in `lease_until`: the provider is asked about what it received
    before then, and `next_attempt_at` says when to ask.
    """

    __tablename__ = "message"
    __table_args__ = (
        # The same event never produces the same message twice, however often it is delivered.
        UniqueConstraint("event_id", "channel", "recipient", "template", name="uq_message_event_channel"),
        Index("ix_message_status_next_attempt", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_event.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    template: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(5), default="uk")
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    # What to attach when sending, e.g. [{"invoice_pdf": 42}]: built at send time, not stored.
    attachments: Mapped[list | None] = mapped_column(JSON, default=None)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    provider_id: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(default=0)
    error_code: Mapped[str] = mapped_column(String(40), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class MessageTemplate(Base):
    """Staff's own wording of one event on one channel in one language; without a row
    the shipped default (notify/defaults.py) is used."""

    __tablename__ = "message_template"
    __table_args__ = (UniqueConstraint("event", "channel", "language", name="uq_message_template"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NotifyRule(Base):
    """An event on a channel switched off (or back on) by staff; no row means on."""

    __tablename__ = "notify_rule"

    event: Mapped[str] = mapped_column(String(60), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CompanyNotifySettings(Base):
    """A company's choice of channels and of marketing messages; no row means all on."""

    __tablename__ = "company_notify_settings"
    __table_args__ = (CheckConstraint("sms OR email", name="one_channel"),)

    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"), primary_key=True)
    sms: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=True)
    marketing: Mapped[bool] = mapped_column(default=True)
