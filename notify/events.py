"""The events that send messages: who hears of each, and what a template may use.

A spec turns an outbox event's payload into a context of plain strings (money and
dates already written in the recipient's language), so templates never touch models.
Producers not built yet (quotes, contracts) are wired by topic and payload alone.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from core.auth import make_password_token
from core.clock import KYIV
from core.customers.invitations import INVITE_PURPOSE
from core.customers.models import Company, User
from core.money import format_money
from core.orders.models import Order
from core.staff.models import StaffUser
from core.web import public_url
from payments.liqpay.declines import decline_reason

Context = dict[str, Any]
ContextBuilder = Callable[[Session, dict[str, Any], str], Context]
SecretsBuilder = Callable[[Session, dict[str, Any]], Context]

# What staff see in place of a secret (a reset, invitation or pay link's token).
SECRET_MASK = "••••••"
_TOKEN_PLACEHOLDER = "0-secret-0"
SECRET_ENDPOINTS = ("portal.reset_password", "backoffice.reset_password", "portal.accept_invitation", "portal.pay_link")

OWNER_ACCOUNTANT = ("owner", "accountant")
OWNER_BUYER = ("owner", "buyer")
EVERYONE = ("owner", "buyer", "accountant")


@dataclass(frozen=True)
class EventSpec:
    key: str
    topic: str
    title: Any
    context: ContextBuilder
    # "company": the company card's contacts and its users in `roles`; "user": the one person
    # named; "staff": the active staff members of `roles` (admin only when listed);
    # "manager": the company's own manager (the payload's company_id).
    audience: str = "company"
    roles: tuple[str, ...] = OWNER_ACCOUNTANT
    # The channels it sends on (and has wording for).
    channels: tuple[str, ...] = ("sms", "email")
    # Marketing messages can be refused by a company; transactional ones cannot.
    marketing: bool = False
    # Quiet hours hold SMS until morning; a message the person just asked for goes at once.
    quiet_hours: bool = True
    applies: Callable[[dict[str, Any]], bool] = lambda payload: True
    attachments: Callable[[dict[str, Any]], list[dict[str, Any]]] = lambda payload: []
    # For the template editor: variable -> what it holds.
    variables: dict[str, Any] = field(default_factory=dict)
    sample: dict[str, Any] = field(default_factory=dict)
    # The context holds secrets (a link that logs in or pays) only masked; this gives the
    # real values, and only the sender calls it, at the moment a message goes out.
    secrets: SecretsBuilder | None = None
    # The variables `secrets` fills: a template may only print them whole, as a word of
    # their own, so no wording can carry a token somewhere else.
    secret_variables: tuple[str, ...] = ()


def date_text(value: str | date, language: str) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return day.strftime("%d/%m/%Y") if language == "en" else day.strftime("%d.%m.%Y")


def _company_name(session: Session, payload: dict[str, Any]) -> str:
    company = session.get(Company, payload.get("company_id")) if payload.get("company_id") else None
    return company.name if company else ""


def _common(session: Session, payload: dict[str, Any]) -> Context:
    return {
        "company": _company_name(session, payload),
        "supplier": current_app.config["SUPPLIER_NAME"],
        "supplier_phone": current_app.config["SUPPLIER_PHONE"],
        "portal_url": public_url("portal.catalog"),
    }


def masked_link(endpoint: str) -> str:
    """The link as staff may read it: where it leads, without the token that opens it."""
    return public_url(endpoint, token=_TOKEN_PLACEHOLDER).replace(_TOKEN_PLACEHOLDER, SECRET_MASK)


def mask_secret_links(text: str) -> str:
    """`text` with the token of every reset, invitation and pay link masked, the way a
    message is stored: what was sent can then be compared with what we kept."""
    for endpoint in SECRET_ENDPOINTS:
        prefix = masked_link(endpoint).removesuffix(SECRET_MASK)
        text = re.sub(re.escape(prefix) + r"[^\s<>\"']+", lambda _: prefix + SECRET_MASK, text)
    return text


def _pay_link(token: str | None, *, reveal: bool = False) -> str:
    if not token:
        return public_url("portal.invoices")
    return public_url("portal.pay_link", token=token) if reveal else masked_link("portal.pay_link")


def _pay_link_secret(session: Session, p: dict[str, Any]) -> Context:
    return {"pay_link": _pay_link(p.get("pay_token"), reveal=True)}


def _invitation(session: Session, p: dict[str, Any], lang: str) -> Context:
    user = session.get(User, p["user_id"]) if p.get("user_id") else None
    return {**_common(session, p), "name": user.full_name if user else "", "login": p.get("login", ""),
            "link": masked_link("portal.accept_invitation"), "valid_days": p["valid_days"]}


def _invitation_secret(session: Session, p: dict[str, Any]) -> Context:
    # Minted now rather than read from the event: a token is signed and bound to the
    # password hash, so a fresh one is as good, and none needs to be stored anywhere.
    user = session.get(User, p["user_id"]) if p.get("user_id") else None
    if user is None:
        raise LookupError(f"user {p.get('user_id')} of the invitation is gone")
    return {"link": public_url("portal.accept_invitation", token=make_password_token(user, INVITE_PURPOSE))}


def _reset_endpoint(p: dict[str, Any]) -> str:
    return "backoffice.reset_password" if str(p.get("user", "")).startswith("s:") else "portal.reset_password"


def _password_reset(session: Session, p: dict[str, Any], lang: str) -> Context:
    return {**_common(session, p), "link": masked_link(_reset_endpoint(p)), "valid_hours": p["valid_hours"]}


def _password_reset_secret(session: Session, p: dict[str, Any]) -> Context:
    # The sender's own session, not the login loader's: the worker may hold no request.
    kind, _, user_id = str(p.get("user", "")).partition(":")
    model = {"c": User, "s": StaffUser}.get(kind)
    user = session.get(model, int(user_id)) if model is not None and user_id.isdigit() else None
    if user is None or not user.is_active:
        raise LookupError(f"user {p.get('user')} of the reset is gone or disabled")
    return {"link": public_url(_reset_endpoint(p), token=make_password_token(user))}


def _order_confirmed(session: Session, p: dict[str, Any], lang: str) -> Context:
    order = session.get(Order, p["order_id"]) if p.get("order_id") else None
    return {
        **_common(session, p),
        "order_number": order.number if order else str(p.get("number") or p.get("order_id") or ""),
        "total": format_money(p["total"], lang, space=" "),
        "delivery_date": date_text(order.desired_date, lang) if order and order.desired_date else "",
        "order_url": public_url("portal.order_detail", order_id=p.get("order_id") or 0),
    }


def _invoice_issued(session: Session, p: dict[str, Any], lang: str) -> Context:
    return {**_common(session, p), "invoice_number": p["number"], "amount": format_money(p["amount"], lang, space=" "),
            "due_date": date_text(p["due_on"], lang), "pay_link": _pay_link(p.get("pay_token"))}


def _payment_received(session: Session, p: dict[str, Any], lang: str) -> Context:
    return {**_common(session, p), "amount": format_money(p["amount"], lang, space=" "), "invoice_number": p.get("number", ""),
            "invoice_paid": bool(p.get("invoice_paid"))}


def _payment_failed(session: Session, p: dict[str, Any], lang: str) -> Context:
    return {**_common(session, p), "amount": format_money(p["amount"], lang, space=" "),
            "invoice_numbers": ", ".join(p.get("numbers", [])), "pay_link": _pay_link(p.get("pay_token")),
            "reason": _decline_reason(p, lang)}


def _decline_reason(p: dict[str, Any], lang: str) -> str:
    """LiqPay's err_code told in the recipient's language; events raised before the code
    was carried keep LiqPay's own words."""
    if "err_code" not in p:
        return p.get("reason", "")
    with force_locale(lang):
        return decline_reason(p["err_code"])


def _reminder(session: Session, p: dict[str, Any], lang: str) -> Context:
    return {**_common(session, p), "invoice_number": p["number"], "outstanding": format_money(p["outstanding"], lang, space=" "),
            "due_date": date_text(p["due_on"], lang) if p.get("due_on") else "",
            "days": abs(int(p["days_past_due"])), "pay_link": _pay_link(p.get("pay_token"))}


def _prices_changed(session: Session, p: dict[str, Any], lang: str) -> Context:
    lines = [
        {"name": line["name"], "sku": line["sku"], "old": format_money(line["old"], lang, space=" "),
         "new": format_money(line["new"], lang, space=" "), "up": Decimal(line["new"]) > Decimal(line["old"])}
        for line in p["lines"]
    ]
    return {**_common(session, p), "lines": lines, "count": len(lines)}


def _quote_sent(session: Session, p: dict[str, Any], lang: str) -> Context:
    return {**_common(session, p), "quote_number": p["number"], "amount": format_money(p["amount"], lang, space=" "),
            "valid_until": date_text(p["valid_until"], lang), "link": p["link"]}


def _contract_sent(session: Session, p: dict[str, Any], lang: str) -> Context:
    return {**_common(session, p), "contract": p["title"], "sign_link": p["sign_url"]}


def _contract_signed(session: Session, p: dict[str, Any], lang: str) -> Context:
    return {**_common(session, p), "contract": p["title"], "signed_on": date_text(p["signed_on"], lang)}


def _contract_signed_manager(session: Session, p: dict[str, Any], lang: str) -> Context:
    return {**_common(session, p), **_contract_signed(session, p, lang), "contract_url": _contract_page(p["contract_id"])}


def _contract_rejected(session: Session, p: dict[str, Any], lang: str) -> Context:
    return {**_common(session, p), "contract": p["title"], "reason": p.get("reason") or "—",
            "contract_url": _contract_page(p["contract_id"])}


def _vchasno_invitation(session: Session, p: dict[str, Any], lang: str) -> Context:
    percent = Decimal(p.get("percent") or "0")
    return {**_common(session, p), "percent": format(percent.normalize(), "f"), "discount": percent > 0,
            "register_url": "https://vchasno.ua/"}


def _moment_text(value: str | None, lang: str) -> str:
    """A stored UTC moment as the recipient reads it: Kyiv time."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value).astimezone(KYIV)
    return moment.strftime("%d/%m/%Y %H:%M") if lang == "en" else moment.strftime("%d.%m.%Y %H:%M")


def _sync_page() -> str:
    # The 1C feature's staff page, when it is mounted (the backoffice may be off).
    try:
        return public_url("onec_staff.sync")
    except BuildError:
        return ""


def _contract_page(contract_id: Any) -> str:
    # The contracts feature's staff page, when it is mounted (the backoffice may be off).
    try:
        return public_url("edo_staff.contract", contract_id=contract_id)
    except BuildError:
        return ""


def _contract_returned(session: Session, p: dict[str, Any], lang: str) -> Context:
    return {**_common(session, p), "contract": p["number"], "comment": p["comment"],
            "contract_url": _contract_page(p["contract_id"])}


def _exchange_stalled(session: Session, p: dict[str, Any], lang: str) -> Context:
    return {**_common(session, p), "last_success": _moment_text(p.get("last_success_at"), lang),
            "never": not p.get("last_success_at"), "minutes": p["stale_after_minutes"], "sync_url": _sync_page()}


def _step(kind: str) -> Callable[[dict[str, Any]], bool]:
    tests = {"before": lambda d: d < 0, "due": lambda d: d == 0, "after": lambda d: d > 0}
    return lambda payload: tests[kind](int(payload["days_past_due"]))


_COMMON_VARS = {"company": _l("назва компанії-клієнта"), "supplier": _l("назва постачальника"),
                "supplier_phone": _l("телефон постачальника"), "portal_url": _l("посилання на портал")}
_INVOICE_SAMPLE = {"invoice_id": 1, "number": "2026-00042", "company_id": None, "order_id": 1, "kind": "full",
                   "amount": "12480.00", "due_on": "2026-12-01", "pay_token": "sample-token"}
_REMINDER_SAMPLE = {"invoice_id": 1, "number": "2026-00042", "company_id": None, "step": 3, "days_past_due": 3,
                    "outstanding": "12480.00", "due_on": "2026-11-22", "pay_token": "sample-token"}
_REMINDER_VARS = {**_COMMON_VARS, "invoice_number": _l("номер рахунку"), "outstanding": _l("сума до сплати"),
                  "due_date": _l("дата сплати"), "days": _l("днів до / після дати сплати"),
                  "pay_link": _l("посилання на оплату")}

_PAY_LINK: dict[str, Any] = {"secrets": _pay_link_secret, "secret_variables": ("pay_link",)}

SPECS: tuple[EventSpec, ...] = (
    EventSpec("invitation", "user.invited", _l("Запрошення до кабінету"), _invitation, audience="user",
              secrets=_invitation_secret, secret_variables=("link",),
              variables={**_COMMON_VARS, "name": _l("ім'я користувача"), "login": _l("логін (телефон або e-mail)"),
                         "link": _l("посилання для встановлення пароля"), "valid_days": _l("днів дії посилання")},
              sample={"user_id": None, "company_id": None, "login": "+380671234567", "valid_days": 14}),
    EventSpec("password_reset", "user.password_reset_requested", _l("Відновлення пароля"), _password_reset,
              audience="user", quiet_hours=False, secrets=_password_reset_secret, secret_variables=("link",),
              variables={**_COMMON_VARS, "link": _l("посилання для зміни пароля"), "valid_hours": _l("годин дії")},
              sample={"user": None, "recipient": "", "valid_hours": 24}),
    EventSpec("order_confirmed", "order.confirmed", _l("Замовлення підтверджено"), _order_confirmed, roles=OWNER_BUYER,
              variables={**_COMMON_VARS, "order_number": _l("номер замовлення"), "total": _l("сума"),
                         "delivery_date": _l("бажана дата доставки"), "order_url": _l("посилання на замовлення")},
              sample={"order_id": None, "number": "000123", "company_id": None, "status": "confirmed",
                      "total": "12480.00"}),
    EventSpec("invoice_issued", "invoice.issued", _l("Виставлено рахунок (з посиланням на оплату і PDF)"),
              _invoice_issued, attachments=lambda p: [{"invoice_pdf": p["invoice_id"]}], **_PAY_LINK,
              variables={**_COMMON_VARS, "invoice_number": _l("номер рахунку"), "amount": _l("сума"),
                         "due_date": _l("сплатити до"), "pay_link": _l("посилання на оплату")},
              sample=_INVOICE_SAMPLE),
    EventSpec("payment_received", "payment.received", _l("Оплату отримано (квитанція)"), _payment_received,
              applies=lambda p: p.get("source") != "discount",
              variables={**_COMMON_VARS, "amount": _l("сума"), "invoice_number": _l("номер рахунку"),
                         "invoice_paid": _l("рахунок сплачено повністю (так/ні)")},
              sample={"payment_id": 1, "invoice_id": 1, "number": "2026-00042", "company_id": None,
                      "amount": "12480.00", "source": "liqpay", "invoice_paid": True}),
    EventSpec("payment_failed", "payment.failed", _l("Оплата не пройшла"), _payment_failed, **_PAY_LINK,
              variables={**_COMMON_VARS, "amount": _l("сума"), "invoice_numbers": _l("номери рахунків"),
                         "pay_link": _l("посилання на оплату"), "reason": _l("причина від банку")},
              sample={"payment_id": 1, "company_id": None, "amount": "12480.00", "numbers": ["2026-00042"],
                      "pay_token": "sample-token", "reason": "Недостатньо коштів"}),
    EventSpec("invoice_due_soon", "invoice.reminder", _l("Нагадування: скоро дата сплати"), _reminder,
              applies=_step("before"), **_PAY_LINK, variables=_REMINDER_VARS,
              sample={**_REMINDER_SAMPLE, "days_past_due": -3}),
    EventSpec("invoice_due_today", "invoice.reminder", _l("Нагадування: сьогодні дата сплати"), _reminder,
              applies=_step("due"), **_PAY_LINK, variables=_REMINDER_VARS,
              sample={**_REMINDER_SAMPLE, "days_past_due": 0}),
    EventSpec("invoice_overdue", "invoice.reminder", _l("Рахунок прострочено"), _reminder,
              applies=_step("after"), **_PAY_LINK, variables=_REMINDER_VARS, sample=_REMINDER_SAMPLE),
    EventSpec("prices_changed", "prices.changed", _l("Зміна цін (дайджест)"), _prices_changed, roles=OWNER_BUYER,
              marketing=True,
              variables={**_COMMON_VARS, "lines": _l("список змін: name, sku, old, new, up"), "count": _l("кількість змін")},
              sample={"company_id": None, "lines": [
                  {"name": "Кава зернова Арабіка 1 кг", "sku": "CF-0001", "old": "540.00", "new": "565.00"},
                  {"name": "Вершки 10% 1 л", "sku": "DR-0107", "old": "78.00", "new": "74.50"}]}),
    EventSpec("quote_sent", "quote.sent", _l("Надіслано комерційну пропозицію"), _quote_sent, roles=OWNER_BUYER,
              variables={**_COMMON_VARS, "quote_number": _l("номер пропозиції"), "amount": _l("сума"),
                         "valid_until": _l("діє до"), "link": _l("посилання на пропозицію")},
              sample={"company_id": None, "quote_id": 1, "number": "КП-0012", "amount": "48200.00",
                      "valid_until": "2026-12-10", "link": "https://portal.example/quotes/12"}),
    EventSpec("contract_sent", "contract.sent_for_signature", _l("Договір надіслано на підпис"), _contract_sent,
              roles=("owner",),
              variables={**_COMMON_VARS, "contract": _l("назва договору"), "sign_link": _l("посилання на підпис у Вчасно")},
              sample={"company_id": None, "contract_id": 1, "title": "Договір поставки № 118/26",
                      "sign_url": "https://edo.vchasno.ua/app/documents/sample"}),
    EventSpec("contract_signed", "contract.signed", _l("Договір підписано"), _contract_signed, roles=("owner",),
              variables={**_COMMON_VARS, "contract": _l("назва договору"), "signed_on": _l("дата підписання")},
              sample={"company_id": None, "contract_id": 1, "title": "Договір поставки № 118/26",
                      "signed_on": "2026-11-25"}),
    # To the company's own manager (the payload names them as "user"), by e-mail: the
    # lawyer's comment on what to correct.
    EventSpec("contract_returned", "contract.returned", _l("Договір повернуто на доопрацювання (менеджеру)"),
              _contract_returned, audience="user", channels=("email",), quiet_hours=False,
              variables={"company": _COMMON_VARS["company"], "supplier": _COMMON_VARS["supplier"],
                         "contract": _l("номер договору"), "comment": _l("коментар юриста"),
                         "contract_url": _l("посилання на договір")},
              sample={"user": None, "company_id": None, "contract_id": 1, "number": "Д-2026-00118",
                      "comment": "Уточніть підставу підпису."}),
    EventSpec("contract_signed_manager", "contract.signed", _l("Договір підписано (менеджеру клієнта)"),
              _contract_signed_manager, audience="manager", channels=("email",), quiet_hours=False,
              variables={**_COMMON_VARS, "contract": _l("назва договору"), "signed_on": _l("дата підписання"),
                         "contract_url": _l("посилання на договір у бек-офісі")},
              sample={"company_id": None, "contract_id": 1, "title": "Договір поставки № 118/26",
                      "signed_on": "2026-11-25"}),
    EventSpec("contract_rejected", "contract.rejected", _l("Клієнт відхилив договір (менеджеру клієнта)"),
              _contract_rejected, audience="manager", channels=("email",), quiet_hours=False,
              variables={**_COMMON_VARS, "contract": _l("назва договору"), "reason": _l("причина від клієнта"),
                         "contract_url": _l("посилання на договір у бек-офісі")},
              sample={"company_id": None, "contract_id": 1, "title": "Договір поставки № 118/26",
                      "reason": "Невірні реквізити"}),
    EventSpec("vchasno_invitation", "contract.registration_invited", _l("Запрошення зареєструватися у Вчасно"),
              _vchasno_invitation, roles=("owner",),
              variables={**_COMMON_VARS, "percent": _l("знижка на наступне замовлення, %"),
                         "discount": _l("знижку пропонують (так/ні)"), "register_url": _l("посилання на реєстрацію")},
              sample={"company_id": None, "contract_id": 1, "percent": "5"}),
    # Staff's own alarm (onec/stall.py): by e-mail to whoever answers for the exchange.
    EventSpec("exchange_stalled", "onec.exchange_stalled", _l("Обмін з 1С зупинився (працівникам)"), _exchange_stalled,
              audience="staff", roles=("head_of_sales", "admin"), channels=("email",), quiet_hours=False,
              variables={"supplier": _COMMON_VARS["supplier"], "last_success": _l("остання успішна синхронізація"),
                         "never": _l("успішних обмінів ще не було (так/ні)"), "minutes": _l("хвилин без обміну"),
                         "sync_url": _l("посилання на сторінку обміну")},
              sample={"last_success_at": "2026-12-07T06:00:00+00:00", "stale_after_minutes": 60,
                      "noticed_at": "2026-12-07T07:01:00+00:00"}),
)

BY_KEY = {spec.key: spec for spec in SPECS}


def specs_for(topic: str) -> list[EventSpec]:
    return [spec for spec in SPECS if spec.topic == topic]
