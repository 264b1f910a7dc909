"""The demo data: valid identifiers, consistent money, a believable history, working logins."""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import demo
from core.auth import check_password
from core.catalog.models import Category, Price, PriceType, Product, Stock, Warehouse
from core.catalog.services import availability
from core.customers.models import Company, DeliveryPoint, User
from core.ids import edrpou_is_valid, rnokpp_is_valid
from core.money import money, vat_included
from core.orders import states
from core.orders.models import CartItem, Order, OrderLine, OrderStatusChange
from core.orders.services import Actor, submit_order
from core.outbox import OutboxEvent
from core.phones import normalize_phone
from core.staff.models import StaffUser

NOW = datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc)
SMALL = {"products": 200, "companies": 20, "orders": 50, "seed": 7, "now": NOW}


@pytest.fixture
def seeded(db: Session) -> demo.DemoSummary:
    return demo.seed_demo(db, **SMALL)


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
        assert 1 <= len(company.users) <= 3
        assert "owner" in {user.role for user in company.users}
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
            states.check_transition(previous.to_status if previous else None, change.to_status, change.actor_kind)
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
    demo.clear_database(db)
    assert not any(demo.existing_data(db).values())
    demo.seed_demo(db, **SMALL)
    assert snapshot() == first


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
