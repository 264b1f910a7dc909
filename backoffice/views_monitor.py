"""What the machinery is doing: the outbox queue, with a retry for failed events."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from sqlalchemy import case, select

from backoffice.access import OUTBOX_WATCHERS
from backoffice.blueprint import bp
from backoffice.forms import ActionForm
from backoffice.helpers import current_page, get_or_404, paginate
from core import outbox
from core.auth import staff_required
from core.db import db_session
from core.outbox import FAILED, PENDING, OutboxEvent


@bp.get("/outbox", endpoint="outbox")
@staff_required(*OUTBOX_WATCHERS)
def outbox_monitor() -> Any:
    failed_first = case((OutboxEvent.status == FAILED, 0), else_=1)
    stmt = (
        select(OutboxEvent)
        .where(OutboxEvent.status.in_((FAILED, PENDING)))
        .order_by(failed_first, OutboxEvent.id.desc())
    )
    return render_template(
        "backoffice/outbox.html",
        backlog=outbox.backlog(db_session()),
        page=paginate(stmt, current_page()),
        action_form=ActionForm(),
    )


@bp.post("/outbox/<int:event_id>/retry")
@staff_required(*OUTBOX_WATCHERS)
def retry_event(event_id: int) -> Any:
    event = get_or_404(OutboxEvent, event_id)
    if not ActionForm().validate_on_submit():
        flash(gettext("Форма застаріла. Оновіть сторінку і спробуйте ще раз."), "error")
    elif event.status != FAILED:
        flash(gettext("Подія №%(id)s не в статусі помилки — повторювати нічого.", id=event.id), "error")
    else:
        outbox.retry_failed(db_session, event.id)
        db_session.commit()
        flash(gettext("Подію №%(id)s поставлено в чергу ще раз.", id=event.id), "ok")
    return redirect(url_for("backoffice.outbox"))
