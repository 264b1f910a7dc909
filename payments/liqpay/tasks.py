"""LiqPay's periodic work: a lost callback never leaves an invoice unpaid."""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from core.jobs import periodic
from payments.card import NOT_FOUND, apply_status_answer, due_for_reconciliation, liqpay_client
from payments.liqpay.interface import LiqpayError

log = logging.getLogger(__name__)


@periodic("liqpay.reconcile", every_seconds=60)
def reconcile_card_payments(session: Session) -> int:
    """Ask LiqPay about the checkouts due a question; returns how many it reported a
    payment for. Each checkout is its own short transaction, and none is open while
    LiqPay is being asked: a slow LiqPay holds no locks and no connection's transaction."""
    client = liqpay_client()
    due = due_for_reconciliation(session)
    session.commit()
    answered = 0
    for checkout_id, reference in due:
        try:
            notice = client.status(reference)
            answer = notice.status if notice is not None else NOT_FOUND
        except LiqpayError as exc:
            log.warning("LiqPay status of %s failed: %s", reference, exc)
            notice, answer = None, exc.code
        answered += apply_status_answer(session, checkout_id, notice, answer, client.sandbox)
        session.commit()
    return answered
