"""On a phone a wide staff table scrolls inside its wrapper, never the page; the wrapper is
a named region the keyboard can reach (axe: scrollable-region-focusable)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from html.parser import HTMLParser

from core.orders.models import Promotion
from core.outbox import OutboxEvent
from payments.allocation import set_payment_status
from payments.bank.importer import import_statement
from payments.bank.samples import build_1c_statement, iban
from payments.dunning import run_ladder
from payments.models import Payment
from tests.backoffice.test_notify_pages import message_row
from tests.payments.conftest import invoices_of


class TableWrappers(HTMLParser):
    """Each <table> of a page, with whether an enclosing element is a focusable, named
    .table-wrap region."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, bool]] = []  # (tag, is a proper scroll region)
        self.tables: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        region = (
            "table-wrap" in (found.get("class") or "").split()
            and found.get("tabindex") == "0" and found.get("role") == "region" and bool((found.get("aria-label") or "").strip())
        )
        if tag == "table":
            self.tables.append(any(is_region for _, is_region in self.open))
        if tag not in ("input", "br", "img", "meta", "link", "hr", "col"):
            self.open.append((tag, region))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break


def wrapped_tables(html: str) -> list[bool]:
    parser = TableWrappers()
    parser.feed(html)
    return parser.tables


def test_every_staff_table_scrolls_inside_a_focusable_named_region(
    app, client, db, as_staff, make_company, make_user, make_staff, make_product, confirmed_order
):
    manager = make_staff("manager")
    held_company = make_company(payment_terms="deferred", deferral_days=5, credit_limit=Decimal("100"), manager_id=manager.id)
    held = confirmed_order(make_user(held_company, invited_at=datetime.now(timezone.utc)))
    assert held.status == "on_hold"
    debtor = make_user(make_company(manager_id=manager.id))
    order = confirmed_order(debtor)
    (invoice,) = invoices_of(db, order)
    with app.test_request_context():
        run_ladder(db, invoice.due_on + timedelta(days=8))
        import_statement(db, build_1c_statement([{
            "number": "B1", "date": date(2026, 11, 20), "amount": Decimal("123.45"), "payer_name": "Іван Платник",
            "payer_tax_id": "", "payer_account": iban("305299", "26001055500001"), "purpose": "Незрозуміло що",
        }], iban("300465", "26002012345678")), "statement.txt", None)
    payment = Payment(source="manual", external_id="m-1", amount=Decimal("50.00"), needs_review=True, review_reason="?")
    db.add(payment)
    set_payment_status(payment, "succeeded", "Бухгалтер")
    db.add(OutboxEvent(topic="t", payload={}, status="failed"))
    db.add(Promotion(name="Грудень", kind="online_order", percent=Decimal("5"), starts_on=date(2026, 12, 1),
                     ends_on=date(2026, 12, 31)))
    message_row(db)
    db.flush()
    as_staff("admin")

    pages = [
        "/staff/orders", "/staff/holds", "/staff/collections", "/staff/companies", "/staff/catalog/products",
        "/staff/catalog/price-types", "/staff/payments/queue", "/staff/payments/import", "/staff/outbox",
        "/staff/messages", "/staff/notify/templates", "/staff/invitations", "/staff/promotions", "/staff/staff-users",
        f"/staff/orders/{order.id}", f"/staff/companies/{held_company.id}", f"/staff/payments/{payment.id}",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        tables = wrapped_tables(response.get_data(as_text=True))
        assert tables, f"{url}: no table to check"
        assert all(tables), f"{url}: a table outside a focusable, named .table-wrap region"


def test_the_checker_sees_a_bare_table_and_an_unnamed_wrapper():
    assert wrapped_tables('<div class="table-wrap" tabindex="0" role="region" aria-label="Замовлення"><table></table></div>') == [True]
    assert wrapped_tables("<section><table></table></section>") == [False]
    assert wrapped_tables('<div class="table-wrap"><table></table></div>') == [False]
    assert wrapped_tables('<div class="table-wrap" tabindex="0" role="region" aria-label=""><table></table></div>') == [False]
