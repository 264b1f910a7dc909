"""List pages must not run one query per row: the count stays the same for 2 rows and for 12."""
from contextlib import contextmanager

from sqlalchemy import event

from core.outbox import OutboxEvent


@contextmanager
def counted_queries(app):
    statements = []
    engine = app.extensions["db_engine"]

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def queries_for(app, client, url):
    with counted_queries(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_list_pages_do_not_query_per_row(app, client, db, as_staff, make_company, make_staff, make_product, make_user, make_order):
    make_product()
    as_staff("admin")

    def add_rows(n):
        for _ in range(n):
            company = make_company(manager_id=make_staff("manager").id)
            make_user(company)
            make_order(company)
            make_product()
            db.add(OutboxEvent(topic="t", payload={}, status="failed"))
        db.flush()

    urls = ["/staff/orders", "/staff/companies", "/staff/catalog/products", "/staff/outbox", "/staff/messages"]
    add_rows(2)
    few = {url: queries_for(app, client, url) for url in urls}
    add_rows(10)
    many = {url: queries_for(app, client, url) for url in urls}
    assert few == many


def test_company_card_and_order_page_do_not_query_per_row(app, client, db, as_staff, make_company, make_user, make_product, make_order):
    make_product()
    company = make_company()
    as_staff("manager")
    make_user(company)
    order = make_order(company)
    few = (queries_for(app, client, f"/staff/companies/{company.id}"), queries_for(app, client, f"/staff/orders/{order.id}"))
    for _ in range(8):
        make_user(company)
        make_order(company)
    many = (queries_for(app, client, f"/staff/companies/{company.id}"), queries_for(app, client, f"/staff/orders/{order.id}"))
    assert few == many
