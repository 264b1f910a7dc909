"""A customer not yet in Vchasno: invited once with the discount, asked after until it
registers, then its contract goes out and its next order (only that one) is discounted."""
from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from core.clock import utcnow
from core.customers.models import Company, User
from core.orders.models import Order
from core.orders.services import Actor, submit_order
from edo.models import Contract, RegistrationIncentive
from edo.registration import check_invited
from edo.sending import WAITING_REGISTRATION
from edo.vchasno import from_config
from notify.models import Message
from tests.edo.conftest import approve, documents, events, fail_next, register, relay


@pytest.fixture
def newcomer(make_company: Callable[..., Company], make_user: Callable[..., User], make_staff: Callable[..., Any],
             edo: Flask) -> User:
    """The owner of a customer Vchasno does not know."""
    company = make_company(email="office@newcomer.ua", phone="+380671112233", manager_id=make_staff("manager").id)
    return make_user(company, role="owner")


def check(edo: Flask, db: Any, batch: int = 100) -> int:
    provider = from_config(edo.config)
    try:
        return check_invited(db, provider, batch)
    finally:
        provider.close()
        db.expire_all()


def order(db: Any, user: User, products: list[Any], quantities: tuple[str, ...] = ("3", "2")) -> Order:
    items = [(product.id, Decimal(quantity)) for product, quantity in zip(products, quantities)]
    return submit_order(db, user.company, items, actor=Actor.of(user), idempotency_key=f"k{time.monotonic_ns()}",
                        delivery_point_id=user.company.delivery_points[0].id).order


def incentive_of(db: Any, company: Company) -> RegistrationIncentive | None:
    return db.scalar(select(RegistrationIncentive).where(RegistrationIncentive.company_id == company.id))


def test_an_unregistered_customer_is_invited_once_then_sent_the_contract_and_discounted_once(
    edo: Flask, db: Any, vchasno_emulator: str, newcomer: User, make_contract: Callable[..., Contract],
    make_product: Callable[..., Any],
) -> None:
    company = newcomer.company
    first, second = make_contract(company), make_contract(company)
    approve(db, first)
    approve(db, second)
    relay(db)
    assert documents(vchasno_emulator) == []
    for contract in (first, second):
        assert (contract.status, contract.last_error) == ("approved", WAITING_REGISTRATION)
    incentive = incentive_of(db, company)
    assert (incentive.percent, incentive.registered_at, incentive.used_order_id) == (Decimal("5"), None, None)
    [invited] = events(db, "contract.registration_invited")  # once, however many contracts wait
    assert invited.payload["percent"] == "5"
    invitations = list(db.scalars(select(Message).where(Message.template == "vchasno_invitation")))
    assert {m.channel for m in invitations} == {"sms", "email"}
    assert all("5%" in m.body for m in invitations)

    products = [make_product(prices={"wholesale": "100.00"}), make_product(prices={"wholesale": "33.33"})]
    before = order(db, newcomer, products)
    assert before.discount_amount == Decimal("0.00")  # invited is not registered yet
    db.commit()

    assert check(edo, db) == 0  # still not registered
    assert incentive.checked_at is not None
    register(vchasno_emulator, company.tax_id)
    assert check(edo, db) == 1
    assert company.vchasno_registered and incentive.registered_at is not None
    relay(db)
    assert (first.status, second.status) == ("sent", "sent") and first.last_error == ""
    assert len(documents(vchasno_emulator)) == 2

    discounted = order(db, newcomer, products)
    goods = Decimal("300.00") + Decimal("66.66")
    assert discounted.discount_amount == Decimal("18.33")  # 5 % of 366.66, to the kopeck
    assert discounted.total == goods - Decimal("18.33")
    assert discounted.vat_total < Decimal("61.11")  # the VAT in what is paid, not in the goods
    assert (incentive.used_order_id, incentive.used_at is not None) == (discounted.id, True)
    after = order(db, newcomer, products)
    assert (after.discount_amount, after.total) == (Decimal("0.00"), goods)
    assert check(edo, db) == 0  # nobody is waiting any more


def test_a_zero_percent_still_invites_but_gives_no_discount(
    edo: Flask, db: Any, vchasno_emulator: str, newcomer: User, make_contract: Callable[..., Contract],
    make_product: Callable[..., Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(edo.config, "EDO_REGISTRATION_DISCOUNT_PERCENT", "0")
    approve(db, make_contract(newcomer.company))
    relay(db)
    assert incentive_of(db, newcomer.company).percent == Decimal("0")
    email = db.scalar(select(Message).where(Message.template == "vchasno_invitation", Message.channel == "email"))
    assert "%" not in email.body
    register(vchasno_emulator, newcomer.company.tax_id)
    assert check(edo, db) == 1
    placed = order(db, newcomer, [make_product(prices={"wholesale": "100.00"})], ("1",))
    assert placed.discount_amount == Decimal("0.00") and incentive_of(db, newcomer.company).used_order_id is None


def test_a_registration_seen_at_the_upload_earns_the_discount_too(
    edo: Flask, db: Any, vchasno_emulator: str, newcomer: User, make_contract: Callable[..., Contract],
    make_product: Callable[..., Any],
) -> None:
    first = make_contract(newcomer.company)
    approve(db, first)
    relay(db)
    register(vchasno_emulator, newcomer.company.tax_id)
    # Another contract approved before the check ran: its upload sees the registration.
    second = make_contract(newcomer.company)
    approve(db, second)
    relay(db)
    assert second.status == "sent" and incentive_of(db, newcomer.company).registered_at is not None
    placed = order(db, newcomer, [make_product(prices={"wholesale": "100.00"})], ("2",))
    assert placed.discount_amount == Decimal("10.00") and placed.total == Decimal("190.00")


def test_two_orders_in_one_breath_share_one_discount(
    edo: Flask, db: Any, newcomer: User, make_product: Callable[..., Any],
) -> None:
    db.add(RegistrationIncentive(company_id=newcomer.company_id, percent=Decimal("5"), registered_at=utcnow()))
    db.flush()
    product = make_product(prices={"wholesale": "100.00"})
    first, second = order(db, newcomer, [product], ("1",)), order(db, newcomer, [product], ("1",))
    assert [first.discount_amount, second.discount_amount] == [Decimal("5.00"), Decimal("0.00")]


def test_an_order_too_small_for_a_kopeck_of_discount_leaves_it_to_the_next(
    edo: Flask, db: Any, newcomer: User, make_product: Callable[..., Any],
) -> None:
    """5 % of 0.09 is less than half a kopeck: nothing is taken off, so nothing is used up."""
    db.add(RegistrationIncentive(company_id=newcomer.company_id, percent=Decimal("5"), registered_at=utcnow()))
    db.flush()
    tiny = order(db, newcomer, [make_product(prices={"wholesale": "0.09"})], ("1",))
    assert (tiny.discount_amount, tiny.discounts) == (Decimal("0.00"), [])
    assert incentive_of(db, newcomer.company).used_order_id is None
    assert order(db, newcomer, [make_product(prices={"wholesale": "100.00"})], ("1",)).discount_amount == Decimal("5.00")


def test_orders_of_another_company_and_from_1c_get_no_discount(
    edo: Flask, db: Any, newcomer: User, customer: User, make_product: Callable[..., Any],
) -> None:
    db.add(RegistrationIncentive(company_id=newcomer.company_id, percent=Decimal("5"), registered_at=utcnow()))
    db.flush()
    product = make_product(prices={"wholesale": "100.00"})
    assert order(db, customer, [product], ("1",)).discount_amount == Decimal("0.00")
    from_1c = submit_order(db, newcomer.company, [(product.id, Decimal("1"))], actor=Actor.of(newcomer),
                           idempotency_key="from-1c", delivery_point_id=newcomer.company.delivery_points[0].id,
                           channel="1c").order
    assert from_1c.discount_amount == Decimal("0.00")
    assert order(db, newcomer, [product], ("1",)).discount_amount == Decimal("5.00")


def test_a_failed_question_leaves_the_company_for_the_next_round(
    edo: Flask, db: Any, vchasno_emulator: str, newcomer: User, make_contract: Callable[..., Contract],
) -> None:
    approve(db, make_contract(newcomer.company))
    relay(db)
    register(vchasno_emulator, newcomer.company.tax_id)
    fail_next(vchasno_emulator, "server_error")
    assert check(edo, db) == 0
    assert incentive_of(db, newcomer.company).checked_at is None
    assert check(edo, db) == 1


@pytest.mark.parametrize(("percent", "poll", "problems"), [
    ("5", 300, 0), ("0", 10, 0), ("12.5", 300, 0), ("100", 300, 1), ("-1", 300, 1), ("п'ять", 300, 1), ("NaN", 300, 1), ("5", 5, 1),
])
def test_the_discount_and_the_poll_interval_are_checked_at_start(percent: str, poll: int, problems: int) -> None:
    from edo.settings import EdoSettings, check_edo_settings

    defaults = {name: getattr(EdoSettings, name) for name in dir(EdoSettings) if name.isupper()}
    found = check_edo_settings(defaults | {"EDO_REGISTRATION_DISCOUNT_PERCENT": percent, "EDO_POLL_SECONDS": poll})
    assert len(found) == problems, found


def test_the_customers_order_page_names_the_discount_without_a_promotion(
    app: Flask, db: Any, client: Any, make_company: Callable[..., Company], make_user: Callable[..., User],
    make_product: Callable[..., Any],
) -> None:
    from tests.conftest import login

    user = make_user(make_company(), role="owner")
    db.add(RegistrationIncentive(company_id=user.company_id, percent=Decimal("5"), registered_at=utcnow()))
    db.flush()
    with app.test_request_context():
        placed = order(db, user, [make_product(prices={"wholesale": "100.00"})], ("2",))
    db.commit()
    assert login(client, user.email).status_code == 302
    page = client.get(f"/orders/{placed.id}").get_data(as_text=True)
    assert '<p class="totals">Знижка 5 % за реєстрацію у Вчасно: −10,00\xa0грн</p>' in page
    assert "Разом: <strong>190,00\xa0грн</strong>" in page
