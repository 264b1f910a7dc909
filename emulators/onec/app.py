"""The emulated 1C as a Flask app: the published web service, its WSDL, the page a
person uses as "1C", and the test controls."""
from __future__ import annotations

import base64
import binascii
import hmac
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template, request

from emulators.onec.infobase import FAILURE_MODES, ORDER_STATUSES, ControlError, Failure, Infobase
from emulators.onec.protocol import CODES, CONTENT_TYPE, Fault
from emulators.onec.service import TAX_ID, call

# The contract, not a copy: the WSDL the 1C side is asked to publish.
WSDL = Path(__file__).resolve().parents[2] / "onec" / "wsdl" / "portal_exchange.wsdl"
WSDL_PLACEHOLDER = "http://localhost/base/ws/portal_exchange.1cws"
# 1C answers at /<base>/ws/<name> and at /<base>/ws/<publication file>.1cws alike.
SERVICE_PATHS = ("/ws/portal_exchange", "/ws/portal_exchange.1cws")


def create_app(user: str, password: str) -> Flask:
    """`user`, `password`: the HTTP Basic credentials of the 1C user the portal calls as."""
    app = Flask(__name__)
    infobase = Infobase()
    expected = f"{user}:{password}".encode()

    def authorized() -> bool:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            given = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            return False
        return scheme.lower() == "basic" and hmac.compare_digest(given, expected)

    def unauthorized() -> Response:
        return Response("Unauthorized", 401, {"WWW-Authenticate": 'Basic realm="1C:Enterprise"'})

    def soap(body: bytes, status: int = 200) -> Response:
        return Response(body, status, content_type=CONTENT_TYPE)

    def wsdl() -> Response:
        here = request.base_url.removesuffix(".1cws")
        text = WSDL.read_text(encoding="utf-8").replace(WSDL_PLACEHOLDER, here)
        return Response(text, content_type=CONTENT_TYPE)

    def service() -> Response:
        if request.method == "GET":
            if not authorized():
                return unauthorized()
            if "wsdl" in (key.lower() for key in request.args):
                return wsdl()
            return Response("Add ?wsdl for the service description", 404)
        failure = infobase.failures.next()
        if failure and failure.mode == "server_error":
            # The web server in front of 1C answers this one, before any authentication.
            return Response("Service Unavailable", 503)
        if failure and failure.mode == "delay":
            time.sleep(failure.seconds)
        if not authorized():
            return unauthorized()
        try:
            if failure and failure.mode == "fault":
                raise Fault(failure.code, "forced by /_emulator/fail")
            return soap(call(infobase, request.get_data()))
        except Fault as fault:
            # SOAP 1.1 answers every fault with HTTP 500.
            return soap(fault.envelope(), 500)

    for path in SERVICE_PATHS:
        app.add_url_rule(path, endpoint=f"service{path}", view_func=service, methods=["GET", "POST"])

    @app.get("/")
    def home() -> Any:
        return page(None)

    def page(error: str | None) -> str:
        return render_template(
            "onec_home.html", received=infobase.snapshot(), choices=infobase.choices(), statuses=ORDER_STATUSES,
            error=error,
        )

    def done(action: Any) -> Any:
        """Run a change asked for on the page: back to the page, or the page with why not."""
        try:
            action()
        except (ControlError, InvalidOperation) as exc:
            message = str(exc) if isinstance(exc, ControlError) else "Сума чи кількість — це число, напр. 125.50"
            return page(message), 400
        return redirect("/", 303)

    @app.post("/_emulator/price")
    def set_price() -> Any:
        form = request.form
        return done(lambda: infobase.set_price(
            form.get("sku", "").strip(), form.get("price_type_id", ""), _amount(form.get("price", "")),
        ))

    @app.post("/_emulator/stock")
    def set_stock() -> Any:
        form = request.form
        return done(lambda: infobase.set_stock(
            form.get("sku", "").strip(), form.get("warehouse_id", ""), _amount(form.get("quantity", ""), zero=True),
        ))

    @app.post("/_emulator/company")
    def add_company() -> Any:
        form = request.form

        def add() -> None:
            tax_id, name = form.get("tax_id", "").strip(), form.get("name", "").strip()
            if not name or not TAX_ID.fullmatch(tax_id):
                raise ControlError("Потрібні назва і код: ЄДРПОУ (8 цифр) або РНОКПП (10 цифр)")
            infobase.add_company(
                kind="legal" if len(tax_id) == 8 else "sole", name=name, tax_id=tax_id,
                phone=form.get("phone", "").strip() or None, email=form.get("email", "").strip() or None,
                price_type_id=form.get("price_type_id") or None,
            )

        return done(add)

    @app.post("/_emulator/payment")
    def bank_payment() -> Any:
        form = request.form
        return done(lambda: infobase.enter_bank_payment(
            form.get("company_id", ""), _amount(form.get("amount", "")), form.get("purpose", "").strip() or "Оплата",
        ))

    @app.post("/_emulator/order-status")
    def order_status() -> Any:
        form = request.form

        def move() -> None:
            if form.get("status") not in ORDER_STATUSES:
                raise ControlError(f"Статус — один з: {', '.join(ORDER_STATUSES)}")
            infobase.set_order_status(form.get("portal_id", ""), form["status"])

        return done(move)

    @app.post("/_emulator/books")
    def load_books() -> Any:
        """JSON of objects 1C already has (Infobase.load): the demo's catalog and customers."""
        books = request.get_json(silent=True)
        if not isinstance(books, dict):
            return jsonify({"error": "a JSON object of groups, price_types, warehouses, products, prices, stock, "
                                     "companies"}), 400
        try:
            return jsonify(infobase.load(books))
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            return jsonify({"error": f"a row lacks or spoils a field: {exc!r}"}), 400

    @app.get("/_emulator/received")
    def received() -> Any:
        """What arrived from the portal, as JSON."""
        return jsonify(infobase.snapshot())

    @app.post("/_emulator/fail")
    def fail() -> Any:
        """Form `mode` (server_error: HTTP 503; fault: a SOAP fault with `code`, default
        BUSY; delay: answer `seconds` late), `count` of the next service calls (default 1)."""
        mode, code = request.values.get("mode", ""), request.values.get("code", "BUSY")
        if mode not in FAILURE_MODES:
            return jsonify({"error": f"mode must be one of {', '.join(FAILURE_MODES)}"}), 400
        if code not in CODES:
            return jsonify({"error": f"code must be one of {', '.join(CODES)}"}), 400
        try:
            failure = Failure(mode, int(request.values.get("count", "1")), float(request.values.get("seconds", "5")), code)
        except ValueError:
            return jsonify({"error": "count must be a whole number and seconds a number"}), 400
        infobase.failures.arm(failure)
        return jsonify({"mode": failure.mode, "count": failure.count, "seconds": failure.seconds, "code": code})

    @app.post("/_emulator/reset")
    def reset() -> Any:
        infobase.reset()
        return "", 204

    return app


def _amount(text: str, *, zero: bool = False) -> Decimal:
    value = Decimal(text.strip().replace(",", "."))
    if not value.is_finite() or value < 0 or (value == 0 and not zero):
        raise ControlError("Число має бути більше нуля" if not zero else "Число не може бути від'ємним")
    return value
