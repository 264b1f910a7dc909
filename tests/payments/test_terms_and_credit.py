"""Invoices follow the payment terms; credit and overdue debt put orders on hold."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.clock import kyiv_today
from core.errors import DomainError
from core.orders import states
from core.orders.services import Actor, change_status
from payments.allocation import allocate, set_payment_status
from payments.invoices import next_seq
from payments.models import Invoice, Payment
from payments.receivables import aging, company_balance, decide_hold
from tests.conftest import login
from tests.payments.conftest import backdate, invoices_of, pay_by_hand


def test_deferred_terms_release_at_once_and_the_invoice_falls_due_in_n_days(db, make_company, make_user, confirmed_order):
    user = make_user(make_company(payment_terms="deferred", deferral_days=14, credit_limit=Decimal("10000")))
    order = confirmed_order(user)
    (invoice,) = invoices_of(db, order)
    assert order.released_at is not None and order.status == "confirmed"
    assert (invoice.kind, invoice.amount, invoice.due_on) == ("full", Decimal("300.00"), kyiv_today() + timedelta(days=14))


def test_prepayment_holds_shipping_until_paid(ctx, db, customer, confirmed_order):
    order = confirmed_order(customer)
    with pytest.raises(DomainError):
        change_status(db, order, states.ASSEMBLING, Actor.of(confirmed_order.manager))
    (invoice,) = invoices_of(db, order)
    pay_by_hand(db, invoice, Decimal("100.00"))  # a partial payment leaves the rest open
    assert invoice.status == "open" and invoice.outstanding == Decimal("200.00") and order.released_at is None
    second = Payment(source="manual", external_id="m-rest", amount=Decimal("200.00"))
    db.add(second)
    set_payment_status(second, "succeeded", "Бухгалтер")
    allocate(db, second, invoice.id, Decimal("200.00"), "Бухгалтер")
    assert invoice.status == "paid" and order.released_at is not None
    change_status(db, order, states.ASSEMBLING, Actor.of(confirmed_order.manager))


def test_advance_terms_issue_the_advance_then_the_remainder_once_paid(ctx, db, make_company, make_user, confirmed_order):
    user = make_user(make_company(payment_terms="advance", advance_percent=30, deferral_days=7, credit_limit=Decimal("10000")))
    order = confirmed_order(user)
    (advance,) = invoices_of(db, order)
    assert (advance.kind, advance.amount, order.released_at) == ("advance", Decimal("90.00"), None)
    assert advance.vat_amount == Decimal("15.00")  # 30 % of the order's VAT
    pay_by_hand(db, advance)
    advance_, remainder = invoices_of(db, order)
    assert order.released_at is not None
    assert (remainder.kind, remainder.amount, remainder.due_on) == ("remainder", Decimal("210.00"), kyiv_today() + timedelta(days=7))


def test_invoice_numbers_run_without_gaps_and_a_rolled_back_one_gives_its_number_back(db, customer, confirmed_order):
    first = invoices_of(db, confirmed_order(customer))[0]
    savepoint = db.begin_nested()
    rolled_back = invoices_of(db, confirmed_order(customer))[0].seq
    savepoint.rollback()
    second = invoices_of(db, confirmed_order(customer))[0]
    assert rolled_back == first.seq + 1 == second.seq
    assert second.number == f"{kyiv_today().year}-{second.seq:05d}"
    assert next_seq(db, 1999) == 1 and next_seq(db, 1999) == 2  # a new year starts at 1


def test_cancelling_an_order_cancels_its_unpaid_invoice(ctx, db, customer, confirmed_order):
    order = confirmed_order(customer)
    change_status(db, order, states.CANCELLED, Actor.of(confirmed_order.manager), "Клієнт передумав")
    (invoice,) = invoices_of(db, order)
    assert invoice.status == "cancelled" and invoice.outstanding == 0
    assert [h.to_status for h in invoice.history] == ["open", "cancelled"]


def test_an_order_over_the_credit_limit_waits_for_a_manager(ctx, db, make_company, make_user, confirmed_order, make_staff):
    user = make_user(make_company(payment_terms="deferred", deferral_days=10, credit_limit=Decimal("500")))
    confirmed_order(user)  # 300 of debt
    held = confirmed_order(user)  # another 300: over 500
    assert held.status == "on_hold" and invoices_of(db, held) == []
    assert "кредитний ліміт" in held.history[-1].note
    manager = make_staff("manager")
    with pytest.raises(DomainError):
        decide_hold(db, held, manager, release=True, reason="  ")
    decide_hold(db, held, manager, release=True, reason="Клієнт обіцяв оплату в п'ятницю")
    assert held.status == "confirmed" and len(invoices_of(db, held)) == 1
    assert [(h.to_status, h.note) for h in held.history if h.actor_kind == "staff"] == [
        ("confirmed", "Клієнт обіцяв оплату в п'ятницю")
    ]


def test_overdue_debt_puts_an_order_on_hold_and_a_big_release_takes_the_head_of_sales(
    app, ctx, db, customer, confirmed_order, make_staff
):
    backdate(db, invoices_of(db, confirmed_order(customer))[0], 40)
    held = confirmed_order(customer)
    assert held.status == "on_hold" and "Прострочена заборгованість 300,00\u00a0грн" in held.history[-1].note
    app.config["CREDIT_RELEASE_HEAD_ABOVE"] = "100.00"
    try:
        with pytest.raises(DomainError, match="понад 100,00\u00a0грн відпускає керівник"):
            decide_hold(db, held, make_staff("manager"), release=True, reason="Знаю клієнта")
        decide_hold(db, held, make_staff("head_of_sales"), release=False, reason="Спершу борг")
    finally:
        app.config["CREDIT_RELEASE_HEAD_ABOVE"] = "50000.00"
    assert held.status == "cancelled"
    with pytest.raises(DomainError):
        decide_hold(db, held, make_staff("head_of_sales"), release=True, reason="Передумали")


def test_balance_and_aging(db, make_company, make_user, confirmed_order):
    user = make_user(make_company(payment_terms="deferred", deferral_days=0, credit_limit=Decimal("5000")))
    old, recent, fresh = (invoices_of(db, confirmed_order(user))[0] for _ in range(3))
    backdate(db, old, 75)
    backdate(db, recent, 5)
    pay_by_hand(db, fresh, Decimal("50.00"))
    balance = company_balance(db, user.company)
    assert (balance.debt, balance.overdue, balance.available_credit) == (Decimal("850.00"), Decimal("600.00"), Decimal("4150.00"))
    assert aging(db, user.company_id) == [("0–30", Decimal("300.00")), ("31–60", 0), ("61–90", Decimal("300.00")), ("90+", 0)]


def test_the_cart_warns_before_submit_that_the_order_will_wait(client, db, customer, confirmed_order, make_product):
    backdate(db, invoices_of(db, confirmed_order(customer))[0], 10)
    db.commit()
    login(client, customer.email)
    client.post("/cart/add", data={"product_id": make_product().id, "quantity": "1"})
    page = client.get("/cart").get_data(as_text=True)
    assert "прострочено" in page and "чекатиме рішення менеджера" in page and "Сплатити прострочене" in page


def test_the_invoices_page_pre_ticks_overdue_ones(client, db, customer, confirmed_order):
    overdue, current = (invoices_of(db, confirmed_order(customer))[0] for _ in range(2))
    backdate(db, overdue, 10)
    db.commit()
    login(client, customer.email)
    page = client.get("/invoices").get_data(as_text=True)
    assert f'value="{overdue.id}" aria-label="{overdue.number}" checked' in page
    assert f'value="{current.id}" aria-label="{current.number}">' in page
    assert client.post("/invoices/pay", data={}).status_code == 302  # nothing ticked: says so, changes nothing


def test_a_pay_link_says_plainly_when_it_is_paid_cancelled_or_expired(client, db, customer, confirmed_order):
    invoice = invoices_of(db, confirmed_order(customer))[0]
    assert "Сплатити 300,00" in client.get(f"/pay/{invoice.pay_token}").get_data(as_text=True).replace("\xa0", " ")
    assert client.get("/pay/not-a-real-token").status_code == 404
    backdate(db, invoice, 200)
    db.commit()
    assert "Посилання застаріло" in client.get(f"/pay/{invoice.pay_token}").get_data(as_text=True)
    assert client.post(f"/pay/{invoice.pay_token}").status_code == 302  # no checkout from a dead link
    pay_by_hand(db, invoice)
    db.commit()
    assert "Рахунок оплачено" in client.get(f"/pay/{invoice.pay_token}").get_data(as_text=True)
    cancelled = invoices_of(db, confirmed_order(customer))[0]
    change_status(db, cancelled.order, states.CANCELLED, Actor.of(confirmed_order.manager))
    db.commit()
    assert "Рахунок скасовано" in client.get(f"/pay/{cancelled.pay_token}").get_data(as_text=True)
    assert client.get(f"/pay/{invoice.pay_token}.pdf").data.startswith(b"%PDF")


def test_allocation_refuses_what_it_must(ctx, db, customer, make_company, make_user, confirmed_order):
    invoice = invoices_of(db, confirmed_order(customer))[0]
    foreign = invoices_of(db, confirmed_order(make_user(make_company())))[0]
    payment = Payment(source="manual", external_id="m-x", amount=Decimal("500.00"), company_id=customer.company_id)
    db.add(payment)
    with pytest.raises(DomainError):  # not succeeded yet
        allocate(db, payment, invoice.id, Decimal("10"), "Бухгалтер")
    set_payment_status(payment, "succeeded", "Бухгалтер")
    with pytest.raises(DomainError):
        allocate(db, payment, foreign.id, Decimal("10"), "Бухгалтер")
    allocate(db, payment, invoice.id, Decimal("500.00"), "Бухгалтер")  # capped at what the invoice lacks
    assert invoice.status == "paid" and payment.unallocated == Decimal("200.00")
    with pytest.raises(DomainError):
        allocate(db, payment, invoice.id, Decimal("1"), "Бухгалтер")
    assert isinstance(invoice, Invoice)


# --- Credit holds: the real reason, what to do, released when the overdue debt is paid (#10.16) ---

def _hold(order):
    return next(h for h in reversed(order.history) if h.to_status == "on_hold")


def _limited(make_company, make_user, limit="500"):
    return make_user(make_company(payment_terms="deferred", deferral_days=10, credit_limit=Decimal(limit)))


def test_a_hold_names_every_cause_with_its_amounts(ctx, db, make_company, make_user, confirmed_order):
    user = _limited(make_company, make_user)
    backdate(db, invoices_of(db, confirmed_order(user))[0], 30)  # 300 overdue
    held = confirmed_order(user)  # and 600 against a limit of 500
    hold = _hold(held)
    assert (hold.reason_code, hold.reason_params) == (
        "credit.overdue_over_limit", {"overdue": "300.00", "limit": "500.00", "exposure": "600.00"})
    assert hold.note == ("Прострочена заборгованість 300,00\u00a0грн; перевищено кредитний ліміт 500,00\u00a0грн "
                         "(борг і замовлення: 600,00\u00a0грн)")


def test_paying_the_overdue_debt_releases_an_order_held_for_it(ctx, db, customer, confirmed_order):
    overdue = invoices_of(db, confirmed_order(customer))[0]
    backdate(db, overdue, 40)
    held = confirmed_order(customer)
    assert held.status == "on_hold" and _hold(held).reason_code == "credit.overdue"
    pay_by_hand(db, overdue, Decimal("100.00"))  # a part: still overdue
    assert held.status == "on_hold"
    pay_by_hand(db, overdue)
    assert held.status == "confirmed" and len(invoices_of(db, held)) == 1  # confirmed, so invoiced
    release = held.history[-1]
    assert (release.actor_kind, release.actor_name, release.reason_code) == ("system", "Кредитний контроль", "credit.debt_paid")
    assert "сплачено" in release.note


def test_paying_the_overdue_debt_leaves_an_order_still_over_the_limit_to_the_manager(ctx, db, make_company, make_user, confirmed_order):
    user = _limited(make_company, make_user)
    overdue = invoices_of(db, confirmed_order(user))[0]
    backdate(db, overdue, 30)
    confirmed_order(user)  # held already (overdue): 300 more against the limit
    held = confirmed_order(user)
    pay_by_hand(db, overdue)
    db.expire_all()
    # Debt 0 now, but the two held orders are 600 against 500: the manager decides.
    assert held.status == "on_hold"


def test_an_order_held_only_for_the_limit_is_never_released_by_a_payment(ctx, db, make_company, make_user, confirmed_order):
    user = _limited(make_company, make_user)
    first = invoices_of(db, confirmed_order(user))[0]
    held = confirmed_order(user)
    assert _hold(held).reason_code == "credit.over_limit"
    pay_by_hand(db, first)  # within the limit now, but the hold was the manager's to decide
    assert held.status == "on_hold"


def test_a_bank_statement_paying_the_overdue_invoice_releases_the_held_order(ctx, db, customer, confirmed_order):
    from tests.payments.test_bank_import import doc, run

    overdue = invoices_of(db, confirmed_order(customer))[0]
    backdate(db, overdue, 40)
    held = confirmed_order(customer)
    run(db, [doc("300.00", f"Оплата за рахунком № {overdue.number}", customer.company)])
    assert overdue.status == "paid" and held.status == "confirmed"
    assert held.history[-1].reason_code == "credit.debt_paid"


def test_the_order_page_says_why_it_waits_and_offers_to_pay_the_overdue(client, db, customer, confirmed_order):
    backdate(db, invoices_of(db, confirmed_order(customer))[0], 40)
    held = confirmed_order(customer)
    db.commit()
    login(client, customer.email)
    page = client.get(f"/orders/{held.id}").get_data(as_text=True).replace("\xa0", " ").replace("\u202f", " ")
    hold = page[page.index('data-test="hold"'):]
    assert "Прострочена заборгованість 300,00" in hold and "підтвердиться автоматично" in hold
    assert 'action="/invoices/pay-open"' in hold and 'value="overdue"' in hold
    answer = client.post("/invoices/pay-open", data={"scope": "overdue"})
    assert answer.status_code == 200 and "data-autosubmit" in answer.get_data(as_text=True)


def test_the_order_page_of_a_limit_hold_says_the_manager_decides(client, db, make_company, make_user, confirmed_order):
    user = _limited(make_company, make_user)
    confirmed_order(user)
    held = confirmed_order(user)
    db.commit()
    login(client, user.email)
    page = client.get(f"/orders/{held.id}").get_data(as_text=True).replace("\xa0", " ").replace("\u202f", " ")
    hold = page[page.index('data-test="hold"'):]
    assert "Перевищено кредитний ліміт 500,00" in hold and "600,00" in hold and "підтвердить менеджер" in hold
    assert "pay-overdue" not in hold


# --- Reasons in English mode (#10.21) ---

def test_hold_reasons_show_in_english_to_an_english_customer_and_staff(client, db, customer, confirmed_order, make_staff):
    backdate(db, invoices_of(db, confirmed_order(customer))[0], 40)
    held = confirmed_order(customer)
    db.commit()
    login(client, customer.email)
    client.get("/lang/en")
    page = client.get(f"/orders/{held.id}").get_data(as_text=True)
    assert "Overdue debt" in page and "Прострочена заборгованість" not in page
    staff = make_staff("manager")
    db.commit()
    login(client, staff.email, staff=True)
    client.get("/lang/en")
    for url in ("/staff/holds", f"/staff/orders/{held.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "Overdue debt" in html and "Прострочена заборгованість" not in html, url


def test_a_hold_written_before_reason_codes_shows_its_stored_sentence(client, db, customer, confirmed_order):
    backdate(db, invoices_of(db, confirmed_order(customer))[0], 40)
    held = confirmed_order(customer)
    hold = _hold(held)
    hold.reason_code, hold.reason_params, hold.note = "", None, "Прострочена заборгованість 300,00 грн"
    db.commit()
    login(client, customer.email)
    client.get("/lang/en")
    assert "Прострочена заборгованість 300,00 грн" in client.get(f"/orders/{held.id}").get_data(as_text=True)
