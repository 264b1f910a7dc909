"""The reminder ladder: before the due date, on it, and after; then a manager's task.

A daily job (it may run more often: it is idempotent). Each step an invoice reaches
raises `invoice.reminder` once (the notification issue turns it into SMS and e-mail);
steps passed while the job was not running are recorded as skipped, so a customer
never gets a burst of old reminders. After the last step an unpaid invoice becomes a
CollectionTask for the company's manager and raises `invoice.escalated`.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core import outbox
from core.clock import kyiv_today, utcnow
from core.jobs import periodic
from payments.models import OPEN, CollectionTask, Invoice, InvoiceReminder


def ladder() -> list[int]:
    return parse_ladder(current_app.config["DUNNING_LADDER"])


def parse_ladder(setting: object) -> list[int]:
    """Days after the due date (negative: before), e.g. "-3,0,3,7"."""
    return sorted(int(step) for step in str(setting).split(",") if step.strip())


def steps_reached(steps: Sequence[int], due_on: date, today: date) -> list[int]:
    """The ladder's steps an invoice due then has reached by today."""
    return [step for step in steps if step <= (today - due_on).days]


def escalates(steps: Sequence[int], due_on: date, today: date) -> bool:
    """Past the last step: the invoice is a manager's task now."""
    return (today - due_on).days >= steps[-1]


def run_ladder(session: Session, today: date | None = None) -> dict[str, int]:
    today = today or kyiv_today()
    steps = ladder()
    invoices = list(
        session.scalars(
            select(Invoice)
            .where(Invoice.status == OPEN, Invoice.due_on <= today - timedelta(days=steps[0]))
            .options(joinedload(Invoice.company))
            .order_by(Invoice.id)
        )
    )
    invoices = [i for i in invoices if i.outstanding > 0]
    ids = [i.id for i in invoices]
    done = {
        (row.invoice_id, row.offset_days)
        for row in session.scalars(select(InvoiceReminder).where(InvoiceReminder.invoice_id.in_(ids)))
    } if ids else set()
    escalated = set(session.scalars(select(CollectionTask.invoice_id).where(CollectionTask.invoice_id.in_(ids)))) if ids else set()
    counts = {"reminders": 0, "skipped": 0, "escalations": 0}
    for invoice in invoices:
        days_past_due = (today - invoice.due_on).days
        reached = [step for step in steps_reached(steps, invoice.due_on, today) if (invoice.id, step) not in done]
        if reached:
            latest = reached[-1]
            for step in reached[:-1]:
                session.add(InvoiceReminder(invoice_id=invoice.id, offset_days=step, skipped=True))
                counts["skipped"] += 1
            session.add(InvoiceReminder(invoice_id=invoice.id, offset_days=latest))
            outbox.emit(session, "invoice.reminder", _payload(invoice, latest, days_past_due))
            counts["reminders"] += 1
        if escalates(steps, invoice.due_on, today) and invoice.id not in escalated and (reached or (invoice.id, steps[-1]) in done):
            session.add(CollectionTask(invoice_id=invoice.id, company_id=invoice.company_id,
                                       manager_id=invoice.company.manager_id))
            outbox.emit(session, "invoice.escalated", _payload(invoice, steps[-1], days_past_due))
            counts["escalations"] += 1
    session.flush()
    return counts


def _payload(invoice: Invoice, step: int, days_past_due: int) -> dict:
    return {
        "invoice_id": invoice.id,
        "number": invoice.number,
        "company_id": invoice.company_id,
        "step": step,
        "days_past_due": days_past_due,
        "outstanding": str(invoice.outstanding),
        "due_on": invoice.due_on.isoformat(),
        "pay_token": invoice.pay_token,
    }


def close_task(task: CollectionTask, staff_name: str, note: str) -> None:
    task.closed_at, task.closed_by, task.note = utcnow(), staff_name, note.strip()


@periodic("payments.dunning", every_seconds=3600)
def dunning_job(session: Session) -> dict[str, int]:
    counts = run_ladder(session)
    session.commit()
    return counts

