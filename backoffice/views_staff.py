"""Staff members for the admin: who has which role, and access switched off and on."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from backoffice.access import STAFF_ADMINS
from backoffice.blueprint import bp
from backoffice.forms import ActionForm
from backoffice.helpers import get_or_404
from core.auth import staff_required
from core.db import db_session
from core.errors import DomainError
from core.staff.models import StaffUser
from core.staff.services import set_staff_user_active


@bp.get("/staff-users")
@staff_required(*STAFF_ADMINS)
def staff_users() -> Any:
    members = db_session.scalars(select(StaffUser).order_by(StaffUser.full_name, StaffUser.id))
    return render_template("backoffice/staff_users.html", members=list(members), action_form=ActionForm())


@bp.post("/staff-users/<int:staff_id>/<any(activate, deactivate):action>")
@staff_required(*STAFF_ADMINS)
def set_staff_active(staff_id: int, action: str) -> Any:
    member = get_or_404(StaffUser, staff_id)
    if not ActionForm().validate_on_submit():
        flash(gettext("Форма застаріла. Оновіть сторінку і спробуйте ще раз."), "error")
        return redirect(url_for("backoffice.staff_users"))
    try:
        set_staff_user_active(db_session, member, action == "activate", by=current_user)
    except DomainError as exc:
        db_session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("backoffice.staff_users"))
    db_session.commit()
    if member.is_active:
        flash(gettext("Доступ працівника «%(name)s» увімкнено.", name=member.full_name), "ok")
    else:
        flash(gettext("Доступ працівника «%(name)s» вимкнено, усі його сеанси завершено.", name=member.full_name), "ok")
    return redirect(url_for("backoffice.staff_users"))
