"""The demo data: valid identifiers, consistent money, a believable history, working logins."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import demo
from core.auth import check_password
from core.catalog.models import Category, Price, PriceType, Product, Stock, Warehouse
from core.catalog.services import availability
from core.clock import kyiv_today
from core.customers.models import Company, DeliveryPoint, User
from core.ids import edrpou_is_valid, rnokpp_is_valid
from core.money import money, vat_included
from core.orders import states
from core.orders.models import CartItem, Order, OrderLine, OrderStatusChange
from core.orders.services import Actor, line_amount, order_totals, submit_order
from core.outbox import OutboxEvent
from core.phones import normalize_phone
from core.staff.models import StaffUser
from payments.allocation import allocate, set_payment_status
from payments.bank.formats import fingerprint
from payments.bank.matching import invoice_numbers
from payments.dunning import escalates, parse_ladder, steps_reached
from payments.invoices import (
    first_invoice,
    invoices_of_order,
    issue_by_terms,
    paid_release_note,
    remainder_amount,
    remainder_due_in,
    vat_of_share,
)
from payments.models import (
    Allocation,
    BankStatement,
    CardCheckout,
    CollectionTask,
    Invoice,
    InvoiceCounter,
    InvoiceReminder,
    Payment,
)
from payments.receivables import (
    AGING_BUCKETS,
    CREDIT_TERMS,
    aging,
    balance_of,
    credit_hold,
)

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc)
TODAY = kyiv_today(NOW)
SMALL = {"products": 200, "companies": 20, "orders": 50, "seed": 7, "now": NOW}
# Enough orders and credit customers for every kind of money story to happen.
MONEY = {"products": 200, "companies": 40, "orders": 800, "seed": 3, "now": NOW}
PAST_CONFIRMED = (states.CONFIRMED, states.ASSEMBLING, states.SHIPPED, states.DELIVERED)


@pytest.fixture
def seeded(db: Session) -> demo.DemoSummary:
    return demo.seed_demo(db, **SMALL)


@pytest.fixture
def with_money(db: Session) -> demo.DemoSummary:
    return demo.seed_demo(db, **MONEY)


def has_two_places(value: Decimal) -> bool:
    return isinstance(value, Decimal) and value.as_tuple().exponent == -2


def ean13_is_valid(code: str) -> bool:
    digits = [int(c) for c in code]
    return len(code) == 13 and sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0


def test_sizes_are_as_asked(seeded: demo.DemoSummary) -> None:
    assert seeded.counts["products"] == 200
    assert seeded.counts["companies"] == 20
    assert seeded.counts["orders"] == 50
    assert seeded.counts["staff users"] == 9
    assert seeded.counts["warehouses"] == 2
    assert sum(seeded.orders_by_status.values()) == 50


def test_tax_ids_are_valid_and_unique(db: Session, seeded: Any) -> None:
    companies = db.scalars(select(Company)).all()
    kinds = Counter(company.kind for company in companies)
    assert kinds["legal"] and kinds["sole"]
    for company in companies:
        valid = edrpou_is_valid if company.kind == "legal" else rnokpp_is_valid
        assert valid(company.tax_id), company
        if company.kind == "sole":
            assert re.fullmatch(r"ФОП \S+ \S\. \S\.", company.name)
        else:
            assert re.fullmatch(r"(ТОВ|ПП) «.+»", company.name)
    assert len({company.tax_id for company in companies}) == len(companies)


def test_phones_are_e164_and_users_never_share_one(db: Session, seeded: Any) -> None:
    user_phones = list(db.scalars(select(User.phone)))
    other_phones = list(db.scalars(select(Company.phone))) + list(db.scalars(select(StaffUser.phone)))
    for phone in user_phones + other_phones:
        assert phone is not None and normalize_phone(phone) == phone and phone.startswith("+380")
    assert len(set(user_phones)) == len(user_phones)
    emails = list(db.scalars(select(User.email)))
    assert len(set(emails)) == len(emails) and all(email == email.lower() for email in emails)


def test_every_company_has_a_delivery_point_an_owner_and_a_manager(db: Session, seeded: Any) -> None:
    manager_ids = set(db.scalars(select(StaffUser.id).where(StaffUser.role == "manager")))
    assert len(manager_ids) == 5
    for company in db.scalars(select(Company)):
        assert company.delivery_points, company.name
        if company.users:
            assert 1 <= len(company.users) <= 3
            assert "owner" in {user.role for user in company.users}
            assert all(user.invited_at == user.created_at for user in company.users)
        else:  # taken on lately: a cabinet to create, no orders yet
            assert company.created_at > NOW - timedelta(days=11) and company.email and company.phone
            assert not db.scalar(select(func.count()).select_from(Order).where(Order.company_id == company.id))
        assert company.manager_id in manager_ids
        assert has_two_places(company.credit_limit)
        if company.payment_terms == "deferred":
            assert company.deferral_days in (7, 14, 30)
        if company.payment_terms == "advance":
            assert company.advance_percent in (30, 50)


def test_every_active_product_has_all_three_prices(db: Session, seeded: Any) -> None:
    price_types = {pt.code: pt.id for pt in db.scalars(select(PriceType))}
    assert set(price_types) == {"retail", "wholesale", "key"}
    prices: dict[int, dict[int, Decimal]] = {}
    for price in db.scalars(select(Price)):
        assert has_two_places(price.amount) and price.amount > 0
        prices.setdefault(price.product_id, {})[price.price_type_id] = price.amount
    for product in db.scalars(select(Product).where(Product.is_active.is_(True))):
        by_type = prices[product.id]
        retail = by_type[price_types["retail"]]
        assert by_type[price_types["wholesale"]] == money(retail * Decimal("0.85"))
        assert by_type[price_types["key"]] == money(retail * Decimal("0.78"))


def test_catalog_looks_like_a_horeca_wholesaler(db: Session, seeded: Any) -> None:
    tops = db.scalars(select(Category.name).where(Category.parent_id.is_(None))).all()
    assert {"Кава", "Чай", "Молочна продукція", "Заморожені продукти", "Бакалія", "Напої",
            "Одноразовий посуд", "Побутова хімія"} <= set(tops)
    products = db.scalars(select(Product)).all()
    assert all(re.fullmatch(r"[A-Z]{2}-\d{5}", p.sku) for p in products)
    assert len({p.sku for p in products}) == len({p.name for p in products}) == len(products)
    with_barcode = [p.barcode for p in products if p.barcode]
    assert len(with_barcode) > len(products) * 0.8
    assert all(ean13_is_valid(code) for code in with_barcode)
    assert len(set(with_barcode)) == len(with_barcode)
    assert {p.unit for p in products} <= {"шт", "уп", "кг", "л", "ящ"}
    assert {p.vat_rate for p in products} <= {Decimal("20.00"), Decimal("0.00")}
    assert all(p.search_text == p.search_text.casefold() and p.sku.casefold() in p.search_text for p in products)
    assert db.scalars(select(Warehouse.name)).all() == ["Київ, Бориспільська 9", "Львів, Городоцька 300"]


def test_stock_shows_in_stock_low_and_out(db: Session, seeded: Any) -> None:
    totals = dict(db.execute(select(Stock.product_id, func.sum(Stock.quantity)).group_by(Stock.product_id)).all())
    shown = Counter(
        availability(Decimal(totals[p.id]), p.pack_multiple, 5)
        for p in db.scalars(select(Product).where(Product.is_active.is_(True)))
    )
    assert shown["in_stock"] and shown["low"] and shown["out"]
    assert db.scalar(select(func.count()).select_from(Stock)) == 2 * 200


def test_order_totals_are_the_sum_of_their_lines(db: Session, seeded: Any) -> None:
    for order in db.scalars(select(Order)):
        price_type_id = order.company.price_type_id
        company_prices = dict(
            db.execute(select(Price.product_id, Price.amount).where(Price.price_type_id == price_type_id)).all()
        )
        assert 3 <= len(order.lines) <= 25
        for line in order.lines:
            product = db.get(Product, line.product_id)
            assert line.price == company_prices[line.product_id]
            assert line.amount == money(line.price * line.quantity)
            assert line.quantity % product.pack_multiple == 0
            assert has_two_places(line.amount) and has_two_places(line.price)
        assert order.total == sum(line.amount for line in order.lines)
        assert order.vat_total == sum(vat_included(line.amount, line.vat_rate) for line in order.lines)
        assert has_two_places(order.total) and has_two_places(order.vat_total)


def test_totals_agree_with_submit_order(db: Session, seeded: Any, ctx: Any) -> None:
    for order in db.scalars(select(Order).order_by(Order.id).limit(5)):
        buyer = db.scalars(select(User).where(User.company_id == order.company_id, User.role == "owner")).first()
        again = submit_order(
            db,
            order.company,
            [(line.product_id, line.quantity) for line in order.lines],
            actor=Actor.of(buyer),
            idempotency_key=f"again-{order.id}",
            delivery_point_id=order.delivery_point_id,
        ).order
        assert (again.total, again.vat_total) == (order.total, order.vat_total)


def test_history_follows_the_state_machine_and_the_clock(db: Session, seeded: Any) -> None:
    for order in db.scalars(select(Order)):
        history = order.history
        assert history[0].from_status is None and history[0].to_status == states.SUBMITTED
        assert history[0].at == order.created_at
        for previous, change in zip([None, *history], history):
            if previous is not None and change.from_status == change.to_status:
                # release_for_shipment: the payment terms are met, the status stays.
                assert (change.actor_kind, change.actor_name, change.department) == ("system", "Фінанси", "accounting")
                assert change.to_status == previous.to_status
            else:
                states.check_transition(previous.to_status if previous else None, change.to_status, change.actor_kind)
            assert change.from_status == (previous.to_status if previous else None)
            assert previous is None or previous.at <= change.at
        assert history[-1].to_status == order.status
        assert history[-1].at == order.updated_at <= NOW
        if order.channel == "portal":
            assert order.created_by_user_id is not None and order.created_by_user.can_order
        else:
            assert order.created_by_staff_id == order.company.manager_id


def test_old_orders_are_done_and_recent_ones_still_open(db: Session) -> None:
    summary = demo.seed_demo(db, products=200, companies=20, orders=600, seed=3, now=NOW)
    assert summary.orders_by_status[states.DELIVERED] > 500
    assert summary.orders_by_status.get(states.CANCELLED, 0) > 0
    assert sum(summary.orders_by_status.get(status, 0) for status in states.OPEN_STATUSES) > 0
    month_ago = datetime(2026, 10, 20, tzinfo=timezone.utc)
    old_statuses = set(db.scalars(select(Order.status).where(Order.created_at < month_ago)))
    assert old_statuses <= {states.DELIVERED, states.CANCELLED}
    assert db.scalar(select(func.min(Order.created_at))) >= datetime(2026, 5, 23, tzinfo=timezone.utc)
    assert db.scalar(select(func.count()).select_from(OrderStatusChange)) > 600 * 4


def test_history_replays_nothing(db: Session, seeded: Any) -> None:
    # Six months of orders must not send six months of SMS and 1C pushes on the first relay sweep.
    assert db.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status != "done")) == 0


def test_demo_logins_work_with_the_demo_password(db: Session, seeded: Any) -> None:
    buyer = db.scalar(select(User).where(User.email == "buyer@cafe.demo"))
    assert buyer.phone == "+380671234567" and buyer.role == "owner"
    assert check_password(buyer.password_hash, demo.DEMO_PASSWORD)
    cafe = buyer.company
    assert cafe.name == "ТОВ «Кафе Демо»" and cafe.kind == "legal"
    assert cafe.price_type.code == "wholesale"
    assert (cafe.payment_terms, cafe.deferral_days) == ("deferred", 14)
    assert len(cafe.delivery_points) == 2
    assert db.scalar(select(func.count()).select_from(CartItem).where(CartItem.user_id == buyer.id)) > 0

    fop_owner = db.scalar(select(User).where(User.email == "owner@fop.demo"))
    assert fop_owner.company.kind == "sole" and fop_owner.company.price_type.code == "retail"
    assert fop_owner.company_id != cafe.id

    admin = db.scalar(select(StaffUser).where(StaffUser.email == "admin@distributor.demo"))
    assert admin.role == "admin" and admin.password_hash == buyer.password_hash


def test_the_same_seed_gives_the_same_data(db: Session) -> None:
    def snapshot() -> tuple:
        # By natural keys: on PostgreSQL the first run's ids depend on earlier tests' sequences.
        return (
            db.execute(select(Product.sku, Product.name, Product.barcode).order_by(Product.sku)).all(),
            db.execute(
                select(Product.sku, PriceType.code, Price.amount)
                .join(Product, Product.id == Price.product_id)
                .join(PriceType, PriceType.id == Price.price_type_id)
                .order_by(Product.sku, PriceType.code)
            ).all(),
            db.execute(select(Company.tax_id, Company.name).order_by(Company.tax_id)).all(),
            db.execute(select(User.email, User.phone).order_by(User.email)).all(),
            db.execute(
                select(Order.idempotency_key, Company.tax_id, Order.total, Order.status, Order.created_at)
                .join(Order.company).order_by(Order.idempotency_key)
            ).all(),
            db.execute(
                select(Order.idempotency_key, OrderLine.sku, OrderLine.quantity).join(OrderLine.order)
                .order_by(Order.idempotency_key, OrderLine.sku)
            ).all(),
        )

    demo.seed_demo(db, **SMALL)
    first = snapshot()
    money_first = money_snapshot(db)
    demo.clear_database(db)
    assert not any(demo.existing_data(db).values())
    demo.seed_demo(db, **SMALL)
    assert snapshot() == first
    assert money_snapshot(db) == money_first


def money_snapshot(db: Session) -> tuple:
    return (
        db.execute(
            select(Invoice.year, Invoice.seq, Order.idempotency_key, Invoice.kind, Invoice.status, Invoice.amount,
                   Invoice.paid_amount, Invoice.issued_on, Invoice.due_on)
            .join(Invoice.order).order_by(Invoice.year, Invoice.seq)
        ).all(),
        db.execute(
            select(Payment.source, Payment.external_id, Payment.amount, Payment.paid_on, Payment.needs_review)
            .order_by(Payment.source, Payment.external_id)
        ).all(),
    )


def test_seed_demo_command_refuses_a_database_with_data(app: Any, db: Session) -> None:
    runner = app.test_cli_runner()
    small = ["--products", "120", "--companies", "6", "--orders", "15"]
    result = runner.invoke(args=["seed-demo", *small])
    assert result.exit_code == 0, result.output
    assert "buyer@cafe.demo" in result.output and demo.DEMO_PASSWORD in result.output

    refused = runner.invoke(args=["seed-demo", *small])
    assert refused.exit_code == 1 and "--reset" in refused.output
    skipped = runner.invoke(args=["seed-demo", "--if-empty", *small])
    assert skipped.exit_code == 0 and "no demo data added" in skipped.output

    replaced = runner.invoke(args=["seed-demo", "--reset", "--products", "150", "--companies", "4", "--orders", "5"])
    assert replaced.exit_code == 0, replaced.output
    assert db.scalar(select(func.count()).select_from(Product)) == 150
    assert db.scalar(select(func.min(Product.id))) == 1  # ids start over after a reset


def test_create_staff_command(app: Any, db: Session) -> None:
    runner = app.test_cli_runner()
    args = ["create-staff", "--email", "Olha@Distributor.ua", "--name", "Ольга Мороз", "--role", "lawyer"]
    result = runner.invoke(args=args, input="long-enough-1\nlong-enough-1\n")
    assert result.exit_code == 0, result.output
    staff = db.scalar(select(StaffUser).where(StaffUser.email == "olha@distributor.ua"))
    assert staff.role == "lawyer" and check_password(staff.password_hash, "long-enough-1")

    again = runner.invoke(args=args, input="long-enough-1\nlong-enough-1\n")
    assert again.exit_code == 1 and "already exists" in again.output
    short = runner.invoke(
        args=["create-staff", "--email", "x@distributor.ua", "--name", "X", "--role", "admin"], input="short\nshort\n"
    )
    assert short.exit_code == 1 and "8" in short.output


def test_create_customer_user_command(app: Any, db: Session, make_company: Any) -> None:
    company = make_company()
    runner = app.test_cli_runner()
    base = ["create-customer-user", "--company-tax-id", company.tax_id, "--name", "Тарас Бойко", "--role", "buyer"]
    result = runner.invoke(args=[*base, "--phone", "067 555 12 34"])
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.phone == "+380675551234"))
    assert user.company_id == company.id and user.password_hash is None

    bad_phone = runner.invoke(args=[*base, "--phone", "12345"])
    assert bad_phone.exit_code == 1 and "Невірний номер телефону" in bad_phone.output
    taken = runner.invoke(args=[*base, "--phone", "+380675551234"])
    assert taken.exit_code == 1 and "телефоном вже є" in taken.output
    unknown = runner.invoke(args=["create-customer-user", "--company-tax-id", "00000000", "--name", "X",
                                  "--role", "buyer", "--email", "x@x.ua"])
    assert unknown.exit_code == 1 and "no company" in unknown.output
    assert db.scalar(select(func.count()).select_from(DeliveryPoint).where(DeliveryPoint.company_id == company.id)) == 1


# --- the money side ---------------------------------------------------------------------


def test_invoice_numbers_run_without_gaps_per_year(db: Session, with_money: demo.DemoSummary) -> None:
    by_year: dict[int, list[int]] = defaultdict(list)
    for year, seq in db.execute(select(Invoice.year, Invoice.seq).order_by(Invoice.year, Invoice.seq)):
        by_year[year].append(seq)
    assert by_year, "no invoices"
    counters = dict(db.execute(select(InvoiceCounter.year, InvoiceCounter.last_seq)).tuples().all())
    assert counters == {year: len(seqs) for year, seqs in by_year.items()}
    for year, seqs in by_year.items():
        assert seqs == list(range(1, len(seqs) + 1)), year
    # Numbered in the order of issue, as the counter hands them out.
    issued = db.execute(select(Invoice.issued_on, Invoice.created_at).order_by(Invoice.year, Invoice.seq)).all()
    assert [row.created_at for row in issued] == sorted(row.created_at for row in issued)
    assert all(row.issued_on.year in by_year for row in issued)
    tokens = list(db.scalars(select(Invoice.pay_token)))
    assert len(set(tokens)) == len(tokens) and all(len(token) >= 20 for token in tokens)


def test_allocations_add_up_to_what_each_invoice_was_paid(db: Session, with_money: demo.DemoSummary) -> None:
    live: dict[int, Decimal] = defaultdict(Decimal)
    allocations = select(Allocation.invoice_id, Allocation.amount).where(Allocation.reversed_at.is_(None))
    for invoice_id, amount in db.execute(allocations):
        live[invoice_id] += amount
    statuses = Counter()
    for invoice in db.scalars(select(Invoice)):
        statuses[invoice.status] += 1
        assert live.get(invoice.id, Decimal(0)) == invoice.paid_amount, invoice.number
        assert has_two_places(invoice.amount) and has_two_places(invoice.vat_amount) and invoice.amount > 0
        if invoice.status == "paid":
            assert invoice.paid_amount == invoice.amount
        elif invoice.status == "open":
            assert invoice.paid_amount < invoice.amount
        else:
            assert invoice.status == "cancelled" and invoice.paid_amount == 0
        history = invoice.history
        assert (history[0].from_status, history[0].to_status, history[0].actor_name) == (None, "open", "Система")
        assert history[-1].to_status == invoice.status and invoice.updated_at == history[-1].at
        for previous, change in zip(history, history[1:]):
            assert change.from_status == previous.to_status and previous.at <= change.at
    assert statuses["paid"] > statuses["open"] > 0 and statuses["cancelled"] > 0

    payments = db.scalars(select(Payment)).all()
    assert {p.source for p in payments} == {"liqpay", "bank"}
    for payment in payments:
        allocated = sum((a.amount for a in payment.allocations), Decimal(0))
        assert [(h.from_status, h.to_status) for h in payment.history] == [(None, payment.status)]
        assert payment.history[0].at == payment.created_at
        if payment.status == "failed":
            assert payment.source == "liqpay" and not payment.allocations and payment.provider_status == "failure"
            continue
        assert payment.status == "succeeded" and allocated <= payment.amount
        if not payment.needs_review:
            assert allocated == payment.amount, payment.purpose
        for allocation in payment.allocations:
            assert allocation.invoice.company_id == payment.company_id
            assert allocation.created_at == payment.created_at
            assert allocation.allocated_by == payment.history[0].actor_name
        if payment.source == "liqpay":
            checkout = payment.checkout
            assert checkout is not None and checkout.amount == payment.amount
            assert checkout.settled_at == payment.created_at
            assert sum(item.amount for item in checkout.items) == checkout.amount
            assert payment.history[0].actor_name == "LiqPay"
        else:
            assert payment.statement_id is not None and payment.paid_on < kyiv_today(payment.created_at)
            assert payment.external_id == fingerprint(
                payment.details["doc_number"], payment.paid_on, payment.amount, payment.details["payer_account"],
                payment.payer_tax_id, payment.purpose,
            )
            named = {f"{year}-{seq:05d}" for year, seq in invoice_numbers(payment.purpose)}
            assert {a.invoice.number for a in payment.allocations} <= named
            if payment.allocations:
                assert payment.history[0].note == "Зіставлено за номером рахунку в призначенні платежу"
    statements = db.scalars(select(BankStatement)).all()
    assert statements and sum(s.lines_new for s in statements) == sum(p.source == "bank" for p in payments)
    accountant = db.scalar(select(StaffUser.id).where(StaffUser.role == "accountant"))
    assert {s.imported_by_staff_id for s in statements} == {accountant}
    assert db.scalar(select(func.count()).select_from(CardCheckout)) == sum(p.source == "liqpay" for p in payments)


def _confirmed_at(order: Order) -> datetime | None:
    return next((h.at for h in order.history if h.to_status == states.CONFIRMED and h.from_status != h.to_status), None)


def test_invoices_follow_the_payment_terms(db: Session, with_money: demo.DemoSummary) -> None:
    seen = Counter()
    for order in db.scalars(select(Order)):
        invoices = sorted(order_invoices(db, order), key=lambda i: (i.year, i.seq))
        confirmed = _confirmed_at(order)
        company = order.company
        if confirmed is None:
            assert invoices == [] and order.released_at is None, order.number
            continue
        seen[company.payment_terms] += 1
        first = invoices[0]
        assert first.issued_on == kyiv_today(confirmed) and first.created_at == confirmed
        assert first.vat_amount == money(order.vat_total * (first.amount / order.total))
        if company.payment_terms == "advance":
            assert first.kind == "advance"
            assert first.amount == money(order.total * company.advance_percent / 100)
            assert first.due_on == first.issued_on + timedelta(days=3)
            if first.status == "paid":
                (remainder,) = invoices[1:]
                paid_at = first.history[-1].at
                assert remainder.kind == "remainder" and remainder.created_at == paid_at
                assert remainder.amount + first.amount == order.total
                assert remainder.vat_amount == money(order.vat_total * (remainder.amount / order.total))
                assert remainder.due_on == kyiv_today(paid_at) + timedelta(days=company.deferral_days or 7)
            else:
                assert len(invoices) == 1
        else:
            assert [i.kind for i in invoices] == ["full"] and first.amount == order.total
            days = company.deferral_days if company.payment_terms == "deferred" else 3
            assert first.due_on == first.issued_on + timedelta(days=days)
        if order.status == states.CANCELLED:
            assert all(i.status in ("cancelled", "paid") for i in invoices)
            assert all(i.history[-1].note == "Замовлення скасовано" for i in invoices if i.status == "cancelled")
        else:
            assert sum(i.amount for i in invoices if i.status != "cancelled") in (order.total, first.amount)
    assert seen["prepayment"] and seen["deferred"] and seen["advance"]


def order_invoices(db: Session, order: Order) -> list[Invoice]:
    return list(db.scalars(select(Invoice).where(Invoice.order_id == order.id)))


def test_orders_are_released_as_their_terms_say(db: Session, with_money: demo.DemoSummary) -> None:
    for order in db.scalars(select(Order)):
        releases = [h for h in order.history if h.from_status == h.to_status]
        assert len(releases) == (order.released_at is not None)
        confirmed = _confirmed_at(order)
        if order.status in (states.ASSEMBLING, states.SHIPPED, states.DELIVERED):
            assert order.released_at is not None, order.number
        if order.released_at is None:
            continue
        (release,) = releases
        assert release.at == order.released_at
        first = min(order_invoices(db, order), key=lambda i: (i.year, i.seq))
        if order.company.payment_terms == "deferred":
            assert order.released_at == confirmed
            assert release.note == f"Відстрочка платежу {order.company.deferral_days} дн."
        else:
            # Prepayment and advance: released when the first invoice was paid, not before.
            assert first.status == "paid" and order.released_at == first.history[-1].at
            paid = "Аванс за рахунком" if first.kind == "advance" else "Рахунок"
            assert release.note == f"{paid} № {first.number} оплачено"
        assembling = next((h.at for h in order.history if h.to_status == states.ASSEMBLING), None)
        assert assembling is None or order.released_at <= assembling


def test_sample_invoices_are_what_the_services_issue(
    app: Any, db: Session, with_money: demo.DemoSummary, ctx: Any
) -> None:
    """A copy of a seeded order, confirmed through payments.invoices, gets the same invoices."""
    samples: dict[str, int] = {}
    for order in db.scalars(select(Order).where(Order.status.in_(PAST_CONFIRMED)).order_by(Order.id)):
        terms = order.company.payment_terms
        if terms not in samples and (terms != "advance" or len(order_invoices(db, order)) == 2):
            samples[terms] = order.id
    assert set(samples) == {"prepayment", "deferred", "advance"}
    for terms, order_id in samples.items():
        db.expunge_all()  # what a rolled-back savepoint left behind must not meet the next copy
        order = db.get(Order, order_id)
        seeded = sorted(order_invoices(db, order), key=lambda i: (i.year, i.seq))
        savepoint = db.begin_nested()
        try:
            copy = Order(company_id=order.company_id, status=states.CONFIRMED, channel="portal",
                         idempotency_key=f"copy-{order.id}", total=order.total, vat_total=order.vat_total, history=[])
            db.add(copy)
            db.flush()
            issue_by_terms(db, copy)
            issued = invoices_of_order(db, copy.id)
            if terms == "advance":  # the remainder comes once the advance is paid
                payment = Payment(source="manual", external_id=f"copy-{order.id}", amount=issued[0].amount)
                db.add(payment)
                set_payment_status(payment, "succeeded", "Тест")
                db.flush()
                allocate(db, payment, issued[0].id, issued[0].amount, "Тест")
                issued = invoices_of_order(db, copy.id)
            assert [(i.kind, i.amount, i.vat_amount, (i.due_on - i.issued_on).days) for i in issued] == [
                (i.kind, i.amount, i.vat_amount, (i.due_on - i.issued_on).days) for i in seeded
            ], (terms, order.number)
        finally:
            savepoint.rollback()


def test_credit_holds_read_as_the_service_writes_them(db: Session, with_money: demo.DemoSummary) -> None:
    holds = db.scalars(select(OrderStatusChange).where(OrderStatusChange.to_status == states.ON_HOLD)).all()
    assert holds
    for hold in holds:
        assert (hold.from_status, hold.actor_kind, hold.actor_name, hold.department) == (
            states.SUBMITTED, "system", "Кредитний контроль", "accounting"
        )
        amount = r"\d{1,3}(?:\u00a0\d{3})*,\d\d\u00a0грн"  # 12 345,60 грн, as every page writes money
        limit = rf"еревищено кредитний ліміт {amount} \(борг і замовлення: {amount}\)"
        assert re.fullmatch(rf"Прострочена заборгованість {amount}(; п{limit})?|П{limit}", hold.note), hold.note
        assert hold.reason_code.startswith("credit.") and hold.reason_params
        order = hold.order
        decision = next((h for h in order.history if h.from_status == states.ON_HOLD), None)
        if decision is None:
            assert order.status == states.ON_HOLD
            continue
        assert decision.actor_kind == "staff" and decision.note
        assert decision.to_status in (states.CONFIRMED, states.CANCELLED)
        if decision.to_status == states.CONFIRMED and order.total > Decimal("50000.00"):
            assert decision.actor_name == "Наталія Савченко"  # the head of sales


def test_every_order_met_the_credit_check_of_its_moment(db: Session, with_money: demo.DemoSummary) -> None:
    """Replayed from the rows: an order is on hold exactly when the company's balance at its
    submit breached payments.receivables.credit_hold, with that very reason."""
    held = 0
    for company in db.scalars(select(Company)):
        orders = db.scalars(select(Order).where(Order.company_id == company.id).order_by(Order.created_at)).all()
        invoices = db.scalars(select(Invoice).where(Invoice.company_id == company.id)).all()
        paid = {
            i.id: [(a.created_at, a.amount) for a in db.scalars(select(Allocation).where(Allocation.invoice_id == i.id))]
            for i in invoices
        }
        cancelled = {i.id: next((h.at for h in i.history if h.to_status == "cancelled"), None) for i in invoices}
        # The first time each status was reached (release rows keep the status: not a move).
        moves = {
            o.id: {h.to_status: h.at for h in reversed(o.history) if h.from_status != h.to_status} for o in orders
        }
        for order in orders:
            moment, today = order.created_at, kyiv_today(order.created_at)
            uninvoiced = debt = overdue = Decimal("0.00")
            for other in orders:
                confirmed, gone = moves[other.id].get(states.CONFIRMED), moves[other.id].get(states.CANCELLED)
                if other.created_at > moment or (gone is not None and gone <= moment):
                    continue
                if confirmed is None or confirmed > moment:
                    uninvoiced += other.total
            for invoice in invoices:
                if invoice.created_at > moment or (cancelled[invoice.id] and cancelled[invoice.id] <= moment):
                    continue
                left = invoice.amount - sum((amount for at, amount in paid[invoice.id] if at <= moment), Decimal(0))
                debt += left
                overdue += left if invoice.due_on < today else 0
            reason = credit_hold(balance_of(company, debt, overdue, uninvoiced))
            hold = next((h for h in order.history if h.to_status == states.ON_HOLD), None)
            assert (hold.note if hold else None) == (reason.text if reason else None), (company.name, order.number)
            held += hold is not None
    assert held


def test_the_exceptions_queue_and_the_aging_buckets_are_not_empty(db: Session, with_money: demo.DemoSummary) -> None:
    queue = db.scalars(select(Payment).where(Payment.needs_review.is_(True))).all()
    assert len(queue) >= 4
    assert all(p.source == "bank" and p.status == "succeeded" and p.review_reason for p in queue)
    reasons = " | ".join(p.review_reason for p in queue)
    assert "немає серед контрагентів" in reasons and "ЄДРПОУ платника не вказано" in reasons
    known = {tax_id for tax_id in db.scalars(select(Company.tax_id))}
    assert any(p.payer_tax_id in known for p in queue) and any(p.payer_tax_id not in known for p in queue)

    totals = [Decimal(0)] * len(AGING_BUCKETS)
    for company_id in db.scalars(select(Company.id)):
        for index, (_, amount) in enumerate(aging(db, company_id, TODAY)):
            totals[index] += amount
    assert all(total > 0 for total in totals), totals


def test_the_reminder_ladder_finds_nothing_old_to_send(db: Session, with_money: demo.DemoSummary, ctx: Any) -> None:
    from payments.dunning import run_ladder

    assert db.scalar(select(func.count()).select_from(CollectionTask)) > 0
    assert run_ladder(db, TODAY) == {"reminders": 0, "skipped": 0, "escalations": 0}


def test_the_demo_customers_see_open_overdue_and_paid_invoices(db: Session, with_money: demo.DemoSummary) -> None:
    for login, overdue_wanted in ((demo.CAFE_DEMO, True), (demo.FOP_DEMO, False)):
        user = db.scalar(select(User).where(User.email == login.email))
        invoices = db.scalars(select(Invoice).where(Invoice.company_id == user.company_id)).all()
        statuses = Counter(i.status for i in invoices)
        assert statuses["open"] and statuses["paid"], (login.email, statuses)
        if overdue_wanted:
            overdue = [i for i in invoices if i.status == "open" and i.due_on < TODAY]
            # The pay link of an overdue invoice still works (portal.views_invoices.PAY_LINK_DAYS).
            assert any((TODAY - i.issued_on).days < 120 for i in overdue), login.email


def test_a_few_new_customers_wait_for_their_cabinet(db: Session) -> None:
    demo.seed_demo(db, products=120, companies=50, orders=30, seed=5, now=NOW)
    waiting = db.scalars(select(Company).where(~select(User.id).where(User.company_id == Company.id).exists())).all()
    assert len(waiting) == 50 // demo.seed.AWAITING_CABINET_EVERY
    assert all(company.email and company.phone for company in waiting)


def test_the_history_is_what_the_products_own_rules_make(app: Any, db: Session, with_money: demo.DemoSummary) -> None:
    """Each order, invoice and reminder of the demo against the product's rule for it, so
    a rule changed in the product and not in the demo (or the other way round) fails here."""
    config = app.config
    for order in db.scalars(select(Order)):
        assert all(line.amount == line_amount(line.price, line.quantity) for line in order.lines), order.number
        assert (order.total, order.vat_total) == order_totals((line.amount, line.vat_rate) for line in order.lines)
        invoices = sorted(order_invoices(db, order), key=lambda i: (i.year, i.seq))
        if not invoices:
            continue
        company, first = order.company, invoices[0]
        rule = first_invoice(company, order.total, first.issued_on, config["PREPAYMENT_DUE_DAYS"])
        assert (first.kind, first.amount, first.due_on) == (rule.kind, money(rule.amount), rule.due_on), order.number
        for invoice in invoices:
            assert invoice.vat_amount == vat_of_share(invoice.amount, order.total, order.vat_total), invoice.number
        release = next((h for h in order.history if h.from_status == h.to_status), None)
        if rule.release_note is not None:
            assert release is not None and release.note == rule.release_note, order.number
        elif first.status == "paid" and release is not None:
            assert release.note == paid_release_note(first.kind, first.number), order.number
        if len(invoices) == 2:
            remainder, paid_at = invoices[1], first.history[-1].at
            assert remainder.amount == remainder_amount(order.total, [first]), order.number
            assert remainder.due_on == kyiv_today(paid_at) + remainder_due_in(company, config["REMAINDER_DUE_DAYS"])

    steps = parse_ladder(config["DUNNING_LADDER"])
    reminded: dict[int, list[int]] = defaultdict(list)
    for invoice_id, step in db.execute(select(InvoiceReminder.invoice_id, InvoiceReminder.offset_days)):
        reminded[invoice_id].append(step)
    escalated = set(db.scalars(select(CollectionTask.invoice_id)))
    owing = db.scalars(select(Invoice).where(Invoice.status == "open", Invoice.paid_amount < Invoice.amount)).all()
    for invoice in owing:
        assert sorted(reminded.pop(invoice.id, [])) == steps_reached(steps, invoice.due_on, TODAY), invoice.number
        assert (invoice.id in escalated) == escalates(steps, invoice.due_on, TODAY), invoice.number
    assert not reminded, "reminders of invoices that owe nothing"
    assert escalated and len(owing) > len(escalated)


def test_without_payments_the_history_has_no_money_and_nothing_is_released(db: Session) -> None:
    summary = demo.seed_demo(db, **SMALL, steps=())
    assert summary.counts["orders"] == SMALL["orders"] and "invoices" not in summary.counts
    assert db.scalar(select(func.count()).select_from(Invoice)) == 0
    statuses = Counter(db.scalars(select(Order.status)))
    # Only payments releases an order for assembly (core.orders.services.change_status).
    assert statuses[states.CONFIRMED] and set(statuses) <= {states.SUBMITTED, states.CONFIRMED, states.CANCELLED}
    assert db.scalar(select(func.count()).select_from(Order).where(Order.released_at.is_not(None))) == 0
    assert demo.seed.demo_steps() == ["payments.demo:money_side"]
