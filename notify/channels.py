"""The two real channels, built from config once per process, and the one `prepare`
the delivery engine calls with a claimed message row."""
from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import Row
from sqlalchemy.orm import Session

from core.providers import ProviderError
from notify.atompark.client import AtomparkClient
from notify.delivery import Handover
from notify.email.sender import Attachment, SmtpSender, SmtpSettings
from notify.gateways import MailRelay, SmsGateway
from notify.events import mask_secret_links
from notify.planning import text_to_send
from notify.rendering import RenderError, email_html
from payments.documents import render_invoice_pdf
from payments.invoice_document import invoice_pdf_source
from payments.models import Invoice

_lock = threading.Lock()


def sms_client(app: Any) -> SmsGateway:
    with _lock:
        client = app.extensions.get("notify_sms")
        if client is None:
            config = app.config
            client = AtomparkClient(
                config["ATOMPARK_PUBLIC_KEY"], config["ATOMPARK_PRIVATE_KEY"], config["SMS_SENDER"],
                base_url=config["ATOMPARK_BASE_URL"], timeout=config["NOTIFY_PROVIDER_TIMEOUT"],
            )
            app.extensions["notify_sms"] = client
        return client


def email_sender(app: Any) -> MailRelay:
    config = app.config
    return SmtpSender(
        SmtpSettings(
            host=config["SMTP_HOST"], port=config["SMTP_PORT"], security=config["SMTP_SECURITY"],
            username=config["SMTP_USERNAME"] or None, password=config["SMTP_PASSWORD"] or None,
            from_address=config["MAIL_FROM"], timeout=config["NOTIFY_PROVIDER_TIMEOUT"],
            verify_tls=config["SMTP_VERIFY_TLS"], ca_file=config["SMTP_CA_FILE"],
        )
    )


def prepare(session: Session, row: Row) -> Handover:
    """Everything the claimed message needs from the database (its text, a secret link
    minted again, invoice PDFs), read now; the returned hand-over then only talks to the
    provider, so the caller can end its transaction first (see `delivery.send_claimed`)."""
    app = current_app._get_current_object()
    try:
        subject, body = text_to_send(session, row)
    except RenderError as exc:
        raise _ours("template_error", str(exc)) from exc
    if row.channel == "sms":
        client = sms_client(app)
        return lambda: client.send_sms(row.recipient, body).campaign_id
    if row.channel == "email":
        with force_locale(row.language):
            footer = gettext("Цей лист надіслано автоматично порталом замовлень %(supplier)s.",
                             supplier=app.config["SUPPLIER_NAME"])
        sender = email_sender(app)
        html = email_html(body, subject, footer)
        files = _attachments(session, row.attachments or [])
        message_id = message_id_of(row.id, row.created_at, app.config["MAIL_FROM"])
        return lambda: sender.send(row.recipient, subject, body, html, attachments=files, message_id=message_id)
    raise _ours("unknown_channel", row.channel)


def _ours(code: str, detail: str) -> ProviderError:
    """A message that cannot be sent for a reason on our side (its template, its
    attachment): no provider was asked, and asking one later cannot help either. The
    delivery engine records every failure the same way, so it takes the same error."""
    return ProviderError("notify", code, detail, retryable=False)


def find_sent_sms(row: Row) -> list[str]:
    """What Atompark received that could be this SMS: our sender, its phone and its text
    (links with a secret compared masked, as the text is stored)."""
    wanted = mask_secret_links(row.body)
    return sms_client(current_app._get_current_object()).find_campaigns(
        row.recipient, lambda body: mask_secret_links(body) == wanted)


def message_id_of(message_id: int, created_at: datetime, from_address: str) -> str:
    """One Message-ID per message, whichever attempt sends it: a copy sent again after a
    crash is then the same e-mail to every relay and mail client that has the first.
    The creation time keeps ids apart across databases (a demo that was reset)."""
    domain = parseaddr(from_address)[1].rpartition("@")[2] or "localhost"
    return f"<notify.{message_id}.{int(created_at.timestamp())}@{domain}>"


def _attachments(session: Session, wanted: list[dict[str, Any]]) -> Callable[[], list[Attachment]]:
    """The files' sources are read now, inside the transaction; the PDFs are rendered by
    the sender once the relay has let us in, so a relay that is down costs no rendering.
    Built for each attempt from the record itself, so the stored message stays small."""
    sources = []
    for item in wanted:
        invoice = session.get(Invoice, item.get("invoice_pdf"))
        if invoice is None:
            raise _ours("attachment_missing", f"invoice {item.get('invoice_pdf')}")
        sources.append(invoice_pdf_source(invoice))
    return lambda: [Attachment(filename, "application/pdf", render_invoice_pdf(document)) for document, filename in sources]
