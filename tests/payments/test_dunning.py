"""The reminder ladder: each step once, missed steps not sent late, then a manager's task."""
from __future__ import annotations

from datetime import timedelta

from core.clock import kyiv_today
from core.outbox import OutboxEvent
from payments.dunning import run_ladder
from payments.models import CollectionTask, InvoiceReminder
from tests.payments.conftest import invoices_of


def _reminders(db, invoice):
    return [(r.offset_days, r.skipped) for r in db.query(InvoiceReminder).filter_by(invoice_id=invoice.id).order_by(InvoiceReminder.offset_days)]


def _events(db, topic, invoice):
    return [e.payload for e in db.query(OutboxEvent).filter_by(topic=topic) if e.payload["invoice_id"] == invoice.id]


def test_the_ladder_walks_step_by_step_and_escalates_once(app, ctx, db, make_company, make_user, make_staff, confirmed_order):
    manager = make_staff("manager")
    user = make_user(make_company(payment_terms="deferred", deferral_days=10, credit_limit=10_000, manager_id=manager.id))
    (invoice,) = invoices_of(db, confirmed_order(user))
    due = invoice.due_on
    assert run_ladder(db, due - timedelta(days=4))["reminders"] == 0  # too early
    for day, step in ((-3, -3), (0, 0), (3, 3)):
        assert run_ladder(db, due + timedelta(days=day))["reminders"] == 1
        assert run_ladder(db, due + timedelta(days=day))["reminders"] == 0  # the same day again: nothing
        assert _events(db, "invoice.reminder", invoice)[-1]["step"] == step
    counts = run_ladder(db, due + timedelta(days=7))
    assert counts == {"reminders": 1, "skipped": 0, "escalations": 1}
    assert run_ladder(db, due + timedelta(days=30)) == {"reminders": 0, "skipped": 0, "escalations": 0}
    (task,) = db.query(CollectionTask).filter_by(invoice_id=invoice.id).all()
    assert task.manager_id == manager.id
    assert len(_events(db, "invoice.escalated", invoice)) == 1
    assert _events(db, "invoice.reminder", invoice)[0]["pay_token"] == invoice.pay_token


def test_steps_missed_while_the_job_was_down_are_skipped_not_sent(ctx, db, customer, confirmed_order):
    (invoice,) = invoices_of(db, confirmed_order(customer))
    counts = run_ladder(db, invoice.due_on + timedelta(days=4))
    assert counts["reminders"] == 1 and counts["skipped"] == 2
    assert _reminders(db, invoice) == [(-3, True), (0, True), (3, False)]
    assert [e["step"] for e in _events(db, "invoice.reminder", invoice)] == [3]


def test_paid_and_cancelled_invoices_get_no_reminders(ctx, db, customer, confirmed_order):
    from core.orders import states
    from core.orders.services import Actor, change_status

    order = confirmed_order(customer)
    change_status(db, order, states.CANCELLED, Actor.of(confirmed_order.manager))
    assert run_ladder(db, kyiv_today() + timedelta(days=60)) == {"reminders": 0, "skipped": 0, "escalations": 0}
