"""The 1C emulator over real HTTP, called with zeep from the WSDL in onec/wsdl: the
contract loads, every operation round-trips, posts are idempotent by PortalId and
GetChanges is incremental by version."""
from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import zeep
from defusedxml import ElementTree
from lxml import etree
from zeep import Plugin
from zeep.exceptions import Fault, TransportError
from zeep.transports import Transport

from emulators.http import serve_in_thread
from emulators.onec import create_app
from emulators.onec.seed import guid

USER, PASSWORD = "portal", "1c-emulator-test-password"
NS = "urn:portal-exchange:1"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL_FILE = Path(__file__).resolve().parents[2] / "onec" / "wsdl" / "portal_exchange.wsdl"
# A seeded customer (ТОВ "Альфа-Трейд") and two seeded products (SKU A-1001, A-1002).
TAX_ID = "42152922"
PRODUCT, OTHER_PRODUCT = guid("product", "1001"), guid("product", "1002")
http = httpx.Client(timeout=10)


def _envelope(operation: str) -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:m="{NS}"><soap:Body>{operation}</soap:Body></soap:Envelope>'
    ).encode()


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    url, stop = serve_in_thread(create_app(USER, PASSWORD))
    yield url
    stop()


class SchemaCheck(Plugin):
    """Every answer must be valid by the contract's schema, not only readable by zeep
    (which lets an element in the wrong order or a bad enumeration value pass)."""

    def __init__(self) -> None:
        schema = etree.parse(str(WSDL_FILE)).getroot().find("{http://schemas.xmlsoap.org/wsdl/}types/{http://www.w3.org/2001/XMLSchema}schema")
        self.schema = etree.XMLSchema(schema)
        self.checked = 0

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> tuple[Any, Any]:
        [answer] = envelope.find(f"{{{SOAP_ENV}}}Body")
        if answer.tag == f"{{{SOAP_ENV}}}Fault":
            [answer] = answer.find("detail")
        self.schema.assertValid(answer)
        self.checked += 1
        return envelope, http_headers


@pytest.fixture(scope="module")
def schema_check() -> SchemaCheck:
    return SchemaCheck()


@pytest.fixture(scope="module")
def onec(emulator: str, schema_check: SchemaCheck) -> Any:
    """zeep's service proxy, built from the WSDL the emulator publishes."""
    session = requests.Session()
    session.auth = (USER, PASSWORD)
    transport = Transport(session=session, timeout=5, operation_timeout=5)
    return zeep.Client(f"{emulator}/ws/portal_exchange?wsdl", transport=transport, plugins=[schema_check]).service


@pytest.fixture(autouse=True)
def fresh(emulator: str) -> None:
    http.post(f"{emulator}/_emulator/reset")


def order(portal_id: str = "order-1", **override: Any) -> dict[str, Any]:
    lines = [
        {"LineNo": 1, "ProductId": PRODUCT, "Quantity": Decimal("12"), "Price": Decimal("58.40"), "Amount": Decimal("700.80")},
        {"LineNo": 2, "ProductId": OTHER_PRODUCT, "Quantity": Decimal("2.5"), "Price": Decimal("64.99"), "Amount": Decimal("162.48")},
    ]
    return {
        "PortalId": portal_id, "Number": "П-000042", "Date": datetime(2026, 12, 1, 10, 30, tzinfo=UTC),
        "CompanyTaxId": TAX_ID, "Currency": "UAH", "Amount": Decimal("863.28"), "Line": lines,
    } | override


def payment(portal_id: str = "payment-1", **override: Any) -> dict[str, Any]:
    return {
        "PortalId": portal_id, "Source": "card", "ExternalId": "liqpay-1", "Date": datetime(2026, 12, 1, 11, tzinfo=UTC),
        "Amount": Decimal("863.28"), "Currency": "UAH", "PayerTaxId": TAX_ID, "Purpose": "Оплата замовлення П-000042",
        "Allocation": [{"OrderPortalId": "order-1", "Amount": Decimal("863.28")}],
    } | override


def drain(onec: Any, entity: str, since: int = 0, limit: int = 1000) -> tuple[list[Any], int]:
    """Every page of GetChanges from `since`: (the pages, the last cursor)."""
    pages = []
    while True:
        page = onec.GetChanges(entity, since, limit)
        pages.append(page)
        since = page.Version
        if not page.More:
            return pages, since


def fault_code(fault: Fault) -> str:
    return fault.detail.find(f"{{{NS}}}PortalExchangeFault/{{{NS}}}Code").text


def received(emulator: str) -> dict[str, Any]:
    return http.get(f"{emulator}/_emulator/received").json()


def balance_of(onec: Any, company_id: str) -> Decimal:
    pages, _ = drain(onec, "balances")
    [balance] = [b for page in pages for b in page.Balance if b.CompanyId == company_id]
    return balance.Debt


def test_the_wsdl_served_is_the_contract_file_with_this_server_as_the_address(emulator: str) -> None:
    assert http.get(f"{emulator}/ws/portal_exchange?wsdl").status_code == 401
    served = http.get(f"{emulator}/ws/portal_exchange?wsdl", auth=(USER, PASSWORD))
    assert served.status_code == 200 and served.headers["content-type"].startswith("text/xml")
    contract = WSDL_FILE.read_text(encoding="utf-8")
    assert served.text == contract.replace(
        "http://localhost/base/ws/portal_exchange.1cws", f"{emulator}/ws/portal_exchange"
    )
    # 1C also answers at the publication file's name; the address stays the service's.
    as_published = http.get(f"{emulator}/ws/portal_exchange.1cws?wsdl", auth=(USER, PASSWORD))
    assert as_published.text == served.text


def test_wrong_or_missing_credentials_are_refused_with_401(emulator: str) -> None:
    envelope = _envelope("<m:GetChanges><m:Entity>catalog</m:Entity><m:SinceVersion>0</m:SinceVersion><m:Limit>1</m:Limit></m:GetChanges>")
    for auth in (None, (USER, "wrong"), ("someone", PASSWORD)):
        answer = http.post(f"{emulator}/ws/portal_exchange", content=envelope, auth=auth)
        assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Basic")
    assert http.post(f"{emulator}/ws/portal_exchange", content=envelope, auth=(USER, PASSWORD)).status_code == 200


def test_get_changes_pages_through_every_entity_of_the_seeded_books(onec: Any) -> None:
    expected = {"catalog": 310, "prices": 903, "stock": 600, "companies": 12, "balances": 12, "documents": 0}
    for entity, count in expected.items():
        pages, cursor = drain(onec, entity, limit=250)
        items = [
            item for page in pages
            for item in (*page.Group, *page.Product, *page.PriceType, *page.Price, *page.Stock, *page.Company,
                         *page.Balance, *page.Document)
        ]
        versions = [item.Version for item in items]
        assert len(items) == count and versions == sorted(set(versions)), entity
        assert all(page.Entity == entity for page in pages) and not pages[-1].More
        if items:
            assert cursor == versions[-1] and all(page.Version == page_last(page) for page in pages if page.More)
        again = onec.GetChanges(entity, cursor, 250)
        assert again.Version == cursor and not again.More and not again.Product and not again.Price


def page_last(page: Any) -> int:
    items = (*page.Group, *page.Product, *page.PriceType, *page.Price, *page.Stock, *page.Company, *page.Balance)
    return max(item.Version for item in items)


def test_a_product_carries_its_identifiers_unit_pack_vat_barcodes_and_properties(onec: Any) -> None:
    [page], _ = drain(onec, "catalog")
    product = next(p for p in page.Product if p.Id == PRODUCT)
    assert product.Sku == "A-1001" and product.Name.startswith("Борошно пшеничне")
    assert (product.UnitCode, product.UnitName, product.PackQuantity, product.VatRate) == ("796", "шт", Decimal("6"), "20")
    assert product.GroupId in {group.Id for group in page.Group}
    assert len(product.Barcode) == 1 and product.Barcode[0].startswith("482") and len(product.Barcode[0]) == 13
    assert {prop.Name for prop in product.Property} == {"Торгова марка", "Країна"}
    company = onec.GetChanges("companies", 0, 1).Company[0]
    assert (company.TaxId, company.Kind, company.PaymentTerms) == (TAX_ID, "legal", "deferred")
    assert isinstance(company.CreditLimit, Decimal) and company.ManagerEmail == "o.koval@example.com"


def test_a_price_changed_in_1c_comes_after_the_cursor_and_nothing_before_it(emulator: str, onec: Any) -> None:
    _, cursor = drain(onec, "prices")
    wholesale = guid("price-type", "Оптова")
    answer = http.post(f"{emulator}/_emulator/price", data={"sku": "A-1001", "price_type_id": wholesale, "price": "61,25"})
    assert answer.status_code == 303
    changed = onec.GetChanges("prices", cursor, 100)
    assert [(p.ProductId, p.PriceTypeId, p.Price) for p in changed.Price] == [(PRODUCT, wholesale, Decimal("61.25"))]
    assert changed.Version > cursor and not changed.More and not changed.PriceType
    assert not onec.GetChanges("prices", changed.Version, 100).Price
    # Stock moves on its own cursor, untouched by the price.
    _, stock_cursor = drain(onec, "stock")
    http.post(f"{emulator}/_emulator/stock", data={"sku": "A-1002", "warehouse_id": guid("warehouse", "lviv"), "quantity": "7"})
    [stock] = onec.GetChanges("stock", stock_cursor, 100).Stock
    assert (stock.ProductId, stock.WarehouseName, stock.Quantity) == (OTHER_PRODUCT, "Львів, філія", Decimal("7"))


def test_an_order_is_taken_once_however_often_it_is_posted(emulator: str, onec: Any) -> None:
    first = onec.PostOrder(order())
    assert first.PortalId == "order-1" and first.Number == "ЗМ-000001" and first.Created is True
    again = onec.PostOrder(order())
    assert (again.Id, again.Number, again.Created) == (first.Id, first.Number, False)
    [taken] = received(emulator)["orders"]
    assert taken["id"] == first.Id and taken["amount"] == "863.28" and taken["lines"] == 2
    assert taken["company"] == 'ТОВ "Альфа-Трейд"' and taken["status"] == "accepted"
    states = onec.GetOrderStatuses({"PortalId": ["order-1", "never-sent"]}, 0, 10)
    assert [(s.PortalId, s.Id, s.Status) for s in states.Order] == [("order-1", first.Id, "accepted")]


def test_retries_arriving_together_still_make_one_document(emulator: str) -> None:
    def client() -> Any:
        session = requests.Session()
        session.auth = (USER, PASSWORD)
        return zeep.Client(f"{emulator}/ws/portal_exchange?wsdl", transport=Transport(session=session, timeout=5)).service

    clients = [client() for _ in range(8)]
    with ThreadPoolExecutor(len(clients)) as pool:
        refs = list(pool.map(lambda service: service.PostOrder(order("order-raced")), clients))
    assert len({(ref.Id, ref.Number) for ref in refs}) == 1
    assert [ref.Created for ref in refs].count(True) == 1
    assert len(received(emulator)["orders"]) == 1


def test_order_statuses_since_a_version_show_only_later_moves(emulator: str, onec: Any) -> None:
    onec.PostOrder(order())
    onec.PostOrder(order("order-2"))
    start = onec.GetOrderStatuses({}, 0, 1)
    assert len(start.Order) == 1 and start.More
    cursor = onec.GetOrderStatuses({}, start.Version, 10).Version
    company = guid("company", TAX_ID)
    debt_before = balance_of(onec, company)
    for status in ("confirmed", "shipped", "shipped"):
        http.post(f"{emulator}/_emulator/order-status", data={"portal_id": "order-2", "status": status})
    [moved] = onec.GetOrderStatuses({}, cursor, 10).Order
    assert (moved.PortalId, moved.Status, moved.ShippedAmount) == ("order-2", "shipped", Decimal("863.28"))
    [page], _ = drain(onec, "documents")
    assert [(d.Kind, d.Number, d.OrderPortalId, d.Amount, len(d.Line)) for d in page.Document] == [
        ("invoice", "РФ-000001", "order-2", Decimal("863.28"), 2),
        ("shipment", "ВН-000001", "order-2", Decimal("863.28"), 2),
    ]
    assert balance_of(onec, company) == debt_before + Decimal("863.28")


def test_a_payment_is_taken_once_and_comes_back_in_the_documents_with_our_id(emulator: str, onec: Any) -> None:
    onec.PostOrder(order())
    company = guid("company", TAX_ID)
    debt_before = balance_of(onec, company)
    first = onec.PostPayment(payment())
    again = onec.PostPayment(payment())
    assert first.Created is True and (again.Id, again.Number, again.Created) == (first.Id, first.Number, False)
    [page], _ = drain(onec, "documents")
    [document] = page.Document
    assert (document.Id, document.Kind, document.PortalId, document.PaymentSource) == (first.Id, "payment", "payment-1", "card")
    assert document.Amount == Decimal("863.28") and document.Allocation[0].OrderPortalId == "order-1"
    assert balance_of(onec, company) == debt_before - Decimal("863.28")
    assert len(received(emulator)["payments"]) == 1


def test_a_cancellation_is_taken_once_and_refused_for_a_shipped_or_unknown_order(emulator: str, onec: Any) -> None:
    placed = onec.PostOrder(order())
    cancellation = {"PortalId": "order-1", "Date": datetime(2026, 12, 2, tzinfo=UTC), "Reason": "Клієнт передумав"}
    first = onec.PostOrderCancellation(cancellation)
    again = onec.PostOrderCancellation(cancellation)
    assert (first.Id, first.Created, again.Id, again.Created) == (placed.Id, True, placed.Id, False)
    assert onec.GetOrderStatuses({"PortalId": ["order-1"]}, 0, 1).Order[0].Status == "cancelled"
    with pytest.raises(Fault) as unknown:
        onec.PostOrderCancellation(cancellation | {"PortalId": "never-sent"})
    assert fault_code(unknown.value) == "UNKNOWN_ORDER"
    onec.PostOrder(order("order-2"))
    http.post(f"{emulator}/_emulator/order-status", data={"portal_id": "order-2", "status": "shipped"})
    with pytest.raises(Fault) as shipped:
        onec.PostOrderCancellation(cancellation | {"PortalId": "order-2"})
    assert fault_code(shipped.value) == "STATE_CONFLICT"
    assert onec.GetOrderStatuses({"PortalId": ["order-2"]}, 0, 1).Order[0].Status == "shipped"


def test_a_contract_status_is_one_document_per_contract_moved_by_each_new_status(emulator: str, onec: Any) -> None:
    sent = {"PortalId": "contract-7", "Number": "Д-7/2026", "CompanyTaxId": TAX_ID, "Status": "sent",
            "Date": datetime(2026, 12, 1, tzinfo=UTC)}
    first = onec.PostContractStatus(sent)
    repeat = onec.PostContractStatus(sent)
    signed = onec.PostContractStatus(sent | {"Status": "signed", "SignedDate": date(2026, 12, 3)})
    assert (first.Created, repeat.Created, signed.Created) == (True, False, True)
    assert first.Id == repeat.Id == signed.Id
    with pytest.raises(Fault) as undated:
        onec.PostContractStatus(sent | {"PortalId": "contract-8", "Status": "signed"})
    assert fault_code(undated.value) == "VALIDATION"
    [contract] = received(emulator)["contracts"]
    assert contract["history"] == ["sent", "signed"] and contract["signed_date"] == "2026-12-03"


@pytest.mark.parametrize(
    ("post", "code"),
    [
        (lambda: order(CompanyTaxId="12345678"), "UNKNOWN_COMPANY"),
        (lambda: order(CompanyId=guid("company", "nobody")), "UNKNOWN_COMPANY"),
        (lambda: order(Line=[{"LineNo": 1, "ProductId": guid("product", "0"), "Quantity": 1, "Price": 1, "Amount": Decimal("1.00")}],
                       Amount=Decimal("1.00")), "UNKNOWN_PRODUCT"),
        (lambda: order(Amount=Decimal("863.29")), "VALIDATION"),
        (lambda: order(Line=[{"LineNo": 1, "ProductId": PRODUCT, "Quantity": 3, "Price": Decimal("1.01"), "Amount": Decimal("3.00")}],
                       Amount=Decimal("3.00")), "VALIDATION"),
        (lambda: order(Currency="USD"), "VALIDATION"),
        (lambda: order(CompanyTaxId="4215292"), "VALIDATION"),
    ],
)
def test_a_refused_order_is_a_fault_with_a_stable_code_and_records_nothing(
    emulator: str, onec: Any, post: Any, code: str
) -> None:
    with pytest.raises(Fault) as refused:
        onec.PostOrder(post())
    assert fault_code(refused.value) == code and refused.value.message.startswith(f"[{code}] ")
    assert received(emulator)["orders"] == []


def test_a_refused_payment_records_nothing(emulator: str, onec: Any) -> None:
    for wrong, code in (
        (payment(), "UNKNOWN_ORDER"),
        (payment(Allocation=[{"InvoiceNumber": "Р-1", "Amount": Decimal("900.00")}]), "VALIDATION"),
        (payment(Amount=Decimal("0.00"), Allocation=[]), "VALIDATION"),
        (payment(PayerTaxId="99999999", Allocation=[]), "UNKNOWN_COMPANY"),
    ):
        with pytest.raises(Fault) as refused:
            onec.PostPayment(wrong)
        assert fault_code(refused.value) == code
    assert received(emulator)["payments"] == []
    [page], _ = drain(onec, "documents")
    assert page.Document == []


@pytest.mark.parametrize(
    "body",
    [
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>',
        b"<Envelope><Body/></Envelope>",
        _envelope('<GetChanges xmlns="urn:other"/>'),
        _envelope(""),
    ],
)
def test_a_malformed_envelope_is_a_validation_fault(emulator: str, body: bytes) -> None:
    answer = http.post(f"{emulator}/ws/portal_exchange", content=body, auth=(USER, PASSWORD))
    assert answer.status_code == 500 and answer.headers["content-type"].startswith("text/xml")
    fault = ElementTree.fromstring(answer.content).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault.findtext("faultcode") == "soap:Client"
    error = fault.find(f"detail/{{{NS}}}PortalExchangeFault")
    assert error.findtext(f"{{{NS}}}Code") == "VALIDATION" and error.findtext(f"{{{NS}}}Retryable") == "false"


def test_request_field_errors_name_the_field(emulator: str) -> None:
    cases = {
        "<m:GetChanges><m:Entity>prices</m:Entity><m:SinceVersion>x</m:SinceVersion><m:Limit>1</m:Limit></m:GetChanges>": "GetChanges/SinceVersion",
        "<m:GetChanges><m:Entity>orders</m:Entity><m:SinceVersion>0</m:SinceVersion><m:Limit>1</m:Limit></m:GetChanges>": "GetChanges/Entity",
        "<m:GetChanges><m:Entity>prices</m:Entity><m:SinceVersion>0</m:SinceVersion><m:Limit>5000</m:Limit></m:GetChanges>": "Limit",
        "<m:GetOrderStatuses><m:SinceVersion>0</m:SinceVersion><m:Limit>5</m:Limit></m:GetOrderStatuses>":
            "GetOrderStatuses/PortalIds is required",
        "<m:PostOrder/>": "PostOrder/Order",
        "<m:PostPayment><m:Payment><m:Currency>UAH</m:Currency><m:Amount>1e3</m:Amount></m:Payment></m:PostPayment>":
            "PostPayment/Payment/Amount must be a decimal",
        "<m:DropDatabase/>": "DropDatabase",
    }
    for operation, named in cases.items():
        answer = http.post(f"{emulator}/ws/portal_exchange", content=_envelope(operation), auth=(USER, PASSWORD))
        assert answer.status_code == 500
        message = ElementTree.fromstring(answer.content).find(f".//{{{NS}}}Message").text
        assert named in message, message


def test_failures_asked_for_spoil_exactly_the_next_calls(emulator: str, onec: Any) -> None:
    assert http.post(f"{emulator}/_emulator/fail", data={"mode": "server_error", "count": "2"}).status_code == 200
    for _ in range(2):
        with pytest.raises(TransportError) as unavailable:
            onec.GetChanges("stock", 0, 1)
        assert unavailable.value.status_code == 503
    assert onec.GetChanges("stock", 0, 1).Stock
    http.post(f"{emulator}/_emulator/fail", data={"mode": "fault", "code": "BUSY"})
    with pytest.raises(Fault) as busy:
        onec.PostOrder(order())
    assert fault_code(busy.value) == "BUSY" and busy.value.code.endswith("Server")
    assert busy.value.detail.find(f"{{{NS}}}PortalExchangeFault/{{{NS}}}Retryable").text == "true"
    assert received(emulator)["orders"] == [] and onec.PostOrder(order()).Created is True
    http.post(f"{emulator}/_emulator/fail", data={"mode": "delay", "seconds": "0.3"})
    started = time.monotonic()
    onec.GetChanges("balances", 0, 1)
    assert time.monotonic() - started >= 0.3
    for wrong in ({"mode": "explode"}, {"mode": "fault", "code": "OOPS"}, {"mode": "delay", "count": "x"}):
        assert http.post(f"{emulator}/_emulator/fail", data=wrong).status_code == 400


def test_the_page_shows_what_arrived_and_acts_as_1c(emulator: str, onec: Any) -> None:
    onec.PostOrder(order("order-on-the-page"))
    page = http.get(f"{emulator}/")
    assert page.status_code == 200 and "order-on-the-page" in page.text and "ЗМ-000001" in page.text
    _, companies_cursor = drain(onec, "companies")
    added = http.post(f"{emulator}/_emulator/company", data={
        "name": 'ТОВ "Нова Крамниця"', "tax_id": "41234567", "phone": "+380501112233", "email": "shop@example.com",
        "price_type_id": guid("price-type", "Оптова"),
    })
    assert added.status_code == 303
    [company] = onec.GetChanges("companies", companies_cursor, 10).Company
    assert (company.Name, company.TaxId, company.Email, company.Kind) == ('ТОВ "Нова Крамниця"', "41234567", "shop@example.com", "legal")
    paid = http.post(f"{emulator}/_emulator/payment", data={"company_id": company.Id, "amount": "1500,00", "purpose": "Аванс"})
    assert paid.status_code == 303
    [document] = onec.GetChanges("documents", 0, 10).Document
    assert (document.Kind, document.PortalId, document.PaymentSource, document.Amount) == ("payment", None, "bank", Decimal("1500.00"))
    assert balance_of(onec, company.Id) == Decimal("-1500.00")


def test_bad_input_on_the_page_is_explained_and_changes_nothing(emulator: str, onec: Any) -> None:
    _, cursor = drain(onec, "prices")
    wholesale = guid("price-type", "Оптова")
    for form in ({"sku": "A-1001", "price_type_id": wholesale, "price": "дорого"},
                 {"sku": "A-1001", "price_type_id": wholesale, "price": "-5"},
                 {"sku": "NO-SUCH", "price_type_id": wholesale, "price": "5"}):
        answer = http.post(f"{emulator}/_emulator/price", data=form)
        assert answer.status_code == 400 and 'class="error"' in answer.text
    assert http.post(f"{emulator}/_emulator/company", data={"name": "X", "tax_id": "123"}).status_code == 400
    assert http.post(f"{emulator}/_emulator/company", data={"name": "Дубль", "tax_id": TAX_ID}).status_code == 400
    assert not onec.GetChanges("prices", cursor, 10).Price
    assert len(drain(onec, "companies")[0][0].Company) == 12


def test_books_given_to_1c_come_back_as_its_own_and_take_orders(emulator: str, onec: Any) -> None:
    _, cursor = drain(onec, "catalog")
    books = {
        "price_types": [{"id": guid("price-type", "Демо"), "name": "Демо"}],
        "products": [{"id": guid("product", "demo-1"), "sku": "DEMO-1", "name": "Кава демо", "vat_rate": "20"}],
        "prices": [{"price_type_id": guid("price-type", "Демо"), "product_id": guid("product", "demo-1"),
                    "price": "99.90"}],
        "companies": [{"id": guid("company", "demo"), "name": "ТОВ Демо", "kind": "legal", "tax_id": "42152938",
                       "payment_terms": "deferred", "deferral_days": 14}],
    }
    answer = http.post(f"{emulator}/_emulator/books", json=books)
    assert answer.status_code == 200 and answer.json()["products"] == 1
    [product] = onec.GetChanges("catalog", cursor, 10).Product
    assert (product.Sku, product.Name) == ("DEMO-1", "Кава демо")
    posted = onec.PostOrder({
        "PortalId": "order-demo-1", "Number": "Д-1", "Date": datetime(2026, 12, 1, 10, tzinfo=UTC),
        "CompanyId": guid("company", "demo"), "CompanyTaxId": "42152938", "Currency": "UAH", "Amount": Decimal("199.80"),
        "Line": [{"LineNo": 1, "ProductId": guid("product", "demo-1"), "Quantity": Decimal("2"),
                  "Price": Decimal("99.90"), "Amount": Decimal("199.80")}],
    })
    assert posted.Created is True
    # 1C's debt of a customer it was given starts at none and is not news until a document moves it.
    assert guid("company", "demo") not in {b.CompanyId for b in drain(onec, "balances")[0][0].Balance or []}
    for broken in ([1, 2], {"products": [{"sku": "NO-ID"}]}):
        refused = http.post(f"{emulator}/_emulator/books", json=broken)
        assert refused.status_code == 400 and "error" in refused.json()


def test_every_answer_is_checked_against_the_contracts_schema(onec: Any, schema_check: SchemaCheck) -> None:
    before = schema_check.checked
    onec.GetChanges("balances", 0, 1)
    assert schema_check.checked == before + 1
    wrong = etree.fromstring(
        f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:m="{NS}"><s:Body><m:GetChangesResponse><m:return>'
        "<m:Entity>orders</m:Entity></m:return></m:GetChangesResponse></s:Body></s:Envelope>"
    )
    with pytest.raises(etree.DocumentInvalid):
        schema_check.ingress(wrong, {}, None)


def test_the_emulator_shares_no_code_with_a_soap_library() -> None:
    script = "import sys, emulators.onec; print(sorted(m for m in sys.modules if m.split('.')[0] in ('zeep', 'onec')))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
