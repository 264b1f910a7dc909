"""LiqPay calls us: `server_url` receives a form POST of data + signature.

The signature is checked before anything else; a bad one is refused with 400 and
changes nothing, and so is a signed notice that cannot be a payment (no order, status
or amount; an amount that is not a positive number of cents). A valid notice is stored
as an outbox event and answered at once:
applying it (the payment stored once per payment_id, the allocation, the order's
release) is the relay's work — a Celery worker in production, the same request in the
embedded default — so LiqPay never waits on our locks, and a notice that fails to
apply is retried instead of lost.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, request

from core import outbox
from core.db import autocommit, db_session
from core.web import csrf
from payments.acquirer import MalformedNotice, SignatureError
from payments.card import NOTICE_TOPIC, card_acquirer

bp = Blueprint("payments", __name__)
log = logging.getLogger(__name__)


@bp.post("/payments/liqpay/callback")
@csrf.exempt
@autocommit  # its one write is the event's INSERT
def liqpay_callback() -> Any:
    acquirer = card_acquirer()
    fields = {name: request.form.get(name, "") for name in acquirer.callback_fields}
    try:
        notice = acquirer.verify_callback(fields)
    except SignatureError as exc:
        log.warning("LiqPay callback refused from %s: %s", request.remote_addr, exc)
        return {"ok": False, "error": "invalid signature"}, 400
    except MalformedNotice as exc:
        # Signed by our key but not a payment: storing it would only fail later (or,
        # worse, book it), so it is refused here and the reason kept in the log.
        log.warning("LiqPay callback refused as malformed from %s: %s", request.remote_addr, exc.detail)
        return {"ok": False, "error": "malformed notice"}, 400
    if notice.payment_id is not None:  # a notice about no payment has nothing to apply
        outbox.emit_one(db_session, NOTICE_TOPIC, fields)
        db_session.commit()
    return {"ok": True}
