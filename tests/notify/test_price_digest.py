"""Price changes become one digest per company that bought the changed products lately,
at the company's own price type, after the changes have settled."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import func, select, update

from core.catalog.models import PriceChange, Product
from core.catalog.services import set_product_prices
from core.orders.models import Order, OrderLine
from core.outbox import OutboxEvent
from notify.models import CompanyNotifySettings, Message
from notify.planning import plan_messages
from notify.price_digest import price_digest_job, raise_digests

SETTLE = timedelta(minutes=31)


@pytest.fixture
def priced(make_product: Any) -> Any:
    """Products priced 120 retail / 100 wholesale / 90 key."""

    def make(name: str) -> Any:
        return make_product(name, prices={"retail": "120.00", "wholesale": "100.00", "key": "90.00"})

    return make


@pytest.fixture
def bought(db: Any) -> Any:
    """An order of `company` with one line per product, as it would be in the database."""

    def make(company: Any, *products: Any, days_ago: float = 1, status: str = "confirmed") -> Order:
        order = Order(company_id=company.id, status=status, channel="portal", idempotency_key=uuid4().hex,
                      total=Decimal("100.00"), vat_total=Decimal("16.67"),
                      created_at=datetime.now(timezone.utc) - timedelta(days=days_ago))
        db.add(order)
        db.flush()
        for product in products:
            db.add(OrderLine(order_id=order.id, product_id=product.id, sku=product.sku, name=product.name, unit="шт",
                             quantity=Decimal("1"), price=Decimal("100.00"), vat_rate=Decimal("20.00"),
                             amount=Decimal("100.00")))
        db.flush()
        return order

    return make


def change(db: Any, price_types: Any, product: Any, **amounts: str) -> None:
    set_product_prices(db, product, {price_types[code].id: Decimal(amount) for code, amount in amounts.items()})


def latest_change(db: Any) -> datetime:
    return db.scalar(select(func.max(PriceChange.changed_at)))


def digests(db: Any) -> dict[int, list[tuple[str, Decimal, Decimal]]]:
    """company id -> its lines (name, old, new), from the events raised."""
    found: dict[int, list[tuple[str, Decimal, Decimal]]] = {}
    for raised in db.scalars(select(OutboxEvent).where(OutboxEvent.topic == "prices.changed").order_by(OutboxEvent.id)):
        assert raised.payload["company_id"] not in found, "one digest per company"
        found[raised.payload["company_id"]] = [
            (line["name"], Decimal(line["old"]), Decimal(line["new"])) for line in raised.payload["lines"]]
    return found


def settled_run(db: Any, app: Any) -> int:
    with app.app_context():
        count = raise_digests(db, now=latest_change(db) + SETTLE)
    db.flush()
    return count


def test_a_buyer_gets_one_digest_of_the_products_it_bought_at_its_own_price_type(
        app, db, make_company, priced, bought, price_types):
    coffee, cream, sugar, tea = priced("Кава"), priced("Вершки"), priced("Цукор"), priced("Чай")
    a = make_company(price_type="wholesale")
    b = make_company(price_type="wholesale")  # never bought anything
    keyed = make_company(price_type="key")  # bought coffee, but its price did not move
    retail = make_company(price_type="retail")
    bought(a, coffee, sugar)
    bought(a, cream)
    bought(keyed, coffee)
    bought(retail, coffee, cream)

    change(db, price_types, coffee, wholesale="110.00", retail="125.00", key="90.00")
    change(db, price_types, cream, wholesale="95.50")
    change(db, price_types, tea, wholesale="1.00", retail="1.00", key="1.00")  # nobody bought tea

    assert settled_run(db, app) == 2
    assert digests(db) == {
        a.id: [("Вершки", Decimal("100.00"), Decimal("95.50")), ("Кава", Decimal("100.00"), Decimal("110.00"))],
        retail.id: [("Кава", Decimal("120.00"), Decimal("125.00"))],
    }
    assert b.id not in digests(db) and keyed.id not in digests(db)
    payload = db.scalar(select(OutboxEvent.payload).where(OutboxEvent.topic == "prices.changed"))
    assert {line["sku"] for line in payload["lines"]} == {coffee.sku, cream.sku}


def test_a_change_waits_until_it_settles_and_is_digested_once(app, db, make_company, priced, bought, price_types):
    coffee = priced("Кава")
    a = make_company()
    bought(a, coffee)
    change(db, price_types, coffee, wholesale="105.00")
    changed_at = latest_change(db)
    assert app.config["PRICE_DIGEST_SETTLE_MINUTES"] == 30

    with app.app_context():
        assert raise_digests(db, now=changed_at + timedelta(minutes=1)) == 0
        assert raise_digests(db, now=changed_at + timedelta(minutes=29)) == 0
        assert digests(db) == {}
        assert db.scalar(select(func.count()).select_from(PriceChange).where(PriceChange.digested_at.is_(None))) == 1

        assert raise_digests(db, now=changed_at + SETTLE) == 1
        db.flush()
        assert digests(db) == {a.id: [("Кава", Decimal("100.00"), Decimal("105.00"))]}
        assert db.scalar(select(PriceChange.digested_at)) == changed_at + SETTLE

        # Again, and later: nothing is digested twice.
        assert raise_digests(db, now=changed_at + SETTLE) == 0
        assert raise_digests(db, now=changed_at + timedelta(days=1)) == 0
    assert len(digests(db)) == 1
    assert db.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == "prices.changed")) == 1


def test_several_changes_of_one_price_are_one_line_from_the_first_to_the_last(
        app, db, make_company, priced, bought, price_types):
    coffee = priced("Кава")
    a = make_company()
    bought(a, coffee)
    for amount in ("101.00", "102.00", "108.00"):
        change(db, price_types, coffee, wholesale=amount)
    assert settled_run(db, app) == 1
    assert digests(db) == {a.id: [("Кава", Decimal("100.00"), Decimal("108.00"))]}


def test_a_price_moved_and_moved_back_says_nothing(app, db, make_company, priced, bought, price_types):
    coffee, cream = priced("Кава"), priced("Вершки")
    a = make_company()
    bought(a, coffee, cream)
    change(db, price_types, coffee, wholesale="110.00")
    change(db, price_types, coffee, wholesale="100.00")
    change(db, price_types, cream, wholesale="80.00")
    assert settled_run(db, app) == 1
    assert digests(db) == {a.id: [("Вершки", Decimal("100.00"), Decimal("80.00"))]}
    # The back-and-forth is settled too: it never comes up again.
    assert db.scalar(select(func.count()).select_from(PriceChange).where(PriceChange.digested_at.is_(None))) == 0


def test_only_a_back_and_forth_gives_no_digest_at_all(app, db, make_company, priced, bought, price_types):
    coffee = priced("Кава")
    bought(make_company(), coffee)
    change(db, price_types, coffee, wholesale="110.00")
    change(db, price_types, coffee, wholesale="100.00")
    assert settled_run(db, app) == 0
    assert digests(db) == {}


def test_a_move_back_made_while_the_first_move_settles_says_nothing(
        app, db, make_company, priced, bought, price_types):
    """Moved at 18:00 and back at 18:20: a run at 18:31 must not send the first half alone."""
    coffee = priced("Кава")
    a = make_company()
    bought(a, coffee)
    change(db, price_types, coffee, wholesale="110.00")
    change(db, price_types, coffee, wholesale="100.00")
    first, second = db.scalars(select(PriceChange).order_by(PriceChange.id)).all()
    start = first.changed_at
    db.execute(update(PriceChange).where(PriceChange.id == second.id).values(changed_at=start + timedelta(minutes=20)))
    db.expire_all()
    with app.app_context():
        assert raise_digests(db, now=start + SETTLE) == 0
        assert raise_digests(db, now=start + timedelta(minutes=20) + SETTLE) == 0
    assert digests(db) == {}


def test_a_product_edited_again_waits_for_its_last_edit(app, db, make_company, priced, bought, price_types):
    coffee, cream = priced("Кава"), priced("Вершки")
    a = make_company()
    bought(a, coffee, cream)
    change(db, price_types, coffee, wholesale="110.00")
    change(db, price_types, cream, wholesale="90.00")
    change(db, price_types, coffee, wholesale="115.00")
    first, _, last = db.scalars(select(PriceChange).order_by(PriceChange.id)).all()
    start = first.changed_at
    db.execute(update(PriceChange).where(PriceChange.id == last.id).values(changed_at=start + timedelta(minutes=20)))
    db.expire_all()
    with app.app_context():
        assert raise_digests(db, now=start + SETTLE) == 1  # cream has settled, coffee not yet
        assert raise_digests(db, now=start + timedelta(minutes=20) + SETTLE) == 1
    db.flush()
    events = list(db.scalars(select(OutboxEvent.payload).where(OutboxEvent.topic == "prices.changed")
                             .order_by(OutboxEvent.id)))
    assert [[(line["name"], Decimal(line["old"]), Decimal(line["new"])) for line in e["lines"]] for e in events] == [
        [("Вершки", Decimal("100.00"), Decimal("90.00"))],
        [("Кава", Decimal("100.00"), Decimal("115.00"))],
    ]


def test_old_and_cancelled_orders_do_not_make_a_buyer(app, db, make_company, priced, bought, price_types):
    coffee = priced("Кава")
    long_ago, cancelled, recent, closed = make_company(), make_company(), make_company(), make_company(is_active=False)
    bought(long_ago, coffee, days_ago=91)
    bought(cancelled, coffee, status="cancelled")
    bought(recent, coffee, days_ago=89)
    bought(closed, coffee)
    for status in ("submitted", "on_hold", "shipped", "delivered"):
        bought(make_company(name=f"ТОВ «{status}»"), coffee, status=status)
    change(db, price_types, coffee, wholesale="99.00")
    found = digests(db) if settled_run(db, app) else {}
    assert recent.id in found
    assert long_ago.id not in found and cancelled.id not in found and closed.id not in found
    assert len(found) == 5


def test_a_real_order_and_a_catalog_price_edit(app, db, make_company, make_user, confirmed_order, price_types):
    company = make_company()
    user = make_user(company, role="owner")
    order = confirmed_order(user, lines=(("100.00", "3"), ("50.00", "1")))
    first, second = order.lines
    for line, amount in ((first, "104.00"), (second, "50.00")):  # the second keeps its price
        set_product_prices(db, db.get(Product, line.product_id), {price_types["wholesale"].id: Decimal(amount)})
    assert db.scalar(select(func.count()).select_from(PriceChange)) == 1  # an unchanged price is no change
    assert settled_run(db, app) == 1
    assert digests(db) == {company.id: [(first.name, Decimal("100.00"), Decimal("104.00"))]}


def test_a_new_price_is_not_a_change(app, db, make_company, make_product, bought, price_types):
    coffee = make_product("Кава", prices={"wholesale": "100.00"})
    bought(make_company(price_type="retail"), coffee)
    change(db, price_types, coffee, retail="130.00")  # a price the product did not have
    assert db.scalar(select(func.count()).select_from(PriceChange)) == 0


def test_the_digest_reaches_buyers_but_not_a_company_that_refused_marketing(
        app, db, make_company, make_user, priced, bought, price_types):
    coffee = priced("Кава")
    willing = make_company(phone="+380441230101", email="willing@cafe.ua")
    refusing = make_company(phone="+380441230102", email="refusing@cafe.ua")
    make_user(willing, role="buyer", email="buyer@willing.ua", phone="+380671230101")
    make_user(refusing, role="owner", email="owner@refusing.ua", phone="+380671230102")
    db.add(CompanyNotifySettings(company_id=refusing.id, sms=True, email=True, marketing=False))
    bought(willing, coffee)
    bought(refusing, coffee)
    change(db, price_types, coffee, wholesale="112.00")
    assert settled_run(db, app) == 2

    with app.test_request_context():
        for raised in db.scalars(select(OutboxEvent).where(OutboxEvent.topic == "prices.changed")).all():
            plan_messages(db, raised)
        db.flush()
    messages = list(db.scalars(select(Message)))
    assert {m.company_id for m in messages} == {willing.id}
    assert {m.recipient for m in messages} == {"+380441230101", "willing@cafe.ua", "buyer@willing.ua", "+380671230101"}
    assert {m.template for m in messages} == {"prices_changed"} and {m.status for m in messages} == {"queued"}
    email = next(m for m in messages if m.recipient == "willing@cafe.ua")
    assert "Кава" in email.body and "112,00 грн" in email.body and "100,00 грн" in email.body


def test_the_periodic_job_digests_and_commits(app, db, make_company, priced, bought, price_types):
    coffee = priced("Кава")
    a = make_company()
    bought(a, coffee)
    change(db, price_types, coffee, wholesale="120.00")
    db.execute(update(PriceChange).values(changed_at=datetime.now(timezone.utc) - SETTLE))
    db.commit()
    with app.app_context():
        assert price_digest_job(db) == 1
        assert price_digest_job(db) == 0
    assert list(digests(db)) == [a.id]
