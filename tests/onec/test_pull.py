"""#12 "From 1C": incremental pulls from the 1C emulator over real HTTP with the portal's
zeep client: every entity from its cursor, a page and its cursor move in one transaction,
skipped items with their reasons, payments once, balances compared, never overwritten."""
from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from core import outbox
from core.clock import utcnow
from core.jobs import jobs
from core.catalog.models import Price, PriceChange, PriceType, Product, Stock, Warehouse
from core.customers.models import Company, DeliveryPoint, User
from core.orders import states
from core.orders.services import Actor, submit_order
from core.outbox import OutboxEvent
from emulators.http import serve_in_thread
from emulators.onec import create_app
from emulators.onec.seed import guid
from notify.models import Message
from onec.importer.common import Options
from onec.models import ExchangeRun, OnecBalance, OnecCursor, OnecDocument, OnecLease
from onec.pull.balances import open_differences
from onec.pull.run import ENTITIES, pull, take_lease
from onec.soap.client import OnecClient
from onec.payment_push import came_from_1c
from payments.models import Invoice, Payment
from tests.conftest import login

USER, PASSWORD = "portal", "test-only-1c-pull-password"
http = httpx.Client(timeout=10)
ALFA = guid("company", "42152922")  # ТОВ "Альфа-Трейд", deferred terms, a debt in 1C
WHOLESALE = guid("price-type", "Оптова")
KYIV_WAREHOUSE = guid("warehouse", "kyiv")


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    url, stop = serve_in_thread(create_app(USER, PASSWORD))
    yield url
    stop()


@pytest.fixture(autouse=True)
def fresh(emulator: str) -> None:
    http.post(f"{emulator}/_emulator/reset")


@pytest.fixture(scope="module")
def onec(emulator: str) -> OnecClient:
    return OnecClient(f"{emulator}/ws/portal_exchange", USER, PASSWORD, timeout=5)


@pytest.fixture
def pulled(onec_app: Any, db: Any, onec: OnecClient) -> Any:
    """Pull now (the entities named, else all) in the onec app; the runs by entity."""
    def run(*entities: str, limit: int = 500, client: Any = None) -> dict[str, ExchangeRun]:
        with onec_app.test_request_context():
            runs = pull(db, client or onec, entities or ENTITIES, limit=limit, options=Options())
        assert runs is not None
        return {r.entity: r for r in runs}
    return run


def control(emulator: str, path: str, **form: Any) -> None:
    answer = http.post(f"{emulator}/_emulator/{path}", data=form)
    assert answer.status_code in (200, 204, 303), answer.text


def count(db: Any, model: Any, *where: Any) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def test_the_first_pull_fills_the_catalog_prices_stock_companies_and_balances(db, pulled):
    runs = pulled()
    assert {entity: run.status for entity, run in runs.items()} == dict.fromkeys(ENTITIES, "success")
    assert count(db, Product, Product.onec_guid.is_not(None)) == 300
    assert count(db, PriceType, PriceType.onec_guid.is_not(None)) == 3
    assert count(db, Price) == 900 and count(db, Stock) == 600
    assert count(db, Company, Company.onec_guid.is_not(None)) == 12
    assert count(db, OnecBalance) == 12
    alfa = db.scalar(select(Company).where(Company.onec_guid == ALFA))
    assert (alfa.tax_id, alfa.kind, alfa.payment_terms, alfa.deferral_days) == ("42152922", "legal", "deferred", 14)
    assert runs["catalog"].created == 310 and runs["catalog"].skipped == 0
    cursors = dict(db.execute(select(OnecCursor.entity, OnecCursor.version)).all())
    assert set(cursors) == set(ENTITIES)
    # No document was made in 1C yet: that cursor stays where it was asked from.
    assert cursors.pop("documents") == 0 and all(version > 0 for version in cursors.values())

    again = pulled()
    assert all((r.status, r.created, r.updated) == ("success", 0, 0) for r in again.values())
    assert dict(db.execute(select(OnecCursor.entity, OnecCursor.version)).all()) == {**cursors, "documents": 0}
    # Pulls that find nothing keep one row per entity, the newest: not one a minute forever.
    pulled()
    empty = [run for run in db.scalars(select(ExchangeRun)) if not (run.created or run.updated or run.unchanged)]
    assert sorted(run.entity for run in empty) == sorted(ENTITIES)
    # Besides them, the first pull's runs that brought something (documents brought nothing).
    assert count(db, ExchangeRun) == len(empty) + len(ENTITIES) - 1


def test_a_price_changed_in_1c_arrives_on_the_next_pull_as_a_price_change(db, pulled, emulator):
    pulled("catalog", "prices", "stock")
    product = db.scalar(select(Product).where(Product.sku == "A-1001"))
    wholesale = db.scalar(select(PriceType).where(PriceType.onec_guid == WHOLESALE))
    old = db.get(Price, (wholesale.id, product.id)).amount
    control(emulator, "price", sku="A-1001", price_type_id=WHOLESALE, price="77.70")
    control(emulator, "stock", sku="A-1001", warehouse_id=KYIV_WAREHOUSE, quantity="5")

    runs = pulled("prices", "stock")
    assert (runs["prices"].updated, runs["stock"].updated) == (1, 1)
    db.expire_all()
    assert db.get(Price, (wholesale.id, product.id)).amount == Decimal("77.70")
    [change] = db.scalars(select(PriceChange).where(PriceChange.product_id == product.id))
    assert (change.old_amount, change.new_amount, change.digested_at) == (old, Decimal("77.70"), None)
    assert db.scalar(select(Stock.quantity).join(Warehouse, Warehouse.id == Stock.warehouse_id).where(
        Stock.product_id == product.id, Warehouse.onec_guid == KYIV_WAREHOUSE)) == Decimal("5")


def test_a_new_company_with_a_phone_gets_a_cabinet_and_an_invitation(onec_app, db, pulled, emulator):
    pulled("prices", "companies")
    control(emulator, "company", name="ФОП Нова Кава", tax_id="3012345670", phone="+380671112233",
            email="", price_type_id=WHOLESALE)
    runs = pulled("companies")
    assert (runs["companies"].created, runs["companies"].skipped) == (1, 0)
    company = db.scalar(select(Company).where(Company.tax_id == "3012345670"))
    assert (company.kind, company.price_type.onec_guid, company.phone) == ("sole", WHOLESALE, "+380671112233")
    [owner] = db.scalars(select(User).where(User.company_id == company.id))
    assert (owner.role, owner.phone, owner.email, owner.password_hash) == ("owner", "+380671112233", None, None)
    assert owner.invited_at is not None
    with onec_app.test_request_context():
        for event_id in db.scalars(select(OutboxEvent.id).where(OutboxEvent.status == "pending")).all():
            outbox.deliver(db, event_id)
    assert db.scalar(select(Message.channel).where(Message.recipient == "+380671112233")) == "sms"

    # The next pull finds the cabinet there: no second user, no second invitation.
    control(emulator, "company", name="ТОВ Інша", tax_id="42152938", phone="", email="", price_type_id="")
    pulled("companies")
    assert count(db, User, User.company_id == company.id) == 1


def test_a_company_with_an_invalid_code_is_skipped_with_the_reason(db, pulled, emulator):
    pulled("prices", "companies")
    control(emulator, "company", name="ТОВ Кривий Код", tax_id="12345670", phone="", email="", price_type_id="")
    run = pulled("companies")["companies"]
    assert (run.status, run.created, run.skipped) == ("success", 0, 1)
    [item] = run.skipped_items
    assert item["reason"] == "invalid_tax_id" and "ТОВ Кривий Код" in item["detail"]
    assert count(db, Company, Company.tax_id == "12345670") == 0


def test_a_bank_payment_entered_in_1c_becomes_one_portal_payment(db, pulled, emulator):
    pulled("prices", "companies")
    control(emulator, "payment", company_id=ALFA, amount="1500.00", purpose="Оплата за товар")
    pulled("documents")
    pulled("documents")
    [payment] = db.scalars(select(Payment))
    [document] = db.scalars(select(OnecDocument))
    assert (payment.source, payment.amount, payment.status, payment.company.onec_guid) == (
        "1c", Decimal("1500.00"), "succeeded", ALFA)
    assert (payment.external_id, payment.details["onec_source"]) == (document.guid, "bank")
    # 1C has it already: the push never sends it back.
    assert came_from_1c(payment)
    assert (document.kind, document.payment_id, document.posted) == ("payment", payment.id, True)
    # No open invoice to pay: the money waits for a person in the payments queue.
    assert payment.needs_review and payment.review_code == "bank.nothing_open"


def test_a_transfer_both_in_a_bank_statement_and_entered_in_1c_is_counted_once(db, pulled, emulator):
    pulled("prices", "companies")
    alfa = db.scalar(select(Company).where(Company.onec_guid == ALFA))
    from_statement = Payment(source="bank", external_id="statement-line-1", company_id=alfa.id, amount=Decimal("1500.00"),
                             status="succeeded", paid_on=utcnow().date() - timedelta(days=1))
    other_amount = Payment(source="bank", external_id="statement-line-2", company_id=alfa.id,
                           amount=Decimal("1499.99"), status="succeeded", paid_on=utcnow().date())
    db.add_all([from_statement, other_amount])
    db.flush()
    control(emulator, "payment", company_id=ALFA, amount="1500.00", purpose="Оплата за товар")
    control(emulator, "payment", company_id=ALFA, amount="1500.00", purpose="Оплата за товар, друга")
    pulled("documents")
    documents = db.scalars(select(OnecDocument).order_by(OnecDocument.number)).all()
    # The first is the statement's transfer, linked; the second is new money (nothing left to pair it with).
    assert documents[0].payment_id == from_statement.id
    assert db.get(Payment, documents[1].payment_id).source == "1c"
    assert count(db, Payment) == 3


def test_our_own_payment_coming_back_from_1c_is_not_counted_twice(db, pulled, onec):
    pulled("prices", "companies")
    alfa = db.scalar(select(Company).where(Company.onec_guid == ALFA))
    ours = Payment(source="liqpay", external_id="liqpay-pull-1", company_id=alfa.id, amount=Decimal("863.28"),
                   status="succeeded")
    db.add(ours)
    db.flush()
    posted = onec.post_payment({
        "PortalId": f"payment-{ours.id}", "Source": "card", "ExternalId": ours.external_id,
        "Date": ours.created_at, "Amount": ours.amount, "Currency": "UAH", "CompanyId": ALFA,
        "PayerTaxId": alfa.tax_id, "Allocation": [],
    })
    run = pulled("documents")["documents"]
    assert (run.created, run.skipped) == (1, 0)
    assert count(db, Payment) == 1
    db.refresh(ours)
    assert (ours.details["onec_id"], ours.details["onec_number"]) == (posted.onec_id, posted.number)
    assert db.get(OnecDocument, posted.onec_id).payment_id == ours.id


def test_a_payment_naming_another_customers_portal_id_is_skipped(db, pulled, onec, make_company):
    pulled("prices", "companies")
    stranger = make_company()
    theirs = Payment(source="liqpay", external_id="liqpay-pull-2", company_id=stranger.id, amount=Decimal("10.00"),
                     status="succeeded")
    db.add(theirs)
    db.flush()
    onec.post_payment({
        "PortalId": f"payment-{theirs.id}", "Source": "card", "Date": theirs.created_at, "Amount": Decimal("10.00"),
        "Currency": "UAH", "CompanyId": ALFA, "PayerTaxId": "42152922", "Allocation": [],
    })
    run = pulled("documents")["documents"]
    assert [item["reason"] for item in run.skipped_items] == ["unknown_portal_payment"]
    db.refresh(theirs)
    assert "onec_id" not in (theirs.details or {})


def test_a_payment_unposted_in_1c_is_reversed_and_one_posted_again_waits_for_a_person(db, pulled):
    pulled("prices", "companies")
    document = {"Id": "50000000-0000-0000-0000-000000000001", "Kind": "payment", "Number": "ПКО-000007",
                "Date": datetime(2026, 12, 7, 9, 30), "CompanyId": ALFA, "Amount": Decimal("200.00"), "Currency": "UAH",
                "PortalId": None, "OrderPortalId": None, "PaymentSource": "cash", "Purpose": "Готівка",
                "Line": [], "Allocation": [], "Posted": True, "Deleted": False, "Version": 1}
    pulled("documents", client=Answers(documents=[document]))
    [payment] = db.scalars(select(Payment))
    assert (payment.status, payment.paid_on, payment.details["onec_source"]) == ("succeeded", date(2026, 12, 7), "cash")
    pulled("documents", client=Answers(documents=[document | {"Posted": False, "Version": 2}]))
    db.refresh(payment)
    assert payment.status == "reversed" and db.get(OnecDocument, document["Id"]).posted is False
    pulled("documents", client=Answers(documents=[document | {"Version": 3}]))
    db.refresh(payment)
    assert (payment.status, payment.needs_review, payment.review_code) == ("reversed", True, "onec.reposted")
    assert count(db, Payment) == 1


def test_a_balance_that_differs_is_an_exception_until_1c_agrees(db, pulled, emulator):
    pulled("prices", "companies", "balances")
    alfa = db.scalar(select(Company).where(Company.onec_guid == ALFA))
    row = db.get(OnecBalance, alfa.id)
    assert row.debt > 0 and row.portal_debt == Decimal("0.00") and row.differs_since is not None
    assert alfa.id in {r.company_id for r in open_differences(db)}
    # The customer pays the whole debt in 1C: both sides now say nothing is owed.
    control(emulator, "payment", company_id=ALFA, amount=str(row.debt), purpose="Погашення боргу")
    pulled("documents", "balances")
    db.refresh(row)
    assert (row.debt, row.differs_since) == (Decimal("0.00"), None) and row.resolved_at is not None
    assert alfa.id not in {r.company_id for r in open_differences(db)}


class StopsAnswering:
    """The portal's client, with 1C's web server going down after `pages` answers."""

    def __init__(self, client: OnecClient, emulator: str, pages: int) -> None:
        self.client, self.emulator, self.left = client, emulator, pages

    def get_changes(self, entity: str, since: int, limit: int) -> Any:
        page = self.client.get_changes(entity, since, limit)
        self.left -= 1
        if self.left == 0:
            control(self.emulator, "fail", mode="server_error", count="100")
        return page


def test_1c_going_down_mid_pull_keeps_the_pages_written_and_the_next_pull_goes_on(db, pulled, onec, emulator):
    run = pulled("catalog", limit=120, client=StopsAnswering(onec, emulator, pages=2))["catalog"]
    assert run.status == "failed" and run.error.startswith("http_503")
    # Two pages of 120 of the 310 groups and products were written, with their cursor.
    assert run.created == 240 - 10 + 10 and count(db, Product, Product.onec_guid.is_not(None)) == 230
    written = db.get(OnecCursor, "catalog").version
    control(emulator, "reset")
    again = pulled("catalog", limit=120)["catalog"]
    assert again.status == "success" and again.created > 0
    assert count(db, Product, Product.onec_guid.is_not(None)) == 300
    assert db.get(OnecCursor, "catalog").version > written


def test_a_fault_of_one_entity_does_not_stop_the_next_but_1c_away_stops_the_pull(db, pulled, emulator):
    control(emulator, "fail", mode="fault", code="VALIDATION", count="1")
    runs = pulled("prices", "stock")
    assert (runs["prices"].status, runs["stock"].status) == ("failed", "success")
    assert runs["prices"].error.startswith("VALIDATION") and db.get(OnecCursor, "prices") is None
    control(emulator, "fail", mode="server_error", count="100")
    with_down = pulled("catalog", "prices", "stock")
    assert list(with_down) == ["catalog"] and with_down["catalog"].status == "failed"


def test_a_1c_that_says_more_without_moving_on_is_not_asked_forever(db, pulled):
    run = pulled("stock", client=Answers(more=True))["stock"]
    assert run.status == "failed" and run.error.startswith("bad_answer: GetChanges stock: More after Version 0")


def test_one_pull_at_a_time(onec_app, db, pulled):
    with onec_app.app_context():
        assert take_lease(db) is not None
        assert pull(db, object(), ENTITIES, limit=10) is None
        # A puller that died: its lease runs out and the next one takes it.
        db.execute(update(OnecLease).values(until=utcnow() - timedelta(seconds=1)))
        assert take_lease(db) is not None
    assert count(db, ExchangeRun) == 0


class Answers:
    """A 1C that answers GetChanges with the pages given (items as the contract names
    their fields): what the emulator cannot be made to send, such as broken items."""

    def __init__(self, more: bool = False, **pages: list[dict[str, Any]]) -> None:
        self.more, self.pages = more, pages

    def get_changes(self, entity: str, since: int, limit: int) -> Any:
        if self.more:  # a broken 1C: "more" without moving on
            return SimpleNamespace(Entity=entity, Version=since, More=True)
        items = [SimpleNamespace(**item) for item in self.pages.get(entity, [])]
        field = {"catalog": "Product", "prices": "Price", "stock": "Stock", "companies": "Company",
                 "documents": "Document"}[entity]
        return SimpleNamespace(Entity=entity, Version=since + 1, More=False, **{field: items})


def test_what_1c_must_not_send_is_skipped_with_its_reason_and_deleted_means_gone(db, pulled):
    pulled("catalog", "prices", "stock")
    first = db.scalar(select(Product).where(Product.sku == "A-1001"))
    retail = guid("price-type", "Роздрібна")
    product = {"Sku": "X-1", "Name": "Без Id", "GroupId": None, "UnitCode": "796", "UnitName": "шт",
               "PackQuantity": Decimal(1), "VatRate": "20", "Description": None, "Barcode": [], "Property": [],
               "Deleted": False, "Version": 1}
    price = {"PriceTypeId": retail, "ProductId": first.onec_guid, "Price": Decimal("10.00"), "Currency": "UAH",
             "Deleted": False, "Version": 1}
    stock = {"WarehouseId": KYIV_WAREHOUSE, "WarehouseName": "Київ", "ProductId": first.onec_guid,
             "Quantity": Decimal(-3), "Version": 1}
    runs = pulled("catalog", "prices", "stock", client=Answers(
        catalog=[product | {"Id": ""}, product | {"Id": first.onec_guid, "Sku": first.sku, "Deleted": True}],
        prices=[price | {"Currency": "USD"}, price | {"ProductId": guid("product", "1002"), "Deleted": True}],
        stock=[stock, stock | {"ProductId": guid("product", "nope"), "Quantity": Decimal(1)}],
    ))
    reasons = {entity: [item["reason"] for item in run.skipped_items] for entity, run in runs.items()}
    assert reasons == {"catalog": ["missing_id"], "prices": ["currency_not_accepted"],
                       "stock": ["negative_stock", "unknown_product"]}
    db.expire_all()
    assert first.is_active is False  # deleted in 1C: off the catalog, its history kept
    second = db.scalar(select(Product.id).where(Product.sku == "A-1002"))
    retail_id = db.scalar(select(PriceType.id).where(PriceType.onec_guid == retail))
    assert db.get(Price, (retail_id, second)) is None  # no longer sold at that price type
    assert db.get(Price, (retail_id, first.id)).amount != Decimal("10.00")


@pytest.fixture
def posted_order(onec_app: Any, db: Any, pulled: Any, onec: OnecClient, make_user: Any) -> Any:
    """An order of a prepaying customer from 1C, submitted in the portal and posted to 1C
    as the push posts it (PortalId "order-<id>")."""
    pulled("catalog", "prices", "stock", "companies")
    company = db.scalar(select(Company).where(Company.onec_guid.is_not(None), Company.payment_terms == "prepayment")
                        .order_by(Company.id).limit(1))
    product = db.scalar(select(Product).where(Product.sku == "A-1001"))
    buyer = make_user(company, role="owner")
    db.add(DeliveryPoint(company_id=company.id, name="Склад", address="Київ, вул. Січових Стрільців, 1"))
    db.flush()
    with onec_app.test_request_context():
        order = submit_order(db, company, [(product.id, product.pack_multiple)], actor=Actor.of(buyer),
                             idempotency_key="pull-order-1", delivery_point_id=company.delivery_points[0].id).order
    assert order.status == states.SUBMITTED
    line = order.lines[0]
    onec.post_order({
        "PortalId": f"order-{order.id}", "Number": str(order.id), "Date": order.created_at, "CompanyId": company.onec_guid,
        "CompanyTaxId": company.tax_id, "Currency": "UAH", "Amount": order.total,
        "Line": [{"LineNo": 1, "ProductId": product.onec_guid, "Quantity": line.quantity, "Price": line.price,
                  "Amount": order.total}],
    })
    return order


def test_what_1c_does_with_our_order_moves_it_as_far_as_the_rules_let(db, pulled, emulator, posted_order):
    order = posted_order
    control(emulator, "order-status", portal_id=f"order-{order.id}", status="confirmed")
    run = pulled("documents", "order_states")
    db.refresh(order)
    assert order.status == states.CONFIRMED and run["order_states"].updated == 1
    [invoice_doc] = db.scalars(select(OnecDocument).where(OnecDocument.kind == "invoice"))
    assert invoice_doc.order_id == order.id

    # Shipped in 1C, but the order is prepaid and nobody paid: the portal does not ship it.
    control(emulator, "order-status", portal_id=f"order-{order.id}", status="shipped")
    run = pulled("documents", "order_states")
    db.refresh(order)
    assert order.status == states.CONFIRMED
    assert {item["reason"] for r in run.values() for item in r.skipped_items} == {"order_not_released"}
    assert db.scalar(select(OnecDocument.order_id).where(OnecDocument.kind == "shipment")) == order.id


def test_paid_in_1c_and_shipped_there_the_order_is_shipped_in_the_portal(db, pulled, emulator, posted_order):
    order = posted_order
    control(emulator, "order-status", portal_id=f"order-{order.id}", status="confirmed")
    pulled("documents", "order_states")
    [invoice] = db.scalars(select(Invoice).where(Invoice.order_id == order.id))
    company_guid = db.get(Company, order.company_id).onec_guid
    control(emulator, "payment", company_id=company_guid, amount=str(invoice.amount),
            purpose=f"Оплата згідно рахунку № {invoice.number}")
    pulled("documents")
    db.refresh(invoice)
    db.refresh(order)
    [payment] = db.scalars(select(Payment).where(Payment.source == "1c"))
    assert invoice.status == "paid" and payment.allocated == invoice.amount and not payment.needs_review
    assert order.released_at is not None

    control(emulator, "order-status", portal_id=f"order-{order.id}", status="shipped")
    run = pulled("documents", "order_states")
    db.refresh(order)
    assert order.status == states.SHIPPED and all(r.skipped == 0 for r in run.values())
    assert [c.actor_name for c in order.history][-2:] == ["1C", "1C"]  # assembling, then shipped


@pytest.fixture
def with_service(onec_app: Any, emulator: str) -> Any:
    onec_app.config.update(
        ONEC_SERVICE_URL=f"{emulator}/ws/portal_exchange", ONEC_SERVICE_USER=USER, ONEC_SERVICE_PASSWORD=PASSWORD)
    return onec_app


def test_flask_onec_pull_pulls_the_entities_named_and_prints_their_counts(with_service, db):
    result = with_service.test_cli_runner().invoke(args=["onec-pull", "catalog", "prices"])
    assert result.exit_code == 0, result.output
    assert "SOAP (catalog): success" in result.output and "created 310, updated 0" in result.output
    assert "SOAP (prices): success" in result.output
    assert [run.entity for run in db.scalars(select(ExchangeRun).order_by(ExchangeRun.id))] == ["catalog", "prices"]
    refused = with_service.test_cli_runner().invoke(args=["onec-pull", "customers"])
    assert refused.exit_code == 2 and "customers" in refused.output


def test_flask_onec_pull_says_so_when_1c_is_down_or_not_set(with_service, emulator, db):
    control(emulator, "fail", mode="server_error", count="100")
    result = with_service.test_cli_runner().invoke(args=["onec-pull", "stock"])
    assert result.exit_code == 1 and "SOAP (stock): failed" in result.output and "stopped: http_503" in result.output
    with_service.config["ONEC_SERVICE_URL"] = ""
    result = with_service.test_cli_runner().invoke(args=["onec-pull"])
    assert result.exit_code == 1 and "ONEC_SERVICE_URL is empty" in result.output


def test_the_scheduled_pull_runs_every_entity_and_nothing_without_the_service(with_service, db):
    job = jobs["onec-pull"]
    assert job.every_seconds == with_service.config["ONEC_PULL_SECONDS"] == 60
    # As Celery beat and the demo loop run it: an app context, no request.
    with with_service.app_context():
        runs = job.run(db)
        assert [run.entity for run in runs] == [*ENTITIES, "order_states"]
        assert all(run.status == "success" for run in runs)
        with_service.config["ONEC_SERVICE_URL"] = ""
        with_service.extensions.pop("onec_service")
        assert job.run(db) is None
    assert count(db, ExchangeRun) == len(runs)


def test_a_shipment_naming_another_customers_order_leaves_that_order_alone(db, pulled, posted_order):
    order = posted_order
    with_alfa = {"Id": "50000000-0000-0000-0000-000000000002", "Kind": "shipment", "Number": "ВН-000099",
                 "Date": datetime(2026, 12, 7, 9, 30), "CompanyId": ALFA, "Amount": order.total, "Currency": "UAH",
                 "PortalId": None, "OrderPortalId": f"order-{order.id}", "PaymentSource": None, "Purpose": None,
                 "Line": [], "Allocation": [], "Posted": True, "Deleted": False, "Version": 1}
    odd = with_alfa | {"Id": "50000000-0000-0000-0000-000000000003", "Kind": "return-of-goods"}
    run = pulled("documents", client=Answers(documents=[with_alfa, odd]))["documents"]
    assert [item["reason"] for item in run.skipped_items] == ["other_company_order", "unknown_kind"]
    db.refresh(order)
    assert order.status == states.SUBMITTED and db.get(OnecDocument, with_alfa["Id"]).order_id is None


def test_a_company_the_portal_cannot_take_is_skipped_with_its_reason(db, pulled):
    pulled("prices", "companies")
    alfa = {"Id": guid("company", "other-alfa"), "Name": "ТОВ Двійник", "FullName": None, "Kind": "legal",
            "TaxId": "42152922", "VatNumber": None, "Address": None, "Phone": "not a phone", "Email": "no-at-sign",
            "PaymentTerms": "prepayment", "DeferralDays": 0, "AdvancePercent": 0, "CreditLimit": Decimal(0),
            "ManagerName": None, "ManagerEmail": "nobody@example.com", "PriceTypeId": None, "Deleted": False,
            "Version": 1}
    fine = alfa | {"Id": guid("company", "fine"), "TaxId": "42152938", "Name": "ТОВ Нова"}
    runs = pulled("companies", client=Answers(companies=[
        alfa,  # another 1C company's code
        alfa | {"Id": guid("company", "deferred"), "TaxId": "3012345670", "Kind": "sole", "PaymentTerms": "deferred"},
        alfa | {"Id": guid("company", "kind"), "TaxId": "3012345670", "Kind": "person"},
        alfa | {"Id": guid("company", "limit"), "TaxId": "3012345670", "Kind": "sole", "CreditLimit": Decimal("1e15")},
        fine,
    ]))
    assert [(i["reason"], i["ref"]) for i in runs["companies"].skipped_items] == [
        ("duplicate_tax_id", alfa["Id"]), ("invalid_terms", guid("company", "deferred")),
        ("invalid_tax_id", guid("company", "kind")), ("invalid_credit_limit", guid("company", "limit"))]
    made = db.scalar(select(Company).where(Company.onec_guid == fine["Id"]))
    # A phone and an e-mail the portal cannot read are left out, not the company; no contact, no cabinet.
    assert (made.phone, made.email, made.manager_id) == (None, None, None)
    assert count(db, User, User.company_id == made.id) == 0
    assert db.scalar(select(Company.name).where(Company.tax_id == "42152922")) == 'ТОВ "Альфа-Трейд"'


def test_staff_retry_a_failed_pull_by_pulling_its_entity_now(with_service, db, emulator, make_staff):
    onec = OnecClient(f"{emulator}/ws/portal_exchange", USER, PASSWORD, timeout=5)
    with with_service.app_context():
        pull(db, onec, ["catalog"], limit=500, options=Options())
        control(emulator, "fail", mode="server_error", count="1")
        [failed] = pull(db, onec, ["stock"], limit=500, options=Options())
    assert failed.status == "failed"
    client = with_service.test_client()
    login(client, make_staff("head_of_sales").email, staff=True)
    answer = client.post(f"/staff/sync/runs/{failed.id}/retry")
    assert answer.status_code == 302
    again = db.scalar(select(ExchangeRun).where(ExchangeRun.retry_of == failed.id))
    assert (again.entity, again.source, again.status) == ("stock", "soap", "success") and again.created > 0
    # A second click finds the retry made, and pulls nothing more.
    client.post(f"/staff/sync/runs/{failed.id}/retry")
    assert count(db, ExchangeRun, ExchangeRun.entity == "stock") == 2
    assert "/retry" not in client.get(f"/staff/sync/runs/{again.id}").get_data(as_text=True)
