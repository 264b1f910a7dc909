"""The emulated Vchasno EDO as a Flask app: API v2 for the owner's token, the page where
the demo's customer signs or rejects, and the test controls."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, g, jsonify, redirect, render_template, request

import emulators.vchasno.files as files
import emulators.vchasno.protocol as p
from emulators.vchasno.office import FAILURE_MODES, SEED_COMPANIES, Document, Failure, Office

BAD_GATEWAY = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


def create_app(tokens: Mapping[str, str], *, companies: Mapping[str, str] = SEED_COMPANIES) -> Flask:
    """`tokens`: each API token -> the ЄДРПОУ of the company it belongs to (the portal's
    company is the owner of what it uploads). `companies`: registered from the start."""
    app = Flask(__name__)
    office = Office(tokens, companies)

    @app.errorhandler(p.ApiError)
    def refused(exc: p.ApiError) -> Any:
        response = jsonify(exc.body())
        response.status_code = exc.status
        return response

    @app.before_request
    def authenticate() -> Any:
        """Every /api/v2 call: the token first, then whatever failure a test armed."""
        if not request.path.startswith("/api/"):
            return None
        given = request.headers.get("Authorization", "").encode()
        owner = next((edrpou for token, edrpou in office.owners.items() if hmac.compare_digest(given, token.encode())), None)
        if owner is None:
            raise p.login_required()
        g.owner = owner
        failure = office.failures.next()
        if failure is None:
            return None
        if failure.mode == "server_error":
            # What the web server in front answers when the application behind it is down.
            return Response(BAD_GATEWAY, 502, content_type="text/html")
        if failure.mode == "rate_limited":
            response = refused(p.too_many_requests())
            response.headers["Retry-After"] = str(failure.retry_after)
            return response
        if failure.mode == "slow":  # a call still under way while a test does something else
            time.sleep(failure.seconds)
            return None
        raise p.no_tariff()

    # -- API v2 -------------------------------------------------------------------

    @app.post("/api/v2/documents")
    def upload() -> Any:
        document = _new_document(g.owner)
        office.upload(g.owner, document)
        return jsonify({"documents": [_describe(document, with_recipients=True)]}), 201

    @app.get("/api/v2/documents")
    def listing() -> Any:
        args = request.args
        match: dict[str, Any] = {"ids": args.getlist("ids")}
        for name in ("vendor_id", "recipient_edrpou"):
            if args.get(name):
                match[name] = args[name]
        if args.get("status"):
            match["status"] = p.whole(args["status"], "status", 0, low=p.UPLOADED, high=p.ANNULLED)
        start = p.whole(args.get("cursor"), "cursor", 0, low=0, high=10**9)
        limit = p.whole(args.get("limit"), "limit", 100, low=1, high=p.MAX_PAGE)
        found = office.listing(g.owner, match)
        page = found[start:start + limit]
        with_recipients = p.truthy(args.get("with_recipients"))
        return jsonify({
            "documents": [_describe(document, with_recipients=with_recipients) for document in page],
            "next_cursor": str(start + limit) if start + limit < len(found) else None,
        })

    @app.get("/api/v2/documents/<document_id>")
    def one(document_id: str) -> Any:
        document = office.find(g.owner, document_id)
        return jsonify(_describe(document, with_recipients=p.truthy(request.args.get("with_recipients"))))

    @app.post("/api/v2/documents/statuses")
    def statuses() -> Any:
        body = request.get_json(silent=True)
        ids = body.get("document_ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids or not all(isinstance(item, str) for item in ids):
            raise p.invalid("document_ids: непорожній список ідентифікаторів документів")
        if len(ids) > p.MAX_STATUS_IDS:
            raise p.invalid(
                f"document_ids: не більше {p.MAX_STATUS_IDS} ідентифікаторів за запит", {"given": len(ids)}
            )
        return jsonify({"data_list": office.statuses(g.owner, ids)})

    @app.get("/api/v2/documents/<document_id>/comments")
    def comments(document_id: str) -> Any:
        return jsonify({"comments": office.find(g.owner, document_id).comments})

    @app.post("/api/v2/documents/<document_id>/signatures")
    def owner_signature(document_id: str) -> Any:
        body = request.get_json(silent=True)
        signature = body.get("signature") if isinstance(body, dict) else None
        try:
            decoded = base64.b64decode(signature or "", validate=True)
        except (binascii.Error, TypeError):
            decoded = b""
        if not decoded:
            raise p.invalid("signature: підпис (.p7s) у base64")
        serial = hashlib.sha1(decoded).hexdigest()[:16].upper()
        return jsonify(_describe(office.owner_sign(g.owner, document_id, serial), with_recipients=True))

    @app.post("/api/v2/documents/<document_id>/send")
    def send(document_id: str) -> Any:
        return jsonify(_describe(office.send(g.owner, document_id), with_recipients=True))

    @app.get("/api/v2/documents/<document_id>/original")
    def original(document_id: str) -> Any:
        document = office.find(g.owner, document_id)
        return _attachment(document.content, files.content_type(document), document.filename)

    @app.get("/api/v2/documents/<document_id>/p7s")
    def p7s(document_id: str) -> Any:
        document = _signed(office.find(g.owner, document_id))
        return _attachment(files.p7s(document), "application/pkcs7-signature", f"{document.filename}.p7s")

    @app.get("/api/v2/documents/<document_id>/archive")
    def archive(document_id: str) -> Any:
        document = _signed(office.find(g.owner, document_id))
        return _attachment(files.archive(document), "application/zip", f"{document.id}.zip")

    @app.post("/api/v2/check/company")
    def check_company() -> Any:
        body = request.get_json(silent=True)
        edrpou = p.tax_id(body.get("edrpou") if isinstance(body, dict) else None, "edrpou")
        return jsonify(office.check(edrpou))

    @app.route("/api/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def unknown(rest: str) -> Any:
        raise p.ApiError(404, "not_found", f"Метод /api/{rest} не емулюється")

    # -- the page and the test controls --------------------------------------------

    @app.get("/")
    def home() -> Any:
        return page(None)

    @app.get("/app/documents/<document_id>")
    def document_page(document_id: str) -> Any:
        """Where Vchasno's web app shows a document (the link in the customer's SMS and
        e-mail): here, the page with every document, this one among them."""
        return page(None)

    def page(error: str | None) -> str:
        documents = sorted(office.snapshot(), key=lambda document: document.created_at, reverse=True)
        return render_template(
            "vchasno_home.html", documents=documents, companies=sorted(office.companies.items()),
            texts=p.STATUS_TEXT, error=error,
        )

    def control(action: Callable[[dict[str, str]], Any]) -> Any:
        """A JSON request gets JSON back; a form of the page gets the page (303), or the
        page with the reason (400)."""
        as_json = request.is_json
        values = (request.get_json(silent=True) or {}) if as_json else request.form.to_dict()
        values = {key: str(value).strip() for key, value in values.items()}
        try:
            result = action(values)
        except p.ApiError as exc:
            return refused(exc) if as_json else (page(exc.reason), 400)
        return jsonify(result) if as_json else redirect("/", 303)

    @app.post("/_emulator/sign")
    def sign() -> Any:
        """`document_id`, `signer` (a name, default "Підписант контрагента")."""
        return control(lambda form: _describe(
            office.recipient_sign(form.get("document_id", ""), form.get("signer") or "Підписант контрагента"),
            with_recipients=True,
        ))

    @app.post("/_emulator/reject")
    def reject() -> Any:
        def act(form: dict[str, str]) -> Any:
            if not form.get("reason"):
                raise p.invalid("Вкажіть причину відхилення")
            return _describe(office.recipient_reject(form.get("document_id", ""), form["reason"]), with_recipients=True)

        return control(act)

    @app.post("/_emulator/register")
    def register() -> Any:
        def act(form: dict[str, str]) -> Any:
            edrpou = p.tax_id(form.get("edrpou"), "edrpou")
            office.register(edrpou, form.get("name") or f"Компанія {edrpou}")
            return office.check(edrpou)

        return control(act)

    @app.post("/_emulator/status")
    def force_status() -> Any:
        def act(form: dict[str, str]) -> Any:
            status = form.get("status", "")
            if not status.isdigit() or int(status) not in p.STATUS_TEXT:
                raise p.invalid(f"status: один з {', '.join(map(str, p.STATUS_TEXT))}")
            return _describe(office.force_status(form.get("document_id", ""), int(status)), with_recipients=True)

        return control(act)

    @app.post("/_emulator/seed")
    def seed() -> Any:
        """JSON `owner_edrpou` (a token's company), `recipient_edrpou`, `count` (up to
        10,000): that many documents ready to sign (7001), each a small PDF with vendor_id
        `<vendor_prefix><n>`; answers their ids in order. For the polling benchmark and
        tests, where uploading thousands one by one would only measure the upload."""
        body = request.get_json(silent=True) or {}
        owner = str(body.get("owner_edrpou", ""))
        if owner not in office.owners.values():
            raise p.invalid("owner_edrpou: компанія одного з токенів")
        recipient = p.tax_id(body.get("recipient_edrpou"), "recipient_edrpou")
        count = p.whole(str(body.get("count", "")), "count", 0, low=1, high=10_000)
        prefix, now = str(body.get("vendor_prefix", "seed-")), datetime.now(UTC)
        created = [
            Document(
                id=str(uuid.uuid4()), owner=owner, vendor_id=f"{prefix}{number}", title=f"Документ {number}",
                number=None, category=p.CONTRACT_CATEGORY, filename=f"{prefix}{number}.pdf",
                content=b"%PDF-1.4\n% " + str(number).encode() + b"\n", recipient_edrpou=recipient, recipient_emails=[],
                first_sign_by="owner", owner_expected=1, recipient_expected=1, created_at=now,
            )
            for number in range(count)
        ]
        office.seed(created)
        return jsonify({"ids": [document.id for document in created]})

    @app.get("/_emulator/documents")
    def documents() -> Any:
        """Every document of every owner with its signatures and history, as JSON."""
        return jsonify([_describe(document, with_recipients=True) | _inside(document) for document in office.snapshot()])

    @app.post("/_emulator/fail")
    def fail() -> Any:
        """Form `mode` (server_error: HTTP 502; rate_limited: 429 with Retry-After
        `retry_after` seconds, default 1; no_tariff: 403 access_denied; slow: answered
        as usual after `seconds`), `count` of the next API calls to spoil (default 1)."""
        mode = request.values.get("mode", "")
        if mode not in FAILURE_MODES:
            return jsonify({"error": f"mode must be one of {', '.join(FAILURE_MODES)}"}), 400
        count, retry_after = request.values.get("count", "1"), request.values.get("retry_after", "1")
        seconds = request.values.get("seconds", "0")
        if not (count.isdigit() and retry_after.isdigit() and seconds.isdigit()):
            return jsonify({"error": "count, retry_after and seconds are whole numbers, 0 or more"}), 400
        failure = Failure(mode, int(count), int(retry_after), int(seconds))
        office.failures.arm(failure)
        return jsonify({"mode": failure.mode, "count": failure.count, "retry_after": failure.retry_after})

    @app.post("/_emulator/reset")
    def reset() -> Any:
        office.reset()
        return "", 204

    return app


def _new_document(owner: str) -> Document:
    """The upload's file and parameters, checked. Vchasno takes the parameters in the
    query string (py-vchasno and the other clients send them so); form fields of the
    multipart body are taken too."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise p.invalid("file: файл документа у multipart/form-data")
    content = upload.read(p.MAX_FILE_BYTES + 1)
    if not content:
        raise p.invalid("file: порожній файл")
    if len(content) > p.MAX_FILE_BYTES:
        raise p.ApiError(413, "file_too_large", f"Файл більший за {p.MAX_FILE_BYTES // (1024 * 1024)} МБ")
    values = request.values
    # `edrpou`/`email` are the older names of the recipient's parameters (py-vchasno's).
    edrpou = values.get("recipient_edrpou") or values.get("edrpou")
    recipient = p.tax_id(edrpou, "recipient_edrpou") if edrpou else None
    emails = p.emails(values.get("recipient_emails") or values.get("email") or "")
    if emails and recipient is None:
        raise p.invalid("recipient_emails без recipient_edrpou: вкажіть код контрагента")
    first_sign_by = values.get("first_sign_by") or "owner"
    if first_sign_by not in ("owner", "recipient"):
        raise p.invalid("first_sign_by: owner або recipient", {"first_sign_by": first_sign_by})
    vendor_id = values.get("vendor_id") or None
    if vendor_id is not None and len(vendor_id) > 255:
        raise p.invalid("vendor_id: не довше 255 символів")
    return Document(
        id=str(uuid.uuid4()), owner=owner, vendor_id=vendor_id,
        title=values.get("title") or upload.filename.rsplit(".", 1)[0], number=values.get("doc_number") or None,
        category=p.whole(values.get("category"), "category", 0, low=0, high=10**6),
        filename=upload.filename, content=content, recipient_edrpou=recipient, recipient_emails=emails,
        first_sign_by=first_sign_by,
        owner_expected=p.whole(values.get("expected_owner_signatures"), "expected_owner_signatures", 1, low=0, high=10),
        recipient_expected=p.whole(
            values.get("expected_recipient_signatures"), "expected_recipient_signatures", 1, low=1, high=10
        ),
        created_at=datetime.now(UTC),
    )


def _signed(document: Document) -> Document:
    if not document.signatures:
        raise p.ApiError(400, "invalid_document_status", "Документ ще ніхто не підписав", {"status": document.status})
    return document


def _attachment(content: bytes, content_type: str, filename: str) -> Response:
    response = Response(content, content_type=content_type)
    # A header is Latin-1: a Ukrainian file name goes as RFC 6266's filename*, with an
    # ASCII fallback (a document's title is "Договір поставки № ...").
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_")
    response.headers.set("Content-Disposition", "attachment", filename=fallback,
                         **({} if fallback == filename else {"filename*": f"UTF-8''{quote(filename)}"}))
    return response


def _describe(document: Document, *, with_recipients: bool) -> dict[str, Any]:
    described: dict[str, Any] = {
        "id": document.id, "vendor": "API", "vendor_id": document.vendor_id, "title": document.title,
        "number": document.number, "category": document.category, "extension": document.extension,
        "status": document.status, "status_text": p.STATUS_TEXT[document.status],
        "first_sign_by": document.first_sign_by,
        "expected_owner_signatures": document.owner_expected,
        "expected_recipient_signatures": document.recipient_expected,
        "date_created": document.created_at.isoformat(),
        "date_finished": document.finished_at.isoformat() if document.finished_at else None,
        "signatures": [
            {"id": signature.serial_number, "edrpou": signature.edrpou, "date_created": signature.signed_at.isoformat()}
            for signature in document.signatures
        ],
    }
    if with_recipients:
        described["recipients"] = (
            [{"edrpou": document.recipient_edrpou, "emails": document.recipient_emails}] if document.recipient_edrpou else []
        )
    return described


def _inside(document: Document) -> dict[str, Any]:
    """What only the emulator's own view shows: the owner, the file's hash, the history."""
    return {
        "owner_edrpou": document.owner, "sha256": document.sha256, "comments": document.comments,
        "history": [
            {"at": event.at.isoformat(), "status": event.status, "actor": event.actor, "note": event.note}
            for event in document.history
        ],
    }
