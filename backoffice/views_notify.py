"""Messages: the log and its failures (fix the address, send again), templates and
rules with a live preview, a company's channels, and the cabinets created for customers."""
from __future__ import annotations

from typing import Any

from datetime import timedelta

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import delete, func, select

from backoffice.notify_blueprint import bp
from backoffice.access import COMPANY_EDITORS, MESSAGE_FIXERS, MESSAGE_READERS, NOTIFY_EDITORS
from backoffice.forms import ActionForm
from backoffice.forms_notify import CompanyChannelsForm, ResendForm, TemplateForm
from backoffice.helpers import current_page, get_or_404, paginate
from core.auth import staff_required
from core.customers.invitations import activation_by_manager, invite_companies_without_users
from core.customers.models import Company
from core.clock import utcnow
from core.db import db_session
from notify import delivery
from notify.events import BY_KEY, SPECS
from notify.models import (
    CHANNELS,
    FAILED,
    MESSAGE_STATUSES,
    UNKNOWN,
    CompanyNotifySettings,
    Message,
    MessageTemplate,
    NotifyRule,
)
from notify.planning import LANGUAGES, template_text
from notify.preview import preview
from notify.reasons import reason

# Failed, or in doubt after a worker died: staff decide to send it (again).
RESENDABLE = (FAILED, UNKNOWN)


@bp.get("/messages")
@staff_required(*MESSAGE_READERS)
def messages() -> Any:
    status, channel = request.args.get("status", ""), request.args.get("channel", "")
    stmt = select(Message).order_by(Message.created_at.desc(), Message.id.desc())
    if status in MESSAGE_STATUSES:
        stmt = stmt.where(Message.status == status)
    if channel in CHANNELS:
        stmt = stmt.where(Message.channel == channel)
    return render_template(
        "backoffice/messages.html", page=paginate(stmt, current_page()), status=status, channel=channel,
        statuses=MESSAGE_STATUSES, channels=CHANNELS, reason=reason, specs=BY_KEY, action_form=ActionForm(),
    )


@bp.post("/messages/<int:message_id>/resend")
@staff_required(*MESSAGE_FIXERS)
def resend_message(message_id: int) -> Any:
    """One click from the log: send a message in doubt (or failed) again, to the same address."""
    message = get_or_404(Message, message_id)
    back = url_for("staff_notify.messages", status=message.status)
    if not ActionForm().validate_on_submit():
        flash(gettext("Форма застаріла. Оновіть сторінку і спробуйте ще раз."), "error")
    elif message.status not in RESENDABLE:
        flash(gettext("Повторно надіслати можна лише повідомлення з помилкою."), "error")
    elif problem := delivery.resend(db_session, message):
        flash(reason(problem), "error")
    else:
        db_session.commit()
        flash(gettext("Повідомлення поставлено в чергу на відправлення."), "ok")
    return redirect(back)


@bp.route("/messages/<int:message_id>", methods=["GET", "POST"])
@staff_required(*MESSAGE_READERS)
def message_detail(message_id: int) -> Any:
    message = get_or_404(Message, message_id)
    form = ResendForm(recipient=message.recipient)
    refused = False
    if request.method == "POST":
        if not current_user.has_role(*MESSAGE_FIXERS):
            abort(403)
        if message.status not in RESENDABLE:
            flash(gettext("Повторно надіслати можна лише повідомлення з помилкою."), "error")
        elif form.validate_on_submit():
            problem = delivery.resend(db_session, message, form.recipient.data)
            if problem == "template_error":
                # Sent again it would go out empty: the template needs fixing first.
                flash(reason(problem), "error")
                refused = True
            elif problem:
                form.recipient.errors.append(reason(problem))
            else:
                db_session.commit()
                flash(gettext("Повідомлення поставлено в чергу на відправлення."), "ok")
                return redirect(url_for("staff_notify.message_detail", message_id=message.id))
    return render_template("backoffice/message.html", message=message, form=form, reason=reason,
                           spec=BY_KEY.get(message.template)), (400 if form.errors or refused else 200)


@bp.get("/notify/templates")
@staff_required(*NOTIFY_EDITORS)
def notify_templates() -> Any:
    own = {(t.event, t.channel, t.language) for t in db_session.scalars(select(MessageTemplate))}
    off = {(r.event, r.channel) for r in db_session.scalars(select(NotifyRule).where(NotifyRule.enabled.is_(False)))}
    return render_template("backoffice/notify_templates.html", specs=SPECS, own=own, off=off,
                           channels=CHANNELS, languages=LANGUAGES, action_form=ActionForm())


@bp.post("/notify/rules/<event>/<channel>")
@staff_required(*NOTIFY_EDITORS)
def toggle_rule(event: str, channel: str) -> Any:
    if event not in BY_KEY or channel not in BY_KEY[event].channels:
        abort(404)
    if ActionForm().validate_on_submit():
        rule = db_session.get(NotifyRule, (event, channel)) or NotifyRule(event=event, channel=channel, enabled=True)
        rule.enabled = not rule.enabled
        rule.updated_by = current_user.full_name
        db_session.add(rule)
        db_session.commit()
        flash(gettext("Правило змінено."), "ok")
    return redirect(url_for("staff_notify.notify_templates"))


def _template_key(event: str, channel: str, language: str) -> None:
    if event not in BY_KEY or channel not in BY_KEY[event].channels or language not in LANGUAGES:
        abort(404)


@bp.route("/notify/templates/<event>/<channel>/<language>", methods=["GET", "POST"])
@staff_required(*NOTIFY_EDITORS)
def edit_template(event: str, channel: str, language: str) -> Any:
    _template_key(event, channel, language)
    spec = BY_KEY[event]
    subject, body = template_text(db_session, event, channel, language)
    form = TemplateForm(subject=subject, body=body)
    result = None
    if form.validate_on_submit():
        result = preview(db_session, spec, channel, language, form.subject.data or "", form.body.data)
        if result.error:
            form.body.errors.append(gettext("Шаблон не заповнюється: %(error)s", error=result.error))
        elif channel == "email" and not form.subject.data:
            form.subject.errors.append(gettext("У листа має бути тема."))
        else:
            own = db_session.scalar(select(MessageTemplate).where(
                MessageTemplate.event == event, MessageTemplate.channel == channel, MessageTemplate.language == language))
            own = own or MessageTemplate(event=event, channel=channel, language=language)
            own.subject, own.body, own.updated_by = form.subject.data or "", form.body.data, current_user.full_name
            db_session.add(own)
            db_session.commit()
            flash(gettext("Шаблон збережено."), "ok")
            return redirect(url_for("staff_notify.edit_template", event=event, channel=channel, language=language))
    shown = result or preview(db_session, spec, channel, language, form.subject.data or "", form.body.data or "")
    return render_template("backoffice/notify_template.html", spec=spec, channel=channel, language=language,
                           form=form, preview=shown, action_form=ActionForm()), (400 if form.errors else 200)


@bp.post("/notify/templates/<event>/<channel>/<language>/preview")
@staff_required(*NOTIFY_EDITORS)
def preview_template(event: str, channel: str, language: str) -> Any:
    _template_key(event, channel, language)
    result = preview(db_session, BY_KEY[event], channel, language,
                     request.form.get("subject", ""), request.form.get("body", ""))
    size = result.size
    return jsonify(subject=result.subject, body=result.body, html=result.html, error=result.error,
                   source=result.source, characters=size.characters if size else None,
                   segments=size.segments if size else None, unicode=size.unicode if size else None)


@bp.post("/notify/templates/<event>/<channel>/<language>/reset")
@staff_required(*NOTIFY_EDITORS)
def reset_template(event: str, channel: str, language: str) -> Any:
    _template_key(event, channel, language)
    if ActionForm().validate_on_submit():
        db_session.execute(delete(MessageTemplate).where(
            MessageTemplate.event == event, MessageTemplate.channel == channel, MessageTemplate.language == language))
        db_session.commit()
        flash(gettext("Повернуто стандартний текст."), "ok")
    return redirect(url_for("staff_notify.edit_template", event=event, channel=channel, language=language))


@bp.post("/companies/<int:company_id>/notifications")
@staff_required(*COMPANY_EDITORS)
def company_channels(company_id: int) -> Any:
    company = get_or_404(Company, company_id)
    form = CompanyChannelsForm()
    if form.validate_on_submit():
        settings = db_session.get(CompanyNotifySettings, company.id) or CompanyNotifySettings(company_id=company.id)
        settings.sms, settings.email, settings.marketing = form.sms.data, form.email.data, form.marketing.data
        db_session.add(settings)
        db_session.commit()
        flash(gettext("Канали повідомлень збережено."), "ok")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("backoffice.company", company_id=company.id))


def company_channels_panel(company: Company) -> Markup:
    """The company card's section: which channels the company gets messages on."""
    settings = db_session.get(CompanyNotifySettings, company.id) or CompanyNotifySettings(sms=True, email=True, marketing=True)
    return Markup(render_template("backoffice/_company_channels.html", company=company,
                                  channels_form=CompanyChannelsForm(formdata=None, obj=settings)))


def message_cards() -> Markup:
    """The dashboard's message cards. Rules send the routine; staff only see what failed
    (the last week's, so the card does not count history nobody will act on) and what a
    dead worker left in doubt (each needs a look whatever its age)."""
    failed = db_session.scalar(
        select(func.count()).select_from(Message)
        .where(Message.status == FAILED, Message.created_at >= utcnow() - timedelta(days=7))
    )
    unknown = db_session.scalar(select(func.count()).select_from(Message).where(Message.status == UNKNOWN))
    return Markup(render_template("backoffice/_message_cards.html", failed=failed, unknown=unknown))


@bp.route("/invitations", methods=["GET", "POST"])
@staff_required(*COMPANY_EDITORS)
def invitations() -> Any:
    form = ActionForm()
    run = None
    if form.validate_on_submit():
        run = invite_companies_without_users(db_session)
        db_session.commit()
        flash(gettext("Запрошено користувачів: %(n)s.", n=run.invited), "ok")
    return render_template("backoffice/invitations.html", form=form, run=run,
                           activation=activation_by_manager(db_session))
