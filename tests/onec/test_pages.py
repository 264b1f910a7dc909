"""#12: what customers and staff see of the 1C exchange: 1C's sections and images on the
product page, "last synced", the staff's sync page with its retries, and the stalled-exchange
alarm."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_babel import format_datetime
from sqlalchemy import select

from core import outbox
from core.catalog.models import Price, PriceType, Product
from core.clock import utcnow
from core.money import format_money
from core.files.services import store_file
from core.outbox import OutboxEvent
from notify.events import BY_KEY
from notify.models import Message
from notify.planning import Wording
from onec.importer import Options, import_files
from onec.models import ExchangeRun, OnecBalance, ProductImage
from onec.stall import check_stalled, stalled_exchange_job
from tests.conftest import login
from tests.topics import calls
from tests.onec.test_importer import P_JUICE, P_WATER, PT_OPT, catalog, offers

JPEG = b"\xff\xd8\xff\xe0" + b"1C image" * 10


@pytest.fixture
def imported(onec_app: Flask, db: Any, tmp_path: Path) -> Product:
    """1C's package with the juice's image beside it, as 1C sends it."""
    image = tmp_path / "import_files" / "20" / "juice.jpg"
    image.parent.mkdir(parents=True)
    image.write_bytes(JPEG)
    with onec_app.app_context():  # the image goes to the app's file store
        import_files(db, [catalog(tmp_path), offers(tmp_path)], options=Options(files_dir=tmp_path))
    return db.scalar(select(Product).where(Product.onec_guid == P_JUICE))


@pytest.fixture
def buyer(db: Any, make_company: Any, make_user: Any) -> Any:
    """A customer on 1C's price type."""
    company = make_company()
    company.price_type_id = db.scalar(select(PriceType.id).where(PriceType.onec_guid == PT_OPT))
    db.flush()
    return make_user(company)


def logged(app: Flask, email: str, staff: bool = False) -> Any:
    client = app.test_client()
    assert login(client, email, staff=staff).status_code == 302
    return client


def image_urls(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', html)


def test_the_product_page_shows_what_1c_sent_and_when_prices_last_arrived(onec_app, db, imported, buyer):
    client = logged(onec_app, buyer.email)
    html = client.get(f"/products/{imported.id}").get_data(as_text=True)
    assert "42,50" in html  # the customer's own price type: 1C's "Оптова"
    assert re.search(r"<dt>Виробник</dt><dd>Сандора</dd>", html)
    assert re.search(r"<dt>Інші штрихкоди</dt><dd>4820000000028</dd>", html)
    assert "4820000000011" in html  # the first barcode, the kernel's own
    [url] = image_urls(html)
    response = client.get(url)
    assert response.status_code == 200 and response.data == JPEG and response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff" and "private" in response.headers["Cache-Control"]
    offers_run = db.scalar(select(ExchangeRun).where(ExchangeRun.entity == "offers"))
    with onec_app.test_request_context():
        kyiv = format_datetime(offers_run.finished_at, "dd.MM.yyyy HH:mm")  # Europe/Kyiv on screen
    assert f"Ціни й залишки оновлено {kyiv}" in html
    assert f"Ціни й залишки оновлено {kyiv}" in client.get("/").get_data(as_text=True)


def test_without_the_feature_the_page_has_the_kernels_fields_only(without_onec, db, imported, buyer):
    client = without_onec.test_client()
    login(client, buyer.email)
    html = client.get(f"/products/{imported.id}").get_data(as_text=True)
    assert "42,50" in html and "4820000000011" in html
    assert "Сандора" not in html and "4820000000028" not in html and not image_urls(html)
    assert 'data-test="synced-at"' not in html and 'data-test="synced-at"' not in client.get("/").get_data(as_text=True)


def test_the_page_in_english(onec_app, db, imported, buyer):
    client = logged(onec_app, buyer.email)
    client.get("/lang/en")
    html = client.get(f"/products/{imported.id}").get_data(as_text=True)
    assert "Other barcodes" in html and "Specifications" in html and "Prices and stock updated" in html


def test_an_image_is_served_only_for_an_active_product_it_belongs_to(onec_app, db, imported, buyer, make_product):
    client = logged(onec_app, buyer.email)
    [url] = image_urls(client.get(f"/products/{imported.id}").get_data(as_text=True))
    file_id = url.rsplit("/", 1)[1]
    other = make_product(sku="OTHER-1")
    assert client.get(f"/products/{other.id}/images/{file_id}").status_code == 404  # not this product's image
    assert onec_app.test_client().get(url).status_code == 302  # a login first
    imported.is_active = False
    db.flush()
    assert client.get(url).status_code == 404  # the product left the catalog: its page and images too
    assert client.get(f"/products/{imported.id}").status_code == 404


def test_a_file_that_is_not_an_image_is_never_served_inline(onec_app, db, imported, buyer):
    page = db.scalar(select(Product).where(Product.onec_guid == P_WATER))
    db.add(Price(price_type_id=buyer.company.price_type_id, product_id=page.id, amount=10))
    with onec_app.app_context():
        stored = store_file(db, b"<svg onload=alert(1)>", "evil.svg", "image/svg+xml")
    db.add(ProductImage(product_id=page.id, path="import_files/evil.svg", file_id=stored.id))
    db.flush()
    client = logged(onec_app, buyer.email)
    assert client.get(f"/products/{page.id}/images/{stored.id}").status_code == 404


# --- the managers' queue of debts 1C sees otherwise ---------------------------------------


def _balance(db: Any, company: Any, debt: str, portal: str, *, differs: bool) -> OnecBalance:
    row = OnecBalance(company_id=company.id, debt=Decimal(debt), overdue_debt=Decimal("0.00"), as_of=utcnow(),
                      portal_debt=Decimal(portal), differs_since=utcnow() if differs else None)
    db.add(row)
    db.flush()
    return row


def test_a_debt_1c_sees_otherwise_waits_in_the_managers_queue(onec_app, db, make_staff, make_company):
    manager, other = make_staff("manager"), make_staff("manager")
    mine = make_company(name="ТОВ Моя Різниця", manager_id=manager.id)
    theirs = make_company(name="ТОВ Чужа Різниця", manager_id=other.id)
    agreed = make_company(name="ТОВ Усе Збігається", manager_id=manager.id)
    _balance(db, mine, "1500.00", "1200.00", differs=True)
    _balance(db, theirs, "10.00", "0.00", differs=True)
    _balance(db, agreed, "99.00", "99.00", differs=False)
    client = logged(onec_app, manager.email, staff=True)

    html = client.get("/staff/balance-differences").get_data(as_text=True)
    assert 'href="/staff/balance-differences"' in html  # the menu entry
    assert "ТОВ Моя Різниця" in html and "ТОВ Чужа Різниця" in html and "ТОВ Усе Збігається" not in html
    assert all(format_money(Decimal(v)) in html for v in ("1500.00", "1200.00", "300.00"))
    only_mine = client.get("/staff/balance-differences?mine=y").get_data(as_text=True)
    assert "ТОВ Моя Різниця" in only_mine and "ТОВ Чужа Різниця" not in only_mine

    client.get("/lang/en")
    assert "Debt in 1C" in client.get("/staff/balance-differences").get_data(as_text=True)
    assert logged(onec_app, make_staff("lawyer").email, staff=True).get("/staff/balance-differences").status_code == 403


# --- the staff's sync page ------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "head_of_sales", "accountant", "admin"])
def test_sales_accounting_and_the_admin_see_the_sync_page(onec_app, db, make_staff, imported, role):
    client = logged(onec_app, make_staff(role).email, staff=True)
    html = client.get("/staff/sync").get_data(as_text=True)
    assert "Обмін з 1С" in html and 'href="/staff/sync"' in html  # the page and its menu entry
    assert 'data-test="last-success"' in html and "з 1С: offers" in html
    assert html.count("<tr data-run=") == 2


def test_a_lawyer_and_a_customer_do_not(onec_app, db, make_staff, customer):
    assert logged(onec_app, make_staff("lawyer").email, staff=True).get("/staff/sync").status_code == 403
    response = logged(onec_app, customer.email).get("/staff/sync")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert onec_app.test_client().get("/staff/sync/runs/1").status_code == 302


def test_without_the_feature_there_is_no_sync_page(without_onec, make_staff):
    client = without_onec.test_client()
    login(client, make_staff("admin").email, staff=True)
    assert client.get("/staff/sync").status_code == 404
    assert client.get("/staff/balance-differences").status_code == 404
    menu = client.get("/staff/").get_data(as_text=True)
    assert "/staff/sync" not in menu and "/staff/balance-differences" not in menu


def test_runs_filter_and_a_run_shows_its_skipped_items_with_reasons(onec_app, db, make_staff, imported):
    client = logged(onec_app, make_staff("manager").email, staff=True)
    html = client.get("/staff/sync", query_string={"entity": "catalog"}).get_data(as_text=True)
    [run_id] = re.findall(r'<tr data-run="(\d+)"', html)
    assert client.get("/staff/sync", query_string={"status": "failed"}).get_data(as_text=True).count("<tr data-run=") == 0
    # A value that is no choice is no filter, not an error page.
    assert client.get("/staff/sync", query_string={"direction": "sideways"}).get_data(as_text=True).count("<tr data-run=") == 2
    html = client.get(f"/staff/sync/runs/{run_id}").get_data(as_text=True)
    assert "немає Ид" in html and "БЕЗ-ИД" in html
    client.get("/lang/en")
    assert "no Ид" in client.get(f"/staff/sync/runs/{run_id}").get_data(as_text=True)
    assert client.get("/staff/sync/runs/99999999").status_code == 404


def broken_run(onec_app: Flask, db: Any, folder: Path) -> tuple[ExchangeRun, Path]:
    """offers.xml imported while 1C was still sending it: cut short, the run failed."""
    folder.mkdir()
    onec_app.config["ONEC_EXCHANGE_DIR"] = str(folder)
    whole = offers(folder)
    complete = whole.read_bytes()
    whole.write_bytes(complete[:300])
    [run] = import_files(db, [whole], source="commerceml")
    assert run.status == "failed" and run.error.startswith("truncated")
    whole.write_bytes(complete)
    return run, whole


def test_a_failed_file_run_is_retried_once_from_the_exchange_folder(onec_app, db, make_staff, tmp_path, imported):
    run, _ = broken_run(onec_app, db, tmp_path / "exchange")
    client = logged(onec_app, make_staff("head_of_sales").email, staff=True)
    page = client.get(f"/staff/sync/runs/{run.id}").get_data(as_text=True)
    assert f'action="/staff/sync/runs/{run.id}/retry"' in page
    response = client.post(f"/staff/sync/runs/{run.id}/retry", data={"csrf_token": csrf(page)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    retry = db.scalar(select(ExchangeRun).where(ExchangeRun.retry_of == run.id))
    assert retry.status == "success" and retry.source == "commerceml" and retry.entity == "offers"
    assert f"Повторний обмін №{retry.id} пройшов успішно." in html
    # A double click (or a second person): the same retry, nothing runs again.
    response = client.post(f"/staff/sync/runs/{run.id}/retry", data={"csrf_token": csrf(page)}, follow_redirects=True)
    assert f"Обмін №{run.id} уже повторено: обмін №{retry.id}." in response.get_data(as_text=True)
    assert db.scalar(select(ExchangeRun.id).where(ExchangeRun.id > retry.id)) is None
    assert 'data-test="retried-by"' in client.get(f"/staff/sync/runs/{run.id}").get_data(as_text=True)


def test_a_retry_reads_the_file_store_when_the_folder_lost_the_file(onec_app, db, make_staff, tmp_path, imported):
    run, whole = broken_run(onec_app, db, tmp_path / "exchange")
    cut = whole.read_bytes()[:300]
    whole.unlink()
    with onec_app.app_context():
        store_file(db, cut, "offers.xml", "application/xml")  # the very bytes the run read
    client = logged(onec_app, make_staff("admin").email, staff=True)
    page = client.get(f"/staff/sync/runs/{run.id}").get_data(as_text=True)
    html = client.post(f"/staff/sync/runs/{run.id}/retry", data={"csrf_token": csrf(page)},
                       follow_redirects=True).get_data(as_text=True)
    retry = db.scalar(select(ExchangeRun).where(ExchangeRun.retry_of == run.id))
    assert retry.status == "failed" and retry.file_sha256 == run.file_sha256
    assert f"Повторний обмін №{retry.id} знову завершився помилкою." in html


def test_a_retry_without_the_file_anywhere_says_so_and_changes_nothing(onec_app, db, make_staff, tmp_path, imported):
    run, whole = broken_run(onec_app, db, tmp_path / "exchange")
    whole.unlink()
    client = logged(onec_app, make_staff("accountant").email, staff=True)
    page = client.get(f"/staff/sync/runs/{run.id}").get_data(as_text=True)
    html = client.post(f"/staff/sync/runs/{run.id}/retry", data={"csrf_token": csrf(page)},
                       follow_redirects=True).get_data(as_text=True)
    assert "Файлу «offers.xml» уже немає ні в папці обміну, ні у сховищі файлів" in html
    assert db.scalar(select(ExchangeRun).where(ExchangeRun.retry_of == run.id)) is None


def test_a_manager_may_not_retry_and_a_successful_run_has_nothing_to_retry(onec_app, db, make_staff, tmp_path, imported):
    run, _ = broken_run(onec_app, db, tmp_path / "exchange")
    manager = logged(onec_app, make_staff("manager").email, staff=True)
    page = manager.get(f"/staff/sync/runs/{run.id}").get_data(as_text=True)
    assert "/retry" not in page
    assert manager.post(f"/staff/sync/runs/{run.id}/retry", data={"csrf_token": csrf(page)}).status_code == 403
    assert manager.post("/staff/sync/backlog/retry", data={"csrf_token": csrf(page)}).status_code == 403
    head = logged(onec_app, make_staff("head_of_sales").email, staff=True)
    page = head.get(f"/staff/sync/runs/{run.id}").get_data(as_text=True)
    assert db.scalar(select(ExchangeRun).where(ExchangeRun.retry_of == run.id)) is None
    done = db.scalar(select(ExchangeRun).where(ExchangeRun.entity == "catalog"))
    html = head.post(f"/staff/sync/runs/{done.id}/retry", data={"csrf_token": csrf(page)},
                     follow_redirects=True).get_data(as_text=True)
    assert f"Обмін №{done.id} не завершився помилкою — повторювати нічого." in html
    assert head.post("/staff/sync/runs/99999999/retry", data={"csrf_token": csrf(page)}).status_code == 404


def test_the_backlog_shows_what_1cs_handlers_owe_and_retries_the_failed(onec_app, db, make_staff):
    with onec_app.app_context():
        refused = outbox.emit(db, "test.to_onec", {"refuse_first": True})
        waiting = outbox.emit(db, "test.to_onec", {})
        other = outbox.emit(db, "test.ping", {})  # no handler of 1C's: not its backlog
        db.commit()
        assert outbox.deliver(db, refused.id) == "failed"
    client = logged(onec_app, make_staff("accountant").email, staff=True)
    html = client.get("/staff/sync").get_data(as_text=True)
    backlog = html.split('data-test="backlog"')[1].split("</section>")[0]
    assert re.findall(r'<div class="number">(\S+)</div>', backlog)[:2] == ["1", "1"]
    assert f"№{refused.id} test.to_onec" in backlog and f"№{waiting.id}" in backlog and f"№{other.id} " not in backlog
    response = client.post("/staff/sync/backlog/retry", data={"csrf_token": csrf(html)}, follow_redirects=True)
    assert "Подій поставлено в чергу ще раз: 1." in response.get_data(as_text=True)
    db.refresh(refused)
    assert refused.status == "done" and calls.count(("to_onec", refused.id)) == 2  # queued again and delivered
    response = client.post("/staff/sync/backlog/retry", data={"csrf_token": csrf(html)}, follow_redirects=True)
    assert "Невдалих подій для 1С немає — повторювати нічого." in response.get_data(as_text=True)


def csrf(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


# --- the stalled exchange -------------------------------------------------------------


def stalled_events(db: Any) -> list[OutboxEvent]:
    return list(db.scalars(select(OutboxEvent).where(OutboxEvent.topic == "onec.exchange_stalled")))


def test_a_stalled_exchange_is_raised_once_per_stall(onec_app, db, tmp_path):
    start = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)
    with onec_app.app_context():
        onec_app.config["ONEC_STALE_AFTER_MINUTES"] = 60
        [run] = import_files(db, [offers(tmp_path)])
        run.finished_at = start
        db.flush()
        assert check_stalled(db, start + timedelta(minutes=59)) is None  # not stalled yet
        first = check_stalled(db, start + timedelta(minutes=61))
        assert first.payload["last_success_at"] == start.isoformat() and first.payload["stale_after_minutes"] == 60
        assert check_stalled(db, start + timedelta(minutes=90)) is None  # the same stall: told already
        stalled_exchange_job(db)  # the job, at the real clock: still the same stall
        assert len(stalled_events(db)) == 1
        [again] = import_files(db, [offers(tmp_path)])  # 1C is back...
        again.finished_at = start + timedelta(hours=2)
        db.flush()
        assert check_stalled(db, start + timedelta(hours=2, minutes=30)) is None
        second = check_stalled(db, start + timedelta(hours=3, minutes=1))  # ...and silent again: a new stall
        assert second.payload["last_success_at"] == (start + timedelta(hours=2)).isoformat()
        assert len(stalled_events(db)) == 2


def test_no_exchange_ever_is_a_stall_told_once(onec_app, db):
    with onec_app.app_context():
        now = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc)
        assert check_stalled(db, now).payload["last_success_at"] is None
        assert check_stalled(db, now + timedelta(hours=5)) is None


def test_a_stalled_exchange_e_mails_the_head_of_sales_and_the_admin(onec_app, db, make_staff):
    head, admin = make_staff("head_of_sales"), make_staff("admin", phone="+380671112233")
    make_staff("manager")
    make_staff("head_of_sales", is_active_flag=False)
    with onec_app.app_context():
        raised = check_stalled(db, datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc))
        db.commit()
        assert outbox.deliver(db, raised.id) == "done"  # notify plans the messages
        messages = list(db.scalars(select(Message).where(Message.event_id == raised.id)))
        assert {(m.channel, m.recipient, m.language) for m in messages} == \
            {("email", head.email, "uk"), ("email", admin.email, "uk")}  # no SMS, no manager, nobody switched off
        assert messages[0].subject == "Обмін з 1С зупинився" and "Успішних обмінів ще не було." in messages[0].body
        assert f"Сторінка обміну: {onec_app.config['PUBLIC_BASE_URL'].rstrip('/')}/staff/sync" in messages[0].body
        payload = {**raised.payload, "last_success_at": "2026-12-07T06:00:00+00:00"}
        subject, body = Wording(db, BY_KEY["exchange_stalled"], payload).render("email", "en")
    assert subject == "The 1C exchange has stalled"
    assert "for over 60 min" in body and "Last successful sync: 07/12/2026 08:00." in body  # Kyiv time, UTC+2


def test_every_reason_a_run_can_keep_has_words_for_staff() -> None:
    """A reason code written anywhere in onec/ is shown in words on the run's page, not as code."""
    from core.config import ROOT
    from onec.pull.companies import REASON_OF_FIELD
    from onec.reasons import SKIP_REASONS

    source = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "onec").rglob("*.py"))
    written = set(re.findall(r'(?:skip|Skipped)\([^()]*?, "([a-z_]+)"', source)) | set(REASON_OF_FIELD.values())
    assert written and not written - set(SKIP_REASONS), written - set(SKIP_REASONS)


# --- 1C's documents of an order, on the customer's and the staff's order pages ----------


def test_an_orders_page_shows_1cs_number_and_its_posted_documents(onec_app, db, make_staff, imported, buyer):
    from core.orders.services import Actor, submit_order
    from onec.models import OnecDocument, OnecDocumentRef

    with onec_app.test_request_context():
        order = submit_order(db, buyer.company, [(imported.id, Decimal("6"))], actor=Actor.of(buyer),
                             idempotency_key="order-page-1c",
                             delivery_point_id=buyer.company.delivery_points[0].id).order
    day = datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)
    db.add(OnecDocumentRef(portal_id=f"order-{order.id}", kind="order", object_id=order.id,
                           onec_id="10000000-0000-0000-0000-000000000001", number="ЗМ-000777", onec_date=day))
    for guid, kind, number, posted in (("20000000-0000-0000-0000-000000000001", "shipment", "ВН-000123", True),
                                       ("20000000-0000-0000-0000-000000000002", "shipment", "ВН-000124", False)):
        db.add(OnecDocument(guid=guid, kind=kind, number=number, date=day, company_id=order.company_id,
                            amount=Decimal("20.00"), order_id=order.id, posted=posted))
    db.commit()

    customer_page = logged(onec_app, buyer.email).get(f"/orders/{order.id}").get_data(as_text=True)
    staff_page = logged(onec_app, make_staff("manager").email, staff=True).get(f"/staff/orders/{order.id}").get_data(as_text=True)
    for html in (customer_page, staff_page):
        assert 'data-test="order-section"' in html and "Документи 1С" in html
        assert "ЗМ-000777" in html and "ВН-000123" in html and "03.12.2026" in html
        assert "ВН-000124" not in html  # unposted in 1C: not a document yet
