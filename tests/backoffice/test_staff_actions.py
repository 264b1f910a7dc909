"""Staff are offered only what they may do now, see real history, and can call a debtor."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from payments.dunning import run_ladder
from payments.models import CollectionTask
from tests.conftest import login
from tests.payments.conftest import invoices_of, pay_by_hand


def _staff(app, make_staff, role, **fields):
    client = app.test_client()
    person = make_staff(role, **fields)
    assert login(client, person.email, staff=True).status_code == 302
    return client


def _page(client, url):
    return client.get(url).get_data(as_text=True).replace("\u202f", " ").replace("\u00a0", " ")


def _held(db, make_company, make_user, confirmed_order):
    """An order of 300,00 on hold: deferred terms over a credit limit of 100."""
    user = make_user(make_company(payment_terms="deferred", deferral_days=5, credit_limit=Decimal("100")))
    held = confirmed_order(user)
    assert held.status == "on_hold"
    db.commit()
    return held


def test_a_manager_is_not_offered_a_release_only_the_head_of_sales_may_make(
    app, db, monkeypatch, make_company, make_user, make_staff, confirmed_order
):
    monkeypatch.setitem(app.config, "CREDIT_RELEASE_HEAD_ABOVE", "100.00")
    held = _held(db, make_company, make_user, confirmed_order)
    make_staff("head_of_sales", full_name="Наталія Савченко")
    manager = _staff(app, make_staff, "manager")

    page = _page(manager, f"/staff/orders/{held.id}")
    assert 'value="confirmed"' not in page and 'value="cancelled"' in page
    assert "Замовлення понад 100,00 грн відпускає лише керівник відділу продажів (Наталія Савченко)." in page
    assert 'data-test="head-releases"' in _page(manager, "/staff/holds")
    # The server still refuses the move the page no longer offers.
    refused = manager.post(f"/staff/orders/{held.id}/status", data={"target": "confirmed", "note": "Знаю клієнта"})
    assert refused.status_code == 400
    db.expire_all()
    assert held.status == "on_hold"

    head = _staff(app, make_staff, "head_of_sales")
    page = _page(head, f"/staff/orders/{held.id}")
    assert 'value="confirmed"' in page and 'data-test="withheld"' not in page
    assert 'data-test="head-releases"' not in _page(head, "/staff/holds")


def test_a_small_hold_is_released_by_any_manager(app, db, make_company, make_user, make_staff, confirmed_order):
    held = _held(db, make_company, make_user, confirmed_order)  # 300,00: under the default 50 000,00
    manager = _staff(app, make_staff, "manager")
    page = _page(manager, f"/staff/orders/{held.id}")
    assert 'value="confirmed"' in page and 'data-test="withheld"' not in page
    assert re.search(r'<input[^>]*name="note"[^>]*required', page)  # a credit decision takes a reason
    assert 'data-test="head-releases"' not in _page(manager, "/staff/holds")


def test_assembling_is_offered_only_once_the_order_is_released(app, db, customer, make_staff, confirmed_order):
    order = confirmed_order(customer)  # prepayment: confirmed, waiting for the money
    db.commit()
    manager = _staff(app, make_staff, "manager")
    page = _page(manager, f"/staff/orders/{order.id}")
    assert 'value="assembling"' not in page and 'value="cancelled"' in page
    assert not re.search(r'<input[^>]*name="note"[^>]*required', page)
    assert 'data-test="withheld"' in page and "комплектувати ще не можна" in page

    (invoice,) = invoices_of(db, order)
    with app.test_request_context():
        pay_by_hand(db, invoice)
    db.commit()
    page = _page(manager, f"/staff/orders/{order.id}")
    assert 'value="assembling"' in page and 'data-test="withheld"' not in page


def test_the_history_shows_the_release_not_a_move_to_the_same_status(app, db, make_company, make_user, make_staff, confirmed_order):
    held = _held(db, make_company, make_user, confirmed_order)
    manager = _staff(app, make_staff, "manager")
    assert manager.post(f"/staff/orders/{held.id}/status", data={"target": "confirmed", "note": "Гарантія"}).status_code == 302
    db.expire_all()
    assert held.released_at is not None  # deferred terms: released as it is confirmed

    page = _page(manager, f"/staff/orders/{held.id}")
    history = page[page.index("Історія статусів"):]
    assert "Підтверджене → Підтверджене" not in history
    assert "Очікує рішення менеджера → Підтверджене" in history
    assert "Відпущено до відвантаження" in history


def test_the_collections_queue_shows_a_number_to_call(app, db, make_company, make_user, make_staff, confirmed_order):
    with_card_phone = make_company("ТОВ «Телефон на картці»", phone="+380441234567")
    owner_only = make_company("ТОВ «Телефон власника»")
    make_user(owner_only, role="buyer", phone="+380501111111")
    make_user(owner_only, role="owner", phone="+380672223344")
    nobody = make_company("ТОВ «Без телефону»")
    make_user(nobody, role="buyer", phone="+380503334455")
    due = [invoices_of(db, confirmed_order(make_user(c, phone=None)))[0].due_on for c in (with_card_phone, owner_only, nobody)]
    with app.test_request_context():
        run_ladder(db, max(due) + timedelta(days=8))
    assert db.query(CollectionTask).count() == 3
    db.commit()

    page = _page(_staff(app, make_staff, "accountant"), "/staff/collections")
    assert '<a href="tel:+380441234567" data-test="call">+380 44 123 4567</a>' in page
    assert '<a href="tel:+380672223344" data-test="call">+380 67 222 3344</a>' in page
    assert "+380501111111" not in page and "+380503334455" not in page  # a buyer is not who we call
    assert page.count('data-test="call"') == 2 and "немає телефону" in page
