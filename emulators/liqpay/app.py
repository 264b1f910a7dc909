"""The emulated LiqPay as a Flask app: the protocol endpoints and the test controls."""
from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from flask import Flask, jsonify, redirect, render_template, request

from emulators.liqpay.ledger import FAILURE_MODES, TEST_CARDS, Failure, Ledger
from emulators.liqpay.protocol import ProtocolError, amount, decode_signed, validate_checkout


def create_app(
    public_key: str, private_key: str, *, delay: float = 1.0,
    retry_delays: Sequence[float] = (0.5, 1.0, 2.0), callback_timeout: float = 5.0,
) -> Flask:
    """`delay`: seconds the delayed card stays in wait_accept. `retry_delays`: pauses
    before each re-delivery of a callback that failed (connection error or non-2xx)."""
    app = Flask(__name__)
    ledger = Ledger(
        public_key, private_key, delay=delay, retry_delays=retry_delays, callback_timeout=callback_timeout
    )

    def verified(data: str | None, signature: str | None) -> tuple[dict[str, Any], int]:
        payload, version = decode_signed(data, signature, private_key)
        if payload.get("public_key") != public_key:
            raise ProtocolError("public_key_not_found", "Unknown public_key")
        return payload, version

    def not_found(message: str) -> Any:
        return jsonify({"error": message}), 404

    @app.errorhandler(ProtocolError)
    def refused(exc: ProtocolError) -> Any:
        return jsonify(exc.as_json()), 400

    # LiqPay takes the checkout as a form POST or as a GET with the same two arguments.
    @app.route("/api/3/checkout", methods=["GET", "POST"])
    def checkout() -> Any:
        data, signature = request.values.get("data"), request.values.get("signature")
        payload, version = verified(data, signature)
        total = validate_checkout(payload)
        ledger.open_checkout(payload, version)
        return render_template(
            "liqpay_checkout.html", payload=payload, amount=total, data=data, signature=signature,
            cards=TEST_CARDS, error=None,
        )

    # The Pay button of the checkout page: internal to the emulator, like LiqPay's own page.
    @app.post("/checkout/pay")
    def pay_in_browser() -> Any:
        data, signature = request.form.get("data"), request.form.get("signature")
        payload, version = verified(data, signature)
        total = validate_checkout(payload)
        try:
            payment = ledger.pay(payload, version, total, request.form.get("card", ""), deliver=True)
        except ProtocolError as exc:
            page = render_template(
                "liqpay_checkout.html", payload=payload, amount=total, data=data, signature=signature,
                cards=TEST_CARDS, error=exc.description,
            )
            return page, 400
        if payload.get("result_url"):
            return redirect(payload["result_url"], 302)
        return render_template("liqpay_result.html", payment=payment.state())

    @app.post("/api/request")
    def api_request() -> Any:
        failure = ledger.failures.next()
        if failure and failure.mode == "server_error":
            return "Service Unavailable", 503
        if failure and failure.mode == "timeout":
            # Then answered as usual: like a slow LiqPay, a refund may well be made
            # after the client gave up on it.
            time.sleep(failure.seconds)
        # LiqPay answers API errors with HTTP 200 and result "error" in the JSON.
        try:
            payload, _ = verified(request.form.get("data"), request.form.get("signature"))
            if failure and failure.mode == "error":
                raise ProtocolError(failure.err_code, "forced by /_emulator/fail")
            action = payload.get("action")
            if action not in ("status", "refund"):
                raise ProtocolError("err_action", f"Unsupported action {action!r}")
            payment = ledger.find(order_id=payload.get("order_id"), payment_id=payload.get("payment_id"))
            if payment is None:
                raise ProtocolError("payment_not_found", "Payment not found")
            if action == "status":
                return jsonify({"result": "ok"} | payment.state())
            refund_amount = amount(payload["amount"]) if payload.get("amount") is not None else None
            return jsonify({"result": "ok"} | ledger.refund(payment, refund_amount))
        except ProtocolError as exc:
            return jsonify(exc.as_json())

    @app.post("/_emulator/pay")
    def pay_without_browser() -> Any:
        """JSON {data, signature} or {order_id} of a checkout page already shown; card;
        deliver_callback (default true; false records the callback as lost)."""
        body = request.get_json(force=True) or {}
        if body.get("data") or body.get("signature"):
            payload, version = verified(body.get("data"), body.get("signature"))
            if body.get("order_id") not in (None, payload.get("order_id")):
                raise ProtocolError("err_wrong", "order_id does not match the signed data")
        elif body.get("order_id") in ledger.checkouts:
            payload, version = ledger.checkouts[body["order_id"]]
        else:
            return not_found("No checkout was opened for this order_id")
        total = validate_checkout(payload)
        payment = ledger.pay(
            payload, version, total, str(body.get("card", "")), deliver=bool(body.get("deliver_callback", True))
        )
        return jsonify(ledger.describe(payment) | {"redirect": payload.get("result_url")})

    @app.get("/_emulator/payments")
    def payments() -> Any:
        return jsonify(ledger.snapshot(request.args.get("order_id")))

    @app.post("/_emulator/resend/<int:payment_id>")
    def resend(payment_id: int) -> Any:
        payment = ledger.payments.get(payment_id)
        if payment is None:
            return not_found("No such payment")
        callback = ledger.resend(payment)
        if callback is None:
            return not_found("This payment has no callback to resend")
        return jsonify(callback.as_json())

    @app.post("/_emulator/fail")
    def fail() -> Any:
        """Form `mode` (server_error, timeout, error), `count` of the next /api/request
        calls to spoil (default 1), `seconds` a timeout sleeps (default 15), `err_code`
        the error answers with (mode error)."""
        mode = request.values.get("mode", "")
        if mode not in FAILURE_MODES:
            return jsonify({"error": f"mode must be one of {', '.join(FAILURE_MODES)}"}), 400
        err_code = request.values.get("err_code", "")
        if mode == "error" and not err_code:
            return jsonify({"error": "mode error needs an err_code"}), 400
        try:
            failure = Failure(mode, int(request.values.get("count", "1")), float(request.values.get("seconds", "15")), err_code)
        except ValueError:
            return jsonify({"error": "count must be a whole number and seconds a number"}), 400
        ledger.failures.arm(failure)
        return jsonify({"mode": failure.mode, "count": failure.count, "seconds": failure.seconds, "err_code": err_code})

    @app.post("/_emulator/reset")
    def reset() -> Any:
        ledger.reset()
        return "", 204

    return app
