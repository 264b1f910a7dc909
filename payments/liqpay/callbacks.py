"""LiqPay calls us: `server_url` receives a form POST of data + signature.

The signature is checked before anything else; a bad one is refused with 400 and
changes nothing. A valid notice is applied once however often it arrives.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, request

from core.app import csrf
from core.db import db_session
from payments.card import liqpay_client, record_notice
from payments.liqpay.interface import SignatureError

bp = Blueprint("payments", __name__)
log = logging.getLogger(__name__)


@bp.post("/payments/liqpay/callback")
@csrf.exempt
def liqpay_callback() -> Any:
    client = liqpay_client()
    try:
        notice = client.parse_callback(request.form.get("data", ""), request.form.get("signature", ""))
    except SignatureError as exc:
        log.warning("LiqPay callback refused from %s: %s", request.remote_addr, exc)
        return {"ok": False, "error": "invalid signature"}, 400
    record_notice(db_session, notice, client.sandbox)
    db_session.commit()
    return {"ok": True}
