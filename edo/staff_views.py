"""Contracts in the backoffice: the templates page, the lawyer's queue, a contract's page
(preview, what the manager changed, the snapshot, history, approve / return / edit), the
button on the company card and the files."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice.helpers import commit_or_report, current_page, get_or_404, paginate
from core.auth import staff_required
from core.clock import utcnow
from core.customers.models import Company
from core.db import db_session
from core.errors import DomainError
from core.files.services import read_file
from core.files.web import download
from core.web import put_error
from edo import access
from edo.docx_diff import paragraph_diff
from edo.fields import PLACEHOLDERS
from edo.generate import REASON_LABELS, generate_contract, missing_requisites
from edo.models import CONTRACT_STATES, Contract, ContractTemplate
from edo.notes import last_error_text
from edo.preview import preview
from edo.review import approve, locked, return_contract, upload_edit
from edo.staff_blueprint import bp
from edo.staff_forms import (
    ACTION_LABELS,
    STATUS_LABELS,
    ActionForm,
    ApproveForm,
    EditUploadForm,
    ReturnForm,
    StatusFilterForm,
    TemplateUploadForm,
)
from edo.template_versions import add_template_version
from edo.waiting import waited

# The files of a contract by the name its download URL uses.
FILES = ("generated_file", "edited_file", "pdf_file", "signed_file", "signature_file")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"status_label": STATUS_LABELS.get, "action_label": ACTION_LABELS.get, "reason_label": REASON_LABELS.get,
            "may_approve": access.may_approve(current_user), "waited": lambda since: waited(utcnow() - since)}


# --- templates ------------------------------------------------------------------------

def _templates_page(form: TemplateUploadForm, code: int = 200) -> Any:
    versions = db_session.scalars(
        select(ContractTemplate).options(joinedload(ContractTemplate.uploaded_by), joinedload(ContractTemplate.file))
        .order_by(ContractTemplate.version.desc())
    )
    return render_template("edo/templates.html", versions=list(versions), form=form,
                           placeholders=sorted(PLACEHOLDERS), editor=current_user.has_role(*access.TEMPLATE_EDITORS)), code


@bp.get("/contract-templates", endpoint="templates")
@staff_required(*access.TEMPLATE_READERS)
def templates_page() -> Any:
    return _templates_page(TemplateUploadForm(formdata=None))


@bp.post("/contract-templates")
@staff_required(*access.TEMPLATE_EDITORS)
def upload_template() -> Any:
    form = TemplateUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        template = commit_or_report(form, lambda: add_template_version(
            db_session, upload.read(), upload.filename or "", current_user, form.comment.data or ""))
        if template is not None:
            flash(gettext("Шаблон завантажено: версія %(n)s. Нові договори формуються за нею.", n=template.version), "ok")
            return redirect(url_for("edo_staff.templates"))
    return _templates_page(form, 400)


@bp.get("/contract-templates/<int:template_id>/file")
@staff_required(*access.TEMPLATE_READERS)
def template_file(template_id: int) -> Any:
    return download(get_or_404(ContractTemplate, template_id).file)


# --- the queue and a contract -----------------------------------------------------------

@bp.get("/contracts", endpoint="contracts")
@staff_required(*access.CONTRACT_READERS)
def contracts() -> Any:
    everyone = access.sees_every_contract(current_user)
    form = StatusFilterForm(formdata=request.args, statuses=CONTRACT_STATES)
    status = request.args.get("status") or ("review" if access.may_approve(current_user) else "all")
    if status not in dict(form.status.choices):  # an old bookmark or a typed URL: no filter, no error
        status = "all"
    form.status.data = status
    stmt = (select(Contract).join(Company, Contract.company_id == Company.id)
            .options(joinedload(Contract.company).joinedload(Company.manager), joinedload(Contract.template))
            .order_by(Contract.submitted_at, Contract.id))
    if status != "all":
        stmt = stmt.where(Contract.status == status)
    if not everyone:
        stmt = stmt.where(Company.manager_id == current_user.id)
    return render_template("edo/contracts.html", form=form, page=paginate(stmt, current_page()), everyone=everyone)


def _visible(contract_id: int) -> Contract:
    """A contract this person may see; a manager's view of another's customer is a 404."""
    contract = get_or_404(Contract, contract_id)
    if not access.sees_every_contract(current_user) and contract.company.manager_id != current_user.id:
        abort(404)
    return contract


def _contract_page(contract: Contract, return_form: ReturnForm | None = None,
                   edit_form: EditUploadForm | None = None, code: int = 200) -> Any:
    generated = read_file(contract.generated_file)
    edited = read_file(contract.edited_file) if contract.edited_file else None
    return render_template(
        "edo/contract.html",
        contract=contract,
        sending_note=last_error_text(contract.last_error),
        blocks=preview(edited or generated),
        changes=paragraph_diff(generated, edited) if edited else None,
        files=[name for name in FILES if getattr(contract, name) is not None],
        may_edit=access.may_handle(current_user, contract.company) and contract.status in ("review", "returned"),
        approve_form=ApproveForm(formdata=None, seen_edit=seen_edit(contract)),
        return_form=return_form or ReturnForm(formdata=None),
        edit_form=edit_form or EditUploadForm(formdata=None),
    ), code


@bp.get("/contracts/<int:contract_id>")
@staff_required(*access.CONTRACT_READERS)
def contract(contract_id: int) -> Any:
    return _contract_page(_visible(contract_id))


def seen_edit(contract: Contract) -> str:
    return str(contract.edited_file_id or "")


def _lawyer_only() -> None:
    if not access.may_approve(current_user):
        abort(403)


@bp.post("/contracts/<int:contract_id>/approve")
@staff_required(access.APPROVER_ROLE)
def approve_contract(contract_id: int) -> Any:
    _lawyer_only()
    form = ApproveForm()
    if not form.validate_on_submit():
        flash(gettext("Форма застаріла. Оновіть сторінку і спробуйте ще раз."), "error")
        return redirect(url_for("edo_staff.contract", contract_id=contract_id))
    contract = locked(db_session, contract_id)
    if contract is None:
        abort(404)
    if contract.status == "review" and (form.seen_edit.data or "") != seen_edit(contract):
        flash(gettext("Поки ви читали договір № %(number)s, менеджер завантажив змінений текст. Перегляньте зміни "
                      "й погодьте ще раз.", number=contract.number), "error")
        return redirect(url_for("edo_staff.contract", contract_id=contract_id))
    try:
        approved_now = approve(db_session, contract, current_user)
    except DomainError as error:
        db_session.rollback()
        flash(error.message, "error")
        return redirect(url_for("edo_staff.contract", contract_id=contract_id))
    db_session.commit()
    if approved_now:
        flash(gettext("Договір № %(number)s погоджено: він піде клієнту на підпис.", number=contract.number), "ok")
    else:
        flash(gettext("Договір № %(number)s уже погоджено.", number=contract.number), "ok")
    return redirect(url_for("edo_staff.contracts"))


@bp.post("/contracts/<int:contract_id>/return")
@staff_required(access.APPROVER_ROLE)
def return_to_manager(contract_id: int) -> Any:
    _lawyer_only()
    form = ReturnForm()
    contract = locked(db_session, contract_id)
    if contract is None:
        abort(404)
    if form.validate_on_submit():
        try:
            return_contract(db_session, contract, current_user, form.comment.data or "")
        except DomainError as error:
            db_session.rollback()
            put_error(form, error)
        else:
            db_session.commit()
            flash(gettext("Договір № %(number)s повернуто менеджеру.", number=contract.number), "ok")
            return redirect(url_for("edo_staff.contracts"))
    return _contract_page(_visible(contract_id), return_form=form, code=400)


@bp.post("/contracts/<int:contract_id>/edit")
@staff_required(*access.CONTRACT_MAKERS)
def edit_contract(contract_id: int) -> Any:
    # Held to the commit, as the lawyer's approval holds it: an approval under way is
    # waited for, and the edit then finds the contract approved.
    if locked(db_session, contract_id) is None:
        abort(404)
    contract = _visible(contract_id)
    if not access.may_handle(current_user, contract.company):
        abort(403)
    form = EditUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        edited = commit_or_report(form, lambda: upload_edit(
            db_session, contract, current_user, upload.read(), upload.filename or "", form.comment.data or ""))
        if edited is not None:
            flash(gettext("Змінений текст договору № %(number)s завантажено: договір знову чекає на візу юриста.",
                          number=contract.number), "ok")
            return redirect(url_for("edo_staff.contract", contract_id=contract_id))
    return _contract_page(_visible(contract_id), edit_form=form, code=400)


@bp.get("/contracts/<int:contract_id>/files/<any(generated_file, edited_file, pdf_file, signed_file, signature_file):kind>")
@staff_required(*access.CONTRACT_READERS)
def contract_file(contract_id: int, kind: str) -> Any:
    stored = getattr(_visible(contract_id), kind)
    if stored is None:
        abort(404)
    return download(stored)


# --- the company card -----------------------------------------------------------------

@bp.post("/companies/<int:company_id>/contracts")
@staff_required(*access.CONTRACT_MAKERS)
def generate(company_id: int) -> Any:
    company = get_or_404(Company, company_id)
    if not access.may_handle(current_user, company):
        abort(403)
    if not ActionForm().validate_on_submit():
        flash(gettext("Форма застаріла. Оновіть сторінку і спробуйте ще раз."), "error")
        return redirect(url_for("backoffice.company", company_id=company_id))
    try:
        contract = generate_contract(db_session, company, current_user, "manual")
    except DomainError as error:
        db_session.rollback()
        flash(error.message, "error")
        return redirect(url_for("backoffice.company", company_id=company_id))
    db_session.commit()
    flash(gettext("Договір № %(number)s сформовано й передано юристу на візу.", number=contract.number), "ok")
    return redirect(url_for("edo_staff.contract", contract_id=contract.id))


def company_contracts_panel(company: Company) -> Markup:
    """The company card's section: its contracts, what the card lacks for one, the button."""
    contracts = db_session.scalars(select(Contract).where(Contract.company_id == company.id).order_by(Contract.id.desc()))
    return Markup(render_template(
        "edo/_company_contracts.html", company=company, contracts=list(contracts),
        missing=missing_requisites(company), may_generate=access.may_handle(current_user, company),
        action_form=ActionForm(), status_label=STATUS_LABELS.get,
    ))
