"""The emulated Atompark SMS API v3 as a Flask app: the API and the test controls."""
from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask, jsonify, render_template, request

from emulators.atompark.ledger import FAILURE_MODES, Failure, Ledger
from emulators.atompark.protocol import (
    NOT_ENOUGH_MONEY,
    SEND_FAILED,
    WRONG_CAMPAIGN_ID,
    ProtocolError,
    parse_send,
    verify,
)

CURRENCY = "UAH"
# The most campaigns one getCampaignList answer holds (the emulator's own cap).
MAX_LIST = 1000
STATUS_WORDS = {"0": "у черзі", "SENT": "надіслано", "DELIVERED": "доставлено", "NOT_DELIVERED": "не доставлено"}


def create_app(
    public_key: str, private_key: str, *, delivery_delay: float = 0.5,
    balance: Decimal = Decimal("1000.00"), price_per_segment: Decimal = Decimal("0.80"),
) -> Flask:
    """`delivery_delay`: seconds from acceptance to the final delivery status."""
    app = Flask(__name__)
    keys = {public_key: private_key}
    ledger = Ledger(balance=balance, price_per_segment=price_per_segment, delivery_delay=delivery_delay)

    def send_sms(params: dict[str, str]) -> dict[str, Any]:
        message = ledger.accept(parse_send(params))
        return {"id": message.campaign_id, "price": float(message.price), "currency": CURRENCY}

    def delivery_stats(params: dict[str, str]) -> dict[str, Any]:
        campaign_id = params.get("id", "")
        message = ledger.find(int(campaign_id)) if campaign_id.isdigit() else None
        if message is None:
            raise ProtocolError(WRONG_CAMPAIGN_ID, repr(campaign_id))
        return ledger.delivery_stats(message)

    def campaign_list(params: dict[str, str]) -> dict[str, Any]:
        start, count = params.get("from", "0"), params.get("offset", "100")
        if not (start.isdigit() and count.isdigit()):
            raise ProtocolError(SEND_FAILED, "from and offset are whole numbers")
        return ledger.campaign_list(int(start), min(int(count), MAX_LIST))

    def user_balance(params: dict[str, str]) -> dict[str, Any]:
        # The emulated account is kept in UAH and answers in UAH whatever `currency` asks:
        # there are no exchange rates here, and a client must check what it got.
        return {"balance_currency": float(ledger.balance), "currency": CURRENCY}

    # Atompark takes method names in any case (its own SDKs post to "sendsms").
    methods: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
        "sendsms": send_sms, "getcampaigndeliverystats": delivery_stats, "getuserbalance": user_balance,
        "getcampaignlist": campaign_list,
    }

    @app.route("/sms/3.0/<action>", methods=["GET", "POST"])
    def api(action: str) -> Any:
        method = methods.get(action.lower())
        if method is None:
            return jsonify({"error": f"Method {action} is not emulated"}), 404
        failure = ledger.failures.next() if method is send_sms else None
        if failure and failure.mode == "server_error":
            return "Internal Server Error", 500
        if failure and failure.mode == "timeout":
            # Then answered as usual: like a slow provider, the SMS may well go out
            # after the client gave up on it.
            time.sleep(failure.seconds)
        params = request.values.to_dict()
        try:
            verify(params, action, keys)
            if failure and failure.mode == "no_money":
                raise ProtocolError(NOT_ENOUGH_MONEY, "forced by /_emulator/fail")
            result = method(params)
        except ProtocolError as exc:
            # Atompark answers a refusal with HTTP 200 and "error" in the JSON.
            return jsonify(exc.as_json())
        return jsonify({"result": result})

    @app.get("/_emulator/messages")
    def messages() -> Any:
        listed = ledger.snapshot()
        html = request.args.get("format") == "html" or (
            request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
        )
        if html:
            return render_template(
                "atompark_messages.html", messages=listed[::-1], balance=ledger.balance, words=STATUS_WORDS,
            )
        return jsonify(listed)

    @app.post("/_emulator/reset")
    def reset() -> Any:
        ledger.reset()
        return "", 204

    @app.post("/_emulator/fail")
    def fail() -> Any:
        """Form `mode` (no_money, server_error, timeout), `count` of the next sendSMS
        requests to spoil (default 1), `seconds` a timeout sleeps (default 15)."""
        mode = request.values.get("mode", "")
        if mode not in FAILURE_MODES:
            return jsonify({"error": f"mode must be one of {', '.join(FAILURE_MODES)}"}), 400
        try:
            failure = Failure(mode, int(request.values.get("count", "1")), float(request.values.get("seconds", "15")))
        except ValueError:
            return jsonify({"error": "count must be a whole number and seconds a number"}), 400
        ledger.failures.arm(failure)
        return jsonify({"mode": failure.mode, "count": failure.count, "seconds": failure.seconds})

    @app.post("/_emulator/balance")
    def set_balance() -> Any:
        try:
            value = Decimal(request.values.get("balance", ""))
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite():
            return jsonify({"error": "balance must be a number"}), 400
        ledger.set_balance(value)
        return jsonify({"balance": str(value)})

    return app
