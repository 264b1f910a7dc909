"""Invoices, debt and card payment: the company's invoices, pay several at once, PDFs,
the public pay link (`/pay/<token>`) that SMS and e-mail carry, claims of bank
transfers and the statement of account."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from wtforms.fields.choices import SelectChoice

from core.auth import customer_required
from core.clock import kyiv_today
from core.customers.models import Company
from core.db import db_session
from core.errors import DomainError
from core.orders.promotions import ONLINE_PAYMENT, active_promotion
from core.money import format_money
from core.web import public_url, put_error
from payments.card import (
    CheckoutOutcome,
    card_discount,
    checkout_form,
    checkout_outcome,
    start_checkout,
)
from payments.claims import submit_claim
from payments.documents import render_statement_pdf, render_statement_xlsx
from payments.invoice_document import invoice_pdf as invoice_pdf_file
from payments.liqpay.declines import decline_reason
from payments.models import OPEN, CardCheckout, CardCheckoutItem, Invoice
from payments.receivables import aging, company_balance
from payments.statement_of_account import build_statement
from portal.blueprint import bp
from portal.forms import PayInvoicesForm, PayLinkForm, PaymentClaimForm, StatementForm
from portal.helpers import back_within_site

PAY_LINK_DAYS = 120
RECENT_CLOSED = 20  # a pay link older than this sends the customer to the cabinet
WAIT_SECONDS, WAIT_LOOKS = 3, 20  # the page waiting for the bank looks again for about a minute


def _own(model: Any, condition: Any) -> Any:
    """The customer's own row, or 404: another company's id looks like no id at all."""
    row = db_session.scalar(select(model).where(condition, model.company_id == current_user.company_id))
    if row is None:
        abort(404)
    return row


def _own_invoice(invoice_id: int) -> Invoice:
    return _own(Invoice, Invoice.id == invoice_id)


@bp.get("/invoices")
@customer_required
def invoices() -> Any:
    company = current_user.company
    # Every open invoice (oldest due first), then only the latest closed ones: a phone
    # screen is for what is to pay; the statement of account has the rest.
    open_rows = db_session.scalars(
        select(Invoice).where(Invoice.company_id == company.id, Invoice.status == OPEN)
        .options(joinedload(Invoice.order)).order_by(Invoice.due_on, Invoice.id)
    )
    closed_rows = db_session.scalars(
        select(Invoice).where(Invoice.company_id == company.id, Invoice.status != OPEN)
        .options(joinedload(Invoice.order)).order_by(Invoice.issued_on.desc(), Invoice.id.desc()).limit(RECENT_CLOSED)
    )
    rows = [*open_rows, *closed_rows]
    today = kyiv_today()
    form = PayInvoicesForm()
    return render_template(
        "portal/invoices.html",
        invoices=rows,
        today=today,
        balance=company_balance(db_session, company, today),
        aging=aging(db_session, company.id, today),
        form=form,
    )


@bp.post("/invoices/pay")
@customer_required
def invoices_pay() -> Any:
    form = PayInvoicesForm()
    if not form.validate_on_submit():
        stale = "csrf_token" in form.errors
        flash(gettext("Форма застаріла. Оновіть сторінку і спробуйте ще раз.") if stale
              else gettext("Оберіть хоча б один рахунок."), "error")
        return redirect(url_for("portal.invoices"))
    chosen = list(
        db_session.scalars(
            select(Invoice).where(Invoice.id.in_(form.invoice_ids()), Invoice.company_id == current_user.company_id)
        )
    )
    if len(chosen) != len(set(form.invoice_ids())):
        abort(404)
    return _to_liqpay(current_user.company, chosen)


@bp.post("/invoices/pay-open")
@customer_required
def invoices_pay_open() -> Any:
    """One press pays every overdue invoice (scope "overdue", the balance's button) or
    every open one (scope "all"): straight to LiqPay, no ticking on a long page."""
    scope = request.form.get("scope", "overdue")
    if not PayLinkForm().validate_on_submit() or scope not in ("overdue", "all"):
        flash(gettext("Форма застаріла. Оновіть сторінку і спробуйте ще раз."), "error")
        return redirect(url_for("portal.invoices"))
    query = select(Invoice).where(Invoice.company_id == current_user.company_id, Invoice.status == OPEN)
    if scope == "overdue":
        query = query.where(Invoice.due_on < kyiv_today())
    chosen = list(db_session.scalars(query.order_by(Invoice.due_on, Invoice.id)))
    if not chosen:
        flash(gettext("Простроченої заборгованості немає.") if scope == "overdue"
              else gettext("Відкритих рахунків немає."), "ok")
        return redirect(url_for("portal.invoices"))
    return _to_liqpay(current_user.company, chosen)


@bp.get("/invoices/checkout/<reference>")
@customer_required
def checkout_result(reference: str) -> Any:
    """Where LiqPay sends the browser back: paid, declined (why, and try again) or, when
    the browser is faster than the bank's callback, a page that looks again by itself."""
    checkout = _own_checkout(reference)
    outcome = checkout_outcome(db_session, checkout)
    page = render_template("portal/pay_result.html", checkout=checkout, form=PayLinkForm(), **_told(outcome))
    return _with_refresh(page, outcome)


@bp.post("/invoices/checkout/<reference>/again")
@customer_required
def checkout_again(reference: str) -> Any:
    """A new checkout for what the declined one was to pay and is still open."""
    checkout = _own_checkout(reference)
    if not PayLinkForm().validate_on_submit():
        return redirect(url_for("portal.checkout_result", reference=reference))
    still_open = [item.invoice for item in checkout.items if item.invoice.outstanding > 0]
    if not still_open:
        return redirect(url_for("portal.invoices"))
    return _to_liqpay(current_user.company, still_open)


def _own_checkout(reference: str) -> CardCheckout:
    return _own(CardCheckout, CardCheckout.reference == reference)


def _told(outcome: CheckoutOutcome | None) -> dict[str, Any]:
    """What the page says of the checkout: the outcome, a decline's reason in the
    customer's language, and whether a waiting page still looks again by itself."""
    declined = outcome is not None and outcome.state == "declined"
    return {"outcome": outcome, "reason": decline_reason(outcome.err_code) if declined else "",
            "still_looking": _looks() < WAIT_LOOKS}


def _looks() -> int:
    """How many times the waiting page has looked already (its own query parameter)."""
    return max(request.args.get("look", type=int) or 0, 0)


def _with_refresh(page: str, outcome: CheckoutOutcome) -> Any:
    """While the bank has not answered, the page reloads itself every few seconds for
    about a minute; after that it says we will let the customer know."""
    looks = _looks()
    if outcome.state != "waiting" or looks >= WAIT_LOOKS:
        return page
    again = url_for(request.endpoint, **{**request.view_args, **request.args.to_dict(), "look": looks + 1})
    return page, 200, {"Refresh": f"{WAIT_SECONDS}; url={again}"}


@bp.get("/invoices/<int:invoice_id>.pdf")
@customer_required
def invoice_pdf(invoice_id: int) -> Any:
    invoice = _own_invoice(invoice_id)
    return _pdf_response(invoice)


def _pdf_response(invoice: Invoice) -> Any:
    pdf, name = invoice_pdf_file(invoice)
    return pdf, 200, {"Content-Type": "application/pdf", "Content-Disposition": f'inline; filename="{name}"'}


def _to_liqpay(company: Company, chosen: list[Invoice], pay_token: str | None = None) -> Any:
    """Start a checkout and hand the browser a self-submitting form to LiqPay. LiqPay
    sends the browser back to the page of this very checkout (the pay link's page for
    a pay link), which tells how it ended."""
    try:
        checkout = start_checkout(db_session, company, chosen)
    except DomainError as exc:
        db_session.rollback()
        flash(exc.message, "error")
        return redirect(back_within_site("portal.invoices"))
    if pay_token:
        result_url = public_url("portal.pay_link", token=pay_token, checkout=checkout.reference)
    else:
        result_url = public_url("portal.checkout_result", reference=checkout.reference)
    form = checkout_form(checkout, result_url)
    db_session.commit()
    return render_template("portal/pay_redirect.html", checkout=checkout, liqpay=form)


def _link_invoice(token: str) -> Invoice:
    invoice = db_session.scalar(
        select(Invoice).where(Invoice.pay_token == token).options(selectinload(Invoice.company))
    )
    if invoice is None:
        abort(404)
    return invoice


def _link_state(invoice: Invoice) -> str:
    if invoice.status == "cancelled":
        return "cancelled"
    if invoice.outstanding <= 0:
        return "paid"
    if kyiv_today() - invoice.issued_on > timedelta(days=PAY_LINK_DAYS):
        return "expired"
    return "payable"


@bp.get("/pay/<token>")
def pay_link(token: str) -> Any:
    invoice = _link_invoice(token)
    promotion = active_promotion(db_session, ONLINE_PAYMENT, kyiv_today())
    discount = card_discount(invoice, promotion)
    outcome = _link_outcome(invoice, request.args.get("checkout", ""))
    page = render_template(
        "portal/pay_link.html",
        invoice=invoice,
        state=_link_state(invoice),
        form=PayLinkForm(),
        supplier=current_app.config["SUPPLIER_NAME"],
        promotion=promotion if discount else None,
        to_pay=invoice.outstanding - discount,
        **_told(outcome),
    )
    return _with_refresh(page, outcome) if outcome else page


def _link_outcome(invoice: Invoice, reference: str) -> CheckoutOutcome | None:
    """The checkout LiqPay came back from, if it is one of this invoice's."""
    if not reference:
        return None
    checkout = db_session.scalar(
        select(CardCheckout).join(CardCheckoutItem)
        .where(CardCheckout.reference == reference, CardCheckoutItem.invoice_id == invoice.id)
    )
    return checkout_outcome(db_session, checkout) if checkout else None


@bp.post("/pay/<token>")
def pay_link_checkout(token: str) -> Any:
    invoice = _link_invoice(token)
    if not PayLinkForm().validate_on_submit() or _link_state(invoice) != "payable":
        return redirect(url_for("portal.pay_link", token=token))
    return _to_liqpay(invoice.company, [invoice], pay_token=token)


@bp.get("/pay/<token>.pdf")
def pay_link_pdf(token: str) -> Any:
    return _pdf_response(_link_invoice(token))


@bp.route("/invoices/claim", methods=["GET", "POST"])
@customer_required
def payment_claim() -> Any:
    """Paid by bank transfer: tell us with the payment order, instead of being asked for it."""
    form = PaymentClaimForm()
    open_invoices = list(
        db_session.scalars(
            select(Invoice)
            .where(Invoice.company_id == current_user.company_id, Invoice.status == OPEN)
            .order_by(Invoice.due_on)
        )
    )
    form.invoice.choices = [SelectChoice(0, gettext("Не вказано"))] + [
        SelectChoice(i.id, gettext("№ %(n)s на %(a)s", n=i.number, a=format_money(i.outstanding))) for i in open_invoices
    ]
    if form.validate_on_submit():
        upload = form.proof.data
        try:
            submit_claim(
                db_session, current_user, form.paid_on.data, form.amount.data, form.invoice.data or None,
                upload.filename or "", upload.mimetype or "", upload.read(), form.note.data or "",
            )
        except DomainError as exc:
            db_session.rollback()
            put_error(form, exc)
        else:
            db_session.commit()
            flash(gettext("Дякуємо! Менеджер звірить платіж із випискою банку й позначить рахунок оплаченим."), "ok")
            return redirect(url_for("portal.invoices"))
    return render_template("portal/claim.html", form=form), 400 if form.errors else 200


@bp.get("/statement")
@customer_required
def statement() -> Any:
    form = StatementForm(request.args)
    if not request.args:
        today = kyiv_today()
        form.date_from.data, form.date_to.data = today.replace(month=1, day=1), today
        return render_template("portal/statement.html", form=form)
    if not form.validate():
        return render_template("portal/statement.html", form=form), 400
    soa = build_statement(db_session, current_user.company, form.date_from.data, form.date_to.data)
    name = f"akt-zvirky-{form.date_from.data:%Y%m%d}-{form.date_to.data:%Y%m%d}"
    if form.fmt.data == "xlsx":
        return render_statement_xlsx(soa), 200, {
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Content-Disposition": f'attachment; filename="{name}.xlsx"',
        }
    return render_statement_pdf(soa), 200, {
        "Content-Type": "application/pdf", "Content-Disposition": f'inline; filename="{name}.pdf"',
    }
