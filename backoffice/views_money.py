"""The money side of the backoffice: customers' payment claims, collection tasks after
the reminder ladder, promotions with their report, and the company card's account."""
from __future__ import annotations

from typing import Any

import phonenumbers
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice.access import COLLECTORS, PROMOTION_EDITORS
from backoffice.blueprint import bp
from backoffice.forms import ActionForm
from backoffice.forms_money import ConfirmClaimForm, PromotionForm, ReasonForm, as_dict
from backoffice.helpers import commit_or_report, current_page, get_or_404, paginate
from core.auth import staff_required
from core.clock import kyiv_today
from core.customers.models import Company, User
from core.db import db_session
from core.files.web import download
from core.orders.models import Promotion
from payments.claims import confirm_claim, matching_payments, reject_claim
from payments.dunning import close_task
from payments.models import CollectionTask, Invoice, Payment, PaymentClaim
from payments.promotion_report import promotion_reports
from payments.receivables import aging, company_balance

RECENT_INVOICES = 20


@bp.get("/claims")
@staff_required(*COLLECTORS)
def claims() -> Any:
    page = paginate(
        select(PaymentClaim).where(PaymentClaim.status == "open").options(joinedload(PaymentClaim.company))
        .order_by(PaymentClaim.created_at, PaymentClaim.id),
        current_page(),
    )
    matches = matching_payments(db_session, page.items)
    return render_template("backoffice/claims.html", page=page, matches=matches, form=ConfirmClaimForm(),
                           reason_form=ReasonForm())


@bp.post("/claims/<int:claim_id>/confirm")
@staff_required(*COLLECTORS)
def claim_confirm(claim_id: int) -> Any:
    claim = get_or_404(PaymentClaim, claim_id)
    form = ConfirmClaimForm()
    payment = db_session.get(Payment, form.payment_id.data) if form.validate_on_submit() else None
    if payment is None:
        flash(gettext("Оберіть платіж із виписки."), "error")
    elif commit_or_report(form, lambda: confirm_claim(db_session, claim, payment, current_user) or claim):
        flash(gettext("Оплату підтверджено й зараховано."), "ok")
    return redirect(url_for("backoffice.claims"))


@bp.post("/claims/<int:claim_id>/reject")
@staff_required(*COLLECTORS)
def claim_reject(claim_id: int) -> Any:
    claim = get_or_404(PaymentClaim, claim_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(gettext("Вкажіть причину рішення."), "error")
    elif commit_or_report(form, lambda: reject_claim(db_session, claim, current_user, form.reason.data) or claim):
        flash(gettext("Заявку відхилено."), "ok")
    return redirect(url_for("backoffice.claims"))


@bp.get("/claims/<int:claim_id>/proof")
@staff_required(*COLLECTORS)
def claim_proof(claim_id: int) -> Any:
    return download(get_or_404(PaymentClaim, claim_id).file)


@bp.get("/collections")
@staff_required(*COLLECTORS)
def collections() -> Any:
    stmt = (
        select(CollectionTask).where(CollectionTask.closed_at.is_(None))
        .options(joinedload(CollectionTask.company), joinedload(CollectionTask.invoice))
        .order_by(CollectionTask.created_at, CollectionTask.id)
    )
    mine = request.args.get("mine") == "y"
    if mine:
        stmt = stmt.where(CollectionTask.manager_id == current_user.id)
    page = paginate(stmt, current_page())
    return render_template("backoffice/collections.html", page=page, mine=mine, form=ReasonForm(),
                           phones=numbers_to_call([task.company for task in page.items]))


def numbers_to_call(companies: list[Company]) -> dict[int, tuple[str, str]]:
    """company id -> (E.164 for the tel: link, the number as people read it): the company
    card's phone, else its owner's (the first active owner with a phone)."""
    found = {company.id: company.phone for company in companies if company.phone}
    missing = [company.id for company in companies if company.id not in found]
    if missing:
        owners = db_session.execute(
            select(User.company_id, User.phone)
            .where(User.company_id.in_(missing), User.role == "owner", User.phone.is_not(None),
                   User.is_active_flag.is_(True))
            .order_by(User.id)
        )
        for company_id, phone in owners:
            found.setdefault(company_id, phone)
    return {company_id: (phone, _readable(phone)) for company_id, phone in found.items()}


def _readable(phone: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(phone, "UA"), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return phone


@bp.post("/collections/<int:task_id>/close")
@staff_required(*COLLECTORS)
def collection_close(task_id: int) -> Any:
    task = get_or_404(CollectionTask, task_id)
    form = ReasonForm()
    if task.closed_at is not None:
        flash(gettext("Завдання вже закрите."), "error")
    elif not form.validate_on_submit():
        flash(gettext("Вкажіть причину рішення."), "error")
    else:
        close_task(task, current_user.full_name, form.reason.data)
        db_session.commit()
        flash(gettext("Завдання закрито."), "ok")
    return redirect(url_for("backoffice.collections"))


@bp.route("/promotions", methods=["GET", "POST"])
@staff_required(*PROMOTION_EDITORS)
def promotions() -> Any:
    form = PromotionForm()
    if form.validate_on_submit():
        promotion = commit_or_report(form, lambda: _add_promotion(form))
        if promotion is not None:
            flash(gettext("Акцію «%(name)s» збережено.", name=promotion.name), "ok")
            return redirect(url_for("backoffice.promotions"))
    rows = list(db_session.scalars(select(Promotion).order_by(Promotion.starts_on.desc(), Promotion.id.desc())))
    code = 400 if form.errors else 200
    return render_template("backoffice/promotions.html", form=form, reports=promotion_reports(db_session, rows)), code


def _add_promotion(form: PromotionForm) -> Promotion:
    promotion = Promotion(**as_dict(form))
    db_session.add(promotion)
    db_session.flush()
    return promotion


@bp.post("/promotions/<int:promotion_id>/toggle")
@staff_required(*PROMOTION_EDITORS)
def promotion_toggle(promotion_id: int) -> Any:
    promotion = get_or_404(Promotion, promotion_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    promotion.is_active = not promotion.is_active
    db_session.commit()
    return redirect(url_for("backoffice.promotions"))


def company_money(company: Company) -> dict[str, Any]:
    """The company card's money section: balance, aging, invoices, claims, collection tasks."""
    today = kyiv_today()
    return {
        "balance": company_balance(db_session, company, today),
        "aging": aging(db_session, company.id, today),
        "invoices": list(db_session.scalars(
            select(Invoice).where(Invoice.company_id == company.id)
            .order_by(Invoice.issued_on.desc(), Invoice.id.desc()).limit(RECENT_INVOICES)
        )),
        "open_claims": list(db_session.scalars(
            select(PaymentClaim).where(PaymentClaim.company_id == company.id, PaymentClaim.status == "open")
        )),
        "open_tasks": list(db_session.scalars(
            select(CollectionTask).where(CollectionTask.company_id == company.id, CollectionTask.closed_at.is_(None))
            .options(joinedload(CollectionTask.invoice))
        )),
    }
