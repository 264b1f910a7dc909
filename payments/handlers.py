"""Outbox handlers of the payments package."""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from core.outbox import OutboxEvent, handler
from payments.acquirer import MalformedNotice
from payments.card import NOTICE_TOPIC, card_acquirer, record_notice
from payments.models import Refund
from payments.refunds import carry_out

log = logging.getLogger(__name__)


@handler(NOTICE_TOPIC, name="payments.apply_card_notice")
def apply_liqpay_notice(session: Session, outbox_event: OutboxEvent) -> None:
    """A callback's notice, verified when it came and again here (the row is ours, but a
    signature costs microseconds and keeps this handler safe on its own)."""
    acquirer = card_acquirer()
    try:
        notice = acquirer.verify_callback(outbox_event.payload)
    except MalformedNotice as exc:
        # Stored before the callback checked this much: no retry makes it right, so the
        # event ends here (changing nothing) instead of waiting out every attempt.
        log.warning("LiqPay notice of event %s refused as malformed: %s", outbox_event.id, exc.detail)
        return
    record_notice(session, acquirer.name, notice)


# Outward: LiqPay is asked, so never inside a request.
@handler("payment.refund_requested", name="payments.carry_out_refund", outward=True)
def refund_through_liqpay(session: Session, outbox_event: OutboxEvent) -> None:
    refund = session.get(Refund, outbox_event.payload["refund_id"])
    if refund is not None:
        carry_out(session, refund)
