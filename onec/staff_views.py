"""The 1C sync page: the runs (filters, paging), the last success of each direction and
entity, the outbox backlog of 1C's handlers, what other features add (Feature.sync_details:
contracts Vchasno has not taken), and retries."""
from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from backoffice.helpers import current_page, get_or_404, paginate
from core.auth import staff_required
from core.catalog.details import sync_sections
from core.db import db_session
from core.errors import DomainError
from onec import retry, sync
from onec.access import BALANCE_WATCHERS, SYNC_RETRIERS, SYNC_WATCHERS
from onec.models import ExchangeRun
from onec.pull.balances import open_differences
from onec.reasons import skip_reason
from onec.staff_blueprint import bp
from onec.staff_forms import RetryForm, RunFilterForm, direction_label, status_label


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"direction_label": direction_label, "status_label": status_label, "skip_reason": skip_reason,
            "can_retry": retry.can_retry, "SYNC_RETRIERS": SYNC_RETRIERS}


@bp.get("/sync", endpoint="sync")
@staff_required(*SYNC_WATCHERS)
def sync_page() -> Any:
    form = RunFilterForm(formdata=request.args).fill(sync.entities(db_session))
    # A value not among the choices (an old bookmark, a typed URL) is no filter, never an error.
    chosen = {name: getattr(form, name).data or None
              for name in ("direction", "entity", "status") if getattr(form, name).validate(form)}
    return render_template(
        "onec/sync.html",
        form=form,
        page=paginate(sync.runs(**chosen), current_page()),
        last_success=sync.last_success_per_entity(db_session),
        backlog=sync.backlog(db_session),
        owed=sync.owed_events(db_session),
        sections=sync_sections(db_session, current_user),
        retry_form=RetryForm(),
    )


@bp.get("/sync/runs/<int:run_id>")
@staff_required(*SYNC_WATCHERS)
def sync_run(run_id: int) -> Any:
    run = get_or_404(ExchangeRun, run_id)
    retried_by = db_session.scalar(select(ExchangeRun).where(ExchangeRun.retry_of == run.id))
    return render_template("onec/sync_run.html", run=run, retried_by=retried_by, retry_form=RetryForm())


@bp.post("/sync/runs/<int:run_id>/retry")
@staff_required(*SYNC_RETRIERS)
def retry_run(run_id: int) -> Any:
    if not RetryForm().validate_on_submit():
        flash(gettext("Форма застаріла. Оновіть сторінку і спробуйте ще раз."), "error")
        return redirect(url_for("onec_staff.sync_run", run_id=run_id))
    try:
        retried = retry.retry_run(db_session, run_id)
    except LookupError:
        abort(404)
    except DomainError as exc:
        db_session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("onec_staff.sync_run", run_id=run_id))
    new = retried.run
    if retried.earlier:
        flash(gettext("Обмін №%(id)s уже повторено: обмін №%(new)s.", id=run_id, new=new.id), "warning")
    elif new.status == "success":
        flash(gettext("Повторний обмін №%(new)s пройшов успішно.", new=new.id), "ok")
    else:
        flash(gettext("Повторний обмін №%(new)s знову завершився помилкою.", new=new.id), "error")
    return redirect(url_for("onec_staff.sync_run", run_id=new.id))


@bp.post("/sync/backlog/retry")
@staff_required(*SYNC_RETRIERS)
def retry_backlog() -> Any:
    if not RetryForm().validate_on_submit():
        flash(gettext("Форма застаріла. Оновіть сторінку і спробуйте ще раз."), "error")
    else:
        count = retry.retry_failed_events(db_session)
        db_session.commit()
        if count:
            flash(gettext("Подій поставлено в чергу ще раз: %(n)s.", n=count), "ok")
        else:
            flash(gettext("Невдалих подій для 1С немає — повторювати нічого."), "ok")
    return redirect(url_for("onec_staff.sync"))


@bp.get("/balance-differences", endpoint="balance_differences")
@staff_required(*BALANCE_WATCHERS)
def balance_differences() -> Any:
    """Customers whose debt in 1C differs from the portal's: what a person must reconcile
    (a payment one side lacks, an invoice the other never had); the portal never overwrites."""
    mine = request.args.get("mine") == "y"
    rows = open_differences(db_session, manager_id=current_user.id if mine else None)
    return render_template("onec/balance_differences.html", rows=rows, mine=mine)
