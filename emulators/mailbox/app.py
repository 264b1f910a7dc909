"""The mailbox as web pages: every e-mail the product sent, for the demo and for people."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, abort, jsonify, render_template

from emulators.mailbox.messages import ReceivedMessage
from emulators.mailbox.server import Mailbox

KYIV = ZoneInfo("Europe/Kyiv")
# What the e-mails carry is shown as their recipient would see it, but in a sandbox: a
# script in an e-mail or an HTML attachment must not act on this origin.
SANDBOXED = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}


def create_web_app(mailbox: Mailbox) -> Flask:
    app = Flask(__name__)

    @app.template_filter("kyiv")
    def kyiv(moment: datetime) -> str:
        return moment.astimezone(KYIV).strftime("%d.%m.%Y %H:%M:%S")

    def found(number: int) -> ReceivedMessage:
        message = mailbox.get(number)
        if message is None:
            abort(404)
        return message

    @app.get("/")
    def index() -> Any:
        return render_template("mailbox_index.html", messages=mailbox.messages[::-1])

    @app.get("/<int:number>/html")
    def html(number: int) -> Any:
        message = found(number)
        if message.html is None:
            abort(404)
        return message.html, 200, {"Content-Type": "text/html; charset=utf-8"} | SANDBOXED

    @app.get("/<int:number>/attachments/<int:index>")
    def attachment(number: int, index: int) -> Any:
        attachments = found(number).attachments
        if index >= len(attachments):
            abort(404)
        item = attachments[index]
        return item.data, 200, {"Content-Type": item.content_type} | SANDBOXED

    @app.get("/messages.json")
    def messages_json() -> Any:
        return jsonify([message.as_json() for message in mailbox.messages])

    return app
