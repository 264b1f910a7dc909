"""Pages every part shares: health, language switch; the filters and globals of every template."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    has_request_context,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import text

from core import outbox
from core.db import db_session
from core.errors import DomainError
from core.money import format_money, format_quantity
from core.reasons import reason_text

bp = Blueprint("core", __name__)
# Every form posts with a token; a provider's callback (signed its own way) is exempt.
csrf = CSRFProtect()

ORDER_STATUS_LABELS = {
    "submitted": _l("Нове"),
    "on_hold": _l("Очікує рішення менеджера"),
    "confirmed": _l("Підтверджене"),
    "assembling": _l("Комплектується"),
    "shipped": _l("Відвантажене"),
    "delivered": _l("Доставлене"),
    "cancelled": _l("Скасоване"),
}
# Units of measure as the catalog stores them (Ukrainian abbreviations) -> as a page shows them.
UNIT_LABELS = {
    "шт": _l("шт"),
    "кг": _l("кг"),
    "г": _l("г"),
    "л": _l("л"),
    "уп": _l("уп"),
    "ящ": _l("ящ"),
}
CHANNEL_LABELS = {
    "portal": _l("Портал"),
    "phone": _l("Телефон"),
    "viber": _l("Viber"),
    "email": _l("E-mail"),
    "1c": _l("1С"),
}


@bp.get("/healthz")
def healthz() -> Any:
    state: dict[str, Any] = {}
    healthy = True
    try:
        db_session.execute(text("SELECT 1"))
        state["database"] = {"ok": True, "dialect": db_session.get_bind().dialect.name}
        state["outbox"] = outbox.backlog(db_session())
    except Exception as exc:  # health must report, not raise
        healthy = False
        state["database"] = {"ok": False, "error": type(exc).__name__}
    redis_url = current_app.config["REDIS_URL"]
    if redis_url:
        import redis

        try:
            redis.Redis.from_url(redis_url, socket_timeout=1).ping()
            state["broker"] = {"ok": True}
        except Exception as exc:
            healthy = False
            state["broker"] = {"ok": False, "error": type(exc).__name__}
    else:
        state["broker"] = {"ok": True, "configured": False, "dispatch": current_app.config["OUTBOX_DISPATCH"]}
    state["status"] = "ok" if healthy else "degraded"
    return jsonify(state), (200 if healthy else 503)


def unit_label(unit: str) -> Any:
    """The unit in the reader's language; one staff typed that we do not know stays as typed."""
    return UNIT_LABELS.get(unit, unit)


def unit_labels() -> dict[str, str]:
    """Every known unit in the reader's language, translated once: for a list that shows a
    unit per row (each lazy label looked its translation up again, twice per catalog row)."""
    return {unit: str(label) for unit, label in UNIT_LABELS.items()}


def status_label(status: str) -> Any:
    return ORDER_STATUS_LABELS.get(status, status)


def channel_label(channel: str) -> Any:
    return CHANNEL_LABELS.get(channel, channel)


def put_error(form: FlaskForm, exc: DomainError) -> None:
    """A service's DomainError goes onto the field it names, or above the form when it names none."""
    field = form._fields.get(exc.field) if exc.field else None
    if field is None:
        flash(exc.message, "error")
    else:
        field.errors = [*field.errors, exc.message]


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link for people and providers outside (SMS, e-mail, LiqPay's
    callbacks): built on PUBLIC_BASE_URL, not on whatever host a request came in by.
    Works in a worker too, where there is no request to build a URL from."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


def safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ?next= must not send people elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next") or request.referrer and urlsplit(request.referrer).path))


def init_web(app: Any) -> None:
    app.register_blueprint(bp)
    app.jinja_env.filters["uah"] = format_money
    app.jinja_env.filters["qty"] = format_quantity
    app.jinja_env.filters["unit"] = unit_label
    app.jinja_env.globals["unit_labels"] = unit_labels
    app.jinja_env.globals["status_label"] = status_label
    app.jinja_env.globals["channel_label"] = channel_label
    app.jinja_env.globals["reason_text"] = reason_text
