"""Outbox handlers of the payments package."""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.outbox import OutboxEvent, handler
from payments.models import Refund
from payments.refunds import carry_out


@handler("payment.refund_requested")
def refund_through_liqpay(session: Session, outbox_event: OutboxEvent) -> None:
    refund = session.get(Refund, outbox_event.payload["refund_id"])
    if refund is not None:
        carry_out(session, refund)
