import re
from datetime import datetime, timedelta, timezone

import pytest

from core.outbox import OutboxEvent
from notify.models import Message


def add_event(db, status, topic="test.nobody_listens", attempts=10, error="boom"):
    event = OutboxEvent(topic=topic, payload={}, status=status, attempts=attempts, last_error=error)
    db.add(event)
    db.flush()
    return event


@pytest.mark.parametrize("role", ["admin", "accountant", "head_of_sales"])
def test_outbox_monitor_counts_and_lists_pending_and_failed(client, db, as_staff, role):
    failed = add_event(db, "failed", topic="order.submitted", error="1C: timeout")
    pending = add_event(db, "pending", topic="invoice.issued", attempts=2, error="")
    done = add_event(db, "done", topic="payment.received", attempts=1, error="")
    as_staff(role)
    html = client.get("/staff/outbox").get_data(as_text=True)
    assert re.search(r'class="number">1</div>\s*в черзі', html)
    assert re.search(r'class="number">1</div>\s*з помилкою', html)
    assert "1C: timeout" in html and "invoice.issued" in html and "payment.received" not in html
    assert f"/staff/outbox/{failed.id}/retry" in html
    assert f"/staff/outbox/{pending.id}/retry" not in html and f"/staff/outbox/{done.id}/retry" not in html


@pytest.mark.parametrize("role", ["manager", "lawyer"])
def test_outbox_monitor_is_closed_to_other_roles(client, db, as_staff, role):
    failed = add_event(db, "failed")
    as_staff(role)
    assert client.get("/staff/outbox").status_code == 403
    assert client.post(f"/staff/outbox/{failed.id}/retry").status_code == 403
    db.refresh(failed)
    assert failed.status == "failed"


def test_retry_a_failed_event(client, db, as_staff):
    failed = add_event(db, "failed")
    as_staff("accountant")
    response = client.post(f"/staff/outbox/{failed.id}/retry")
    assert response.status_code == 302
    db.refresh(failed)
    # Back in the queue and, with inline dispatch and no failing handler, delivered at once.
    assert failed.status == "done" and failed.attempts == 1 and failed.last_error == ""


def test_retry_of_a_pending_or_unknown_event_does_nothing(client, db, as_staff):
    pending = add_event(db, "pending", attempts=3)
    as_staff("admin")
    response = client.post(f"/staff/outbox/{pending.id}/retry", follow_redirects=True)
    assert "не в статусі помилки" in response.get_data(as_text=True)
    db.refresh(pending)
    assert (pending.status, pending.attempts) == ("pending", 3)
    assert client.post("/staff/outbox/999999/retry").status_code == 404


def test_message_log_is_newest_first(client, db, as_staff):
    now = datetime.now(timezone.utc)
    db.add_all(
        [
            Message(channel="sms", template="t", recipient="+380671111111", body="старе повідомлення", created_at=now - timedelta(hours=2)),
            Message(channel="email", template="t", recipient="a@cafe.ua", body="нове повідомлення", created_at=now),
        ]
    )
    db.flush()
    as_staff("accountant")
    html = client.get("/staff/messages").get_data(as_text=True)
    assert html.index("нове повідомлення") < html.index("старе повідомлення")


def test_message_log_is_paged(client, db, as_staff):
    now = datetime.now(timezone.utc)
    db.add_all(
        Message(channel="log", template="t", recipient=f"r{n}@x.ua", body=f"body-{n:03d}", created_at=now - timedelta(minutes=n))
        for n in range(55)
    )
    db.flush()
    as_staff("manager")
    first = client.get("/staff/messages").get_data(as_text=True)
    second = client.get("/staff/messages?page=2").get_data(as_text=True)
    assert first.count("body-") == 50 and second.count("body-") == 5
    assert "body-000" in first and "body-054" in second


def test_message_times_are_shown_in_kyiv(client, db, as_staff):
    db.add(Message(channel="log", template="t", recipient="x@x.ua", body="b", created_at=datetime(2026, 7, 1, 9, 5, tzinfo=timezone.utc)))
    db.flush()
    as_staff("manager")
    assert "01.07.2026 12:05" in client.get("/staff/messages").get_data(as_text=True)  # UTC+3 in summer


def test_dashboard_counts(client, db, as_staff, make_product, make_company, make_order):
    make_product()
    company = make_company()
    make_order(company, status="submitted")
    make_order(company, status="confirmed")
    make_order(company, status="submitted", created_at=datetime.now(timezone.utc) - timedelta(days=3))
    add_event(db, "failed")
    as_staff("head_of_sales")
    html = client.get("/staff/").get_data(as_text=True)
    assert re.search(r'class="number">2</div>\s*нових замовлень сьогодні', html)
    assert re.search(r'class="number">2</div>\s*чекають на підтвердження', html)
    assert re.search(r'class="number">1</div>\s*подій з помилкою', html)


def test_navigation_shows_only_what_the_role_may_use(client, as_staff):
    as_staff("manager")
    html = client.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/orders"' in html and 'href="/staff/companies"' in html and 'href="/staff/messages"' in html
    assert 'href="/staff/catalog/products"' not in html and 'href="/staff/outbox"' not in html
    client.post("/staff/logout")
    as_staff("admin")
    html = client.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/catalog/products"' in html and 'href="/staff/outbox"' in html
    assert 'href="/staff/orders/new"' in html


def test_english_translation_is_used(client, as_staff):
    as_staff("manager")
    client.get("/lang/en")
    html = client.get("/staff/").get_data(as_text=True)
    assert "new orders today" in html and "Orders" in html
