"""LiqPay's periodic work: a lost callback never leaves an invoice unpaid."""
from __future__ import annotations

from sqlalchemy.orm import Session

from core.jobs import periodic
from payments.card import reconcile


@periodic("liqpay.reconcile", every_seconds=60)
def reconcile_card_payments(session: Session) -> int:
    answered = reconcile(session)
    session.commit()
    return answered
