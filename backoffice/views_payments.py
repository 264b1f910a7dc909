"""Bank payments: the statement import, the queue of payments the matching rules left
to a person, and one payment with what can be done about it."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from backoffice.access import PAYMENT_HANDLERS, STATEMENT_IMPORTERS
from backoffice.blueprint import bp
from backoffice.forms import (
    AllocateToInvoiceForm,
    PaymentHandledForm,
    PaymentQueueFilterForm,
    StatementUploadForm,
)
from backoffice.forms_money import AllocateByNumberWithReasonForm, RefundForm
from backoffice.helpers import commit_or_report, current_page, paginate
from core.auth import staff_required
from core.clock import utcnow
from core.customers.models import Company
from core.db import db_session, is_postgres
from core.errors import DomainError
from core.files.web import download
from core.staff.models import StaffUser
from core.money import format_money
from core.web import put_error
from payments.bank.importer import import_statement, our_accounts
from payments.bank.matching import (
    OTHER_COMPANY_ALLOCATORS,
    allocate_by_staff,
    find_invoice,
    mark_handled,
    suggestions,
    suggestions_for,
)
from payments.models import (
    Allocation,
    BankStatement,
    CardCheckout,
    CardCheckoutItem,
    Payment,
    Refund,
)
from payments.refunds import REFUNDERS, request_refund

RECENT_STATEMENTS = 10
UNANSWERED_SHOWN, UNANSWERED_SHOWN_FOR = 20, timedelta(days=30)
QUEUE_SUGGESTIONS = 3
PAYMENT_STATUS_LABELS = {
    "pending": _l("очікує"), "succeeded": _l("надійшов"), "failed": _l("не пройшов"), "reversed": _l("повернено"),
}


@bp.route("/payments/import", methods=["GET", "POST"])
@staff_required(*STATEMENT_IMPORTERS)
def bank_import() -> Any:
    form = StatementUploadForm()
    result, code = None, 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = import_statement(db_session, upload.read(), upload.filename or "", current_user)
        except DomainError as exc:
            db_session.rollback()
            put_error(form, exc)
            code = 400
        else:
            db_session.commit()
    elif form.is_submitted():
        code = 400
    recent = db_session.execute(
        select(BankStatement, StaffUser.full_name)
        .outerjoin(StaffUser, StaffUser.id == BankStatement.imported_by_staff_id)
        .order_by(BankStatement.imported_at.desc(), BankStatement.id.desc())
        .limit(RECENT_STATEMENTS)
    ).all()
    return render_template(
        "backoffice/bank_import.html", form=form, result=result, recent=recent,
        our_accounts=sorted(our_accounts(current_app.config)),
    ), code


@bp.get("/payments/statements/<int:statement_id>/file")
@staff_required(*PAYMENT_HANDLERS)  # whoever handles a payment may check the file it came in
def bank_statement_file(statement_id: int) -> Any:
    statement = db_session.get(BankStatement, statement_id)
    if statement is None or statement.file is None:  # imported before files were kept
        abort(404)
    return download(statement.file)


@bp.get("/payments/queue")
@staff_required(*PAYMENT_HANDLERS)
def payments_queue() -> Any:
    form = PaymentQueueFilterForm(formdata=request.args)
    form.validate()
    stmt = (
        select(Payment)
        .where(Payment.needs_review.is_(True))
        .options(joinedload(Payment.company), selectinload(Payment.allocations))
    )
    if form.mine.data:
        # Payers we do not know belong to nobody yet: they stay in the full list only.
        stmt = stmt.join(Company, Company.id == Payment.company_id).where(Company.manager_id == current_user.id)
    page = paginate(stmt.order_by(Payment.created_at.desc(), Payment.id.desc()), current_page())
    suggested = suggestions_for(db_session, page.items, QUEUE_SUGGESTIONS)
    # Card payments reconciliation gave up on without a final word: only LiqPay's own
    # cabinet can tell whether money came, so a person looks them up there.
    unanswered = db_session.scalars(
        select(CardCheckout)
        .where(CardCheckout.lapsed == "unknown", CardCheckout.lapsed_at > utcnow() - UNANSWERED_SHOWN_FOR)
        .options(joinedload(CardCheckout.company), selectinload(CardCheckout.items).joinedload(CardCheckoutItem.invoice))
        .order_by(CardCheckout.lapsed_at.desc())
        .limit(UNANSWERED_SHOWN)
    ).all()
    return render_template(
        "backoffice/payments_queue.html", form=form, page=page, suggested=suggested, unanswered=unanswered
    )


def load_payment(payment_id: int, for_update: bool = False) -> Payment:
    stmt = select(Payment).where(Payment.id == payment_id)
    if for_update and is_postgres():
        # Two people allocating one payment at once would both see its money unallocated.
        stmt = stmt.with_for_update(of=Payment)
    payment = db_session.scalar(
        stmt.options(
            joinedload(Payment.company),
            selectinload(Payment.allocations).joinedload(Allocation.invoice),
            selectinload(Payment.history),
        )
    )
    if payment is None:
        abort(404)
    return payment


def render_payment(payment: Payment, code: int = 200, **forms: Any) -> Any:
    statement = db_session.get(BankStatement, payment.statement_id) if payment.statement_id else None
    return (
        render_template(
            "backoffice/payment.html",
            payment=payment,
            statement=statement,
            status_labels=PAYMENT_STATUS_LABELS,
            suggestions=suggestions(db_session, payment) if payment.unallocated > 0 else [],
            allocate_form=forms.get("allocate_form") or AllocateToInvoiceForm(formdata=None),
            number_form=forms.get("number_form") or AllocateByNumberWithReasonForm(formdata=None),
            other_company_allocators=OTHER_COMPANY_ALLOCATORS,
            handled_form=forms.get("handled_form") or PaymentHandledForm(formdata=None),
            refund_form=forms.get("refund_form") or RefundForm(formdata=None),
            refunds=list(db_session.scalars(select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.id))),
        ),
        code,
    )


@bp.get("/payments/<int:payment_id>")
@staff_required(*PAYMENT_HANDLERS)
def payment(payment_id: int) -> Any:
    return render_payment(load_payment(payment_id))


def _act(payment_id: int, form: Any, form_name: str, action: Callable[[Payment], Any], done: Callable[[Any], str]) -> Any:
    """Validate, run the service on the locked payment, commit and go back to it; or
    show the page again with the form's errors and nothing changed."""
    payment = load_payment(payment_id, for_update=True)
    if not form.validate_on_submit():
        if form.errors.keys() & {"csrf_token", "invoice_id"}:  # fields the page does not show
            flash(gettext("Форма застаріла. Оновіть сторінку і спробуйте ще раз."), "error")
    elif (result := commit_or_report(form, lambda: action(payment))) is not None:
        flash(done(result), "ok")
        return redirect(url_for("backoffice.payment", payment_id=payment_id))
    db_session.rollback()
    return render_payment(load_payment(payment_id), 400, **{form_name: form})


def _allocated_message(allocation: Allocation) -> str:
    return gettext(
        "Зараховано %(amount)s на рахунок № %(number)s.", amount=format_money(allocation.amount), number=allocation.invoice.number
    )


@bp.post("/payments/<int:payment_id>/allocate")
@staff_required(*PAYMENT_HANDLERS)
def payment_allocate(payment_id: int) -> Any:
    form = AllocateToInvoiceForm()
    return _act(
        payment_id, form, "allocate_form",
        lambda payment: allocate_by_staff(db_session, payment, form.invoice_id.data, None, current_user),
        _allocated_message,
    )


@bp.post("/payments/<int:payment_id>/allocate-number")
@staff_required(*PAYMENT_HANDLERS)
def payment_allocate_number(payment_id: int) -> Any:
    form = AllocateByNumberWithReasonForm()

    def allocate_typed(payment: Payment) -> Allocation:
        invoice = find_invoice(db_session, form.number.data)
        try:
            return allocate_by_staff(db_session, payment, invoice.id, form.amount.data, current_user, form.reason.data or "")
        except DomainError as exc:  # about the invoice typed (or the reason): show it under that field
            raise DomainError(exc.message, field="reason" if exc.field == "reason" else "number") from None

    return _act(payment_id, form, "number_form", allocate_typed, _allocated_message)


@bp.post("/payments/<int:payment_id>/handled")
@staff_required(*PAYMENT_HANDLERS)
def payment_handled(payment_id: int) -> Any:
    form = PaymentHandledForm()
    return _act(
        payment_id, form, "handled_form",
        lambda payment: mark_handled(db_session, payment, form.note.data, current_user),
        lambda _payment: gettext("Платіж прибрано з черги."),
    )


@bp.post("/payments/<int:payment_id>/refund")
@staff_required(*REFUNDERS)
def payment_refund(payment_id: int) -> Any:
    form = RefundForm()
    return _act(
        payment_id, form, "refund_form",
        lambda payment: request_refund(db_session, payment, form.amount.data, form.reason.data, current_user),
        lambda refund: gettext("Повернення %(amount)s передано в LiqPay.", amount=format_money(refund.amount)),
    )
