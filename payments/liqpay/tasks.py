"""The card acquirer's periodic work: a lost callback never leaves an invoice unpaid."""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from core.jobs import periodic
from core.providers import ProviderError
from payments.card import NOT_FOUND, apply_status_answer, card_acquirer, due_for_reconciliation

log = logging.getLogger(__name__)


@periodic("liqpay.reconcile", every_seconds=60)
def reconcile_card_payments(session: Session) -> int:
    """Ask the acquirer about the checkouts due a question; returns how many it reported
    a payment for. Each checkout is its own short transaction, and none is open while
    the acquirer is being asked: a slow one holds no locks and no connection's transaction.
    A failure, retryable or not, is that checkout's answer (its code), and the checkout is
    asked again on its schedule until the window closes: a permanent one (refused keys)
    is a configuration to fix, so it is logged as an error."""
    client = card_acquirer()
    due = due_for_reconciliation(session)
    session.commit()
    answered = 0
    for checkout_id, reference in due:
        try:
            notice = client.status(reference)
            answer = notice.status if notice is not None else NOT_FOUND
        except ProviderError as exc:
            log.log(logging.WARNING if exc.retryable else logging.ERROR, "status of %s failed: %s", reference, exc)
            notice, answer = None, exc.code
        answered += apply_status_answer(session, client.name, checkout_id, notice, answer)
        session.commit()
    return answered
