"""Outbox handlers of the payments package."""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.outbox import OutboxEvent, handler
from payments.card import NOTICE_TOPIC, liqpay_client, record_notice
from payments.models import Refund
from payments.refunds import carry_out


@handler(NOTICE_TOPIC)
def apply_liqpay_notice(session: Session, outbox_event: OutboxEvent) -> None:
    """A callback's notice, verified when it came and again here (the row is ours, but a
    signature costs microseconds and keeps this handler safe on its own)."""
    client = liqpay_client()
    notice = client.parse_callback(outbox_event.payload["data"], outbox_event.payload["signature"])
    record_notice(session, notice, client.sandbox)


@handler("payment.refund_requested")
def refund_through_liqpay(session: Session, outbox_event: OutboxEvent) -> None:
    refund = session.get(Refund, outbox_event.payload["refund_id"])
    if refund is not None:
        carry_out(session, refund)
