"""#12.1 /1c/exchange, the catalog side: the conversation as 1C performs it (checkauth,
init, file in parts, import until success), over the test client and over real HTTP; and
every refusal (credentials, cookies, file names, archives, bodies) logged and harmless."""
from __future__ import annotations

import io
import struct
import threading
import time
import warnings
import zipfile
import zlib
from xml.etree import ElementTree
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from core.catalog.models import Price, Product, Stock
from core.clock import frozen_at
from emulators.http import serve_in_thread
from emulators.onec.commerceml import write_catalog, write_offers, zip_package
from onec.models import ExchangeRun, ExchangeSession, ProductImage
from tests.apps import separate_app
from tests.own_database import own_database  # noqa: F401  (a fixture)
from tests.onec.exchange_support import FILE_LIMIT, OneC, basic, exchange_app, exchange_config  # noqa: F401

PRODUCTS = 300


def runs(db: Any, **where: Any) -> list[ExchangeRun]:
    return list(db.scalars(select(ExchangeRun).filter_by(**where).order_by(ExchangeRun.id)))


def count(db: Any, model: Any) -> int:
    return db.scalar(select(func.count()).select_from(model))


def onec(exchange_app: Any) -> OneC:
    # 1C sends the cookie in a header of its own; the test client's cookie jar would drop it.
    return OneC(exchange_app.test_client(use_cookies=False))


def having_sent(exchange_app: Any, *paths: Path) -> OneC:
    """1C after checkauth and init, these files sent."""
    one_c = onec(exchange_app)
    one_c.checkauth()
    one_c.init()
    for path in paths:
        one_c.send(path)
    return one_c


def import_alone(exchange_app: Any, path: Path) -> list[str]:
    """An exchange of this one file: what its import is answered in the end."""
    return having_sent(exchange_app, path).import_until_done(path.name)[0]


def test_the_whole_catalog_conversation_lands_the_package(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    written = write_catalog(tmp_path / "import.xml", products=PRODUCTS)
    write_offers(tmp_path / "offers.xml", products=PRODUCTS)
    products = written.products - written.deleted  # 1C's deletion marks: not created
    one_c = onec(exchange_app)
    answer = one_c.checkauth()
    assert answer[1] == "portal_1c_exchange" and len(answer[2]) >= 40
    assert one_c.init() == {"zip": "yes", "file_limit": str(FILE_LIMIT)}
    assert one_c.send(tmp_path / "import.xml") > 1  # larger than file_limit: several POSTs appended
    one_c.send(tmp_path / "offers.xml")
    assert one_c.import_until_done("import.xml") == (["success"], 0)
    assert one_c.import_until_done("offers.xml") == (["success"], 0)
    assert count(db, Product) == products
    assert count(db, Price) > 0 and count(db, Stock) > 0
    assert [(r.entity, r.status, r.source) for r in runs(db)] == [
        ("catalog", "success", "commerceml"), ("offers", "success", "commerceml")]
    # The same package again changes nothing.
    one_c.init()
    one_c.send(tmp_path / "import.xml")
    assert one_c.import_until_done("import.xml") == (["success"], 0)
    assert (runs(db)[-1].created, runs(db)[-1].updated, runs(db)[-1].unchanged > 0) == (0, 0, True)


def test_init_answers_the_settings_and_the_version_1c_names(exchange_app: Any, tmp_path: Path) -> None:
    exchange_app.config.update(ONEC_EXCHANGE_ZIP=False, ONEC_EXCHANGE_FILE_LIMIT=1000)
    one_c = onec(exchange_app)
    one_c.checkauth()
    assert one_c.init() == {"zip": "no", "file_limit": "1000"}
    assert one_c.init(version="3.1") == {"zip": "no", "file_limit": "1000", "version": "3.1"}
    assert one_c.init(version="9.9")["version"] == "2.08"


def test_a_split_package_of_a_newer_configuration_imports_file_by_file(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    package = tmp_path / "split"
    package.mkdir()
    written = write_catalog(package, products=50, split=True, version="3.1")
    write_offers(package, products=50, split=True, version="3.1")
    one_c = onec(exchange_app)
    one_c.checkauth()
    one_c.init()
    names = sorted(path.name for path in package.iterdir())
    assert len(names) == 6
    for name in names:
        one_c.send(package / name)
    # 1C imports in its own order: groups, properties, import, offers, prices, rests.
    for prefix in ("groups", "propertiesGoods", "import", "offers", "prices", "rests"):
        name = next(n for n in names if n.startswith(prefix + "___"))
        assert one_c.import_until_done(name) == (["success"], 0), name
    assert count(db, Product) == written.products - written.deleted
    assert count(db, Price) > 0 and count(db, Stock) > 0


def test_a_zip_package_is_unpacked_at_the_first_import_with_its_images(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    written = write_catalog(tmp_path / "import.xml", products=40, encoding="windows-1251")
    write_offers(tmp_path / "offers.xml", products=40)
    zip_package([tmp_path / "import.xml", tmp_path / "offers.xml"], tmp_path / "package.zip")
    with zipfile.ZipFile(tmp_path / "package.zip", "a") as archive:
        archive.writestr("import_files/ab/photo.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")
    one_c = onec(exchange_app)
    one_c.checkauth()
    one_c.init()
    one_c.send(tmp_path / "package.zip", filename="PACKAGE.ZIP", limit=4096)  # as 1C on Windows may name it
    assert one_c.import_until_done("import.xml") == (["success"], 1)  # one progress: the unpacking
    assert one_c.import_until_done("offers.xml") == (["success"], 0)
    assert count(db, Product) == written.products - written.deleted
    assert [r.status for r in runs(db)] == ["success", "success"]


def test_images_of_the_package_are_kept_from_the_session_folder(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    guid = "20000000-0000-0000-0000-00000000000a"
    catalog = tmp_path / "import.xml"
    catalog.write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<КоммерческаяИнформация ВерсияСхемы="2.08"><Каталог><Ид>c</Ид><Наименование>К</Наименование><Товары>
<Товар><Ид>{guid}</Ид><Артикул>IMG-1</Артикул><Наименование>Сік</Наименование>
<Картинка>import_files/20/juice.jpg</Картинка></Товар></Товары></Каталог></КоммерческаяИнформация>""", encoding="utf-8")
    image = tmp_path / "juice.jpg"
    image.write_bytes(b"\xff\xd8\xff\xe0 image bytes")
    one_c = onec(exchange_app)
    one_c.checkauth()
    one_c.init()
    one_c.send(image, filename="import_files/20/juice.jpg")
    one_c.send(catalog)
    assert one_c.import_until_done("import.xml") == (["success"], 0)
    product = db.scalar(select(Product).where(Product.onec_guid == guid))
    stored = db.scalar(select(ProductImage).where(ProductImage.product_id == product.id))
    assert stored.path == "import_files/20/juice.jpg" and stored.file_id is not None


@pytest.mark.parametrize("cut", [0.5, 0.97])
def test_a_truncated_file_is_a_failure_and_commits_nothing(exchange_app: Any, db: Any, tmp_path: Path, cut: float) -> None:
    write_catalog(tmp_path / "import.xml", products=60)
    data = (tmp_path / "import.xml").read_bytes()
    (tmp_path / "import.xml").write_bytes(data[:int(len(data) * cut)])
    answer = import_alone(exchange_app, tmp_path / "import.xml")
    assert answer[0] == "failure" and answer[1].startswith("truncated")
    assert count(db, Product) == 0
    assert runs(db)[-1].status == "failed" and runs(db)[-1].error.startswith("truncated")


def test_an_unknown_version_is_a_failure(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    write_catalog(tmp_path / "import.xml", products=5)
    text = (tmp_path / "import.xml").read_bytes().replace('ВерсияСхемы="2.08"'.encode(), 'ВерсияСхемы="1.0"'.encode())
    (tmp_path / "import.xml").write_bytes(text)
    answer = import_alone(exchange_app, tmp_path / "import.xml")
    assert answer[0] == "failure" and answer[1].startswith("unknown_version")
    assert count(db, Product) == 0


def test_an_import_whose_process_died_is_answered_failure(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    exchange_app.config["ONEC_EXCHANGE_IMPORT_WAIT_SECONDS"] = 0
    write_catalog(tmp_path / "import.xml", products=5)
    one_c = having_sent(exchange_app, tmp_path / "import.xml")
    # As a worker killed mid-import leaves it: the file named as running, no run.
    session = db.scalar(select(ExchangeSession))
    session.import_name, session.import_started_at = "import.xml", datetime.now(timezone.utc) - timedelta(minutes=29)
    db.flush()
    assert one_c.call("catalog", "import", filename="import.xml") == (200, ["progress"])
    session.import_started_at = datetime.now(timezone.utc) - timedelta(minutes=31)
    db.flush()
    status, answer = one_c.call("catalog", "import", filename="import.xml")
    assert answer[0] == "failure" and answer[1].startswith("import_lost")
    # 1C's retry imports the file anew (waited for: the test's requests share one connection with the import).
    exchange_app.config["ONEC_EXCHANGE_IMPORT_WAIT_SECONDS"] = 20
    assert one_c.import_until_done("import.xml") == (["success"], 0)


def test_an_import_call_repeated_hears_the_same_end_until_a_new_file_comes(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    write_catalog(tmp_path / "import.xml", products=5)
    one_c = having_sent(exchange_app, tmp_path / "import.xml")
    assert one_c.import_until_done("import.xml") == (["success"], 0)
    # 1C's retry of a call whose answer a proxy cut off: the same end, nothing imported twice.
    assert one_c.import_until_done("import.xml") == (["success"], 0)
    assert len(runs(db)) == 1
    # The file sent again (in an archive, overwriting it) is imported again.
    zip_package([tmp_path / "import.xml"], tmp_path / "package.zip")
    one_c.send(tmp_path / "package.zip")
    assert one_c.import_until_done("import.xml") == (["success"], 1)
    assert len(runs(db)) == 2


def test_an_import_that_ends_after_it_was_answered_lost_is_not_taken_for_the_retry(
        exchange_app: Any, db: Any, tmp_path: Path) -> None:
    from onec.exchange.imports import _import_in_thread

    exchange_app.config["ONEC_EXCHANGE_IMPORT_WAIT_SECONDS"] = 0
    write_catalog(tmp_path / "import.xml", products=5)
    one_c = having_sent(exchange_app, tmp_path / "import.xml")
    # The retry of a file whose first import hung, was answered import_lost, and ends now.
    session = db.scalar(select(ExchangeSession))
    hung_since = datetime.now(timezone.utc) - timedelta(minutes=40)
    session.import_name, session.import_started_at = "import.xml", datetime.now(timezone.utc)
    db.flush()
    folder = next((tmp_path / "exchange").iterdir())
    _import_in_thread(exchange_app, session.id, hung_since, folder / "import.xml", folder)
    db.refresh(session)
    assert session.import_run_id is None and runs(db)[-1].status == "success"  # its work done, its end unheard
    assert one_c.call("catalog", "import", filename="import.xml") == (200, ["progress"])


def test_while_a_file_imports_the_folder_stays_as_it_is(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    exchange_app.config["ONEC_EXCHANGE_IMPORT_WAIT_SECONDS"] = 0
    write_catalog(tmp_path / "import.xml", products=5)
    write_offers(tmp_path / "offers.xml", products=5)
    one_c = having_sent(exchange_app, tmp_path / "import.xml", tmp_path / "offers.xml")
    # As a long import leaves it while its thread runs: the file named, no run yet.
    session = db.scalar(select(ExchangeSession))
    session.import_name, session.import_started_at = "import.xml", datetime.now(timezone.utc)
    db.flush()
    for exchange_type, mode, body, name in [("catalog", "file", b"<a/>", "import.xml"), ("catalog", "file", b"PK", "p.zip"),
                                            ("sale", "file", b"<a/>", "orders.xml"), ("catalog", "init", None, ""),
                                            ("catalog", "import", None, "offers.xml")]:
        status, answer = one_c.call(exchange_type, mode, body=body, filename=name)
        assert (status, answer[0]) == (409, "failure"), mode
        assert runs(db)[-1].error.startswith("import_running: ") and "import.xml" in answer[1]
    assert one_c.call("catalog", "import", filename="import.xml") == (200, ["progress"])
    assert (tmp_path / "import.xml").read_bytes() == next((tmp_path / "exchange").rglob("import.xml")).read_bytes()
    # An import lost with its process holds nothing up.
    session.import_started_at = datetime.now(timezone.utc) - timedelta(minutes=31)
    db.flush()
    assert one_c.call("catalog", "file", body=b"<a/>", filename="other.xml") == (200, ["success"])


LAUGHS = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE КоммерческаяИнформация [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY x SYSTEM "file:///etc/passwd">]>
<КоммерческаяИнформация ВерсияСхемы="2.08"><Каталог><Ид>c</Ид><Наименование>&c;&x;</Наименование></Каталог>
</КоммерческаяИнформация>"""


def test_a_file_with_a_doctype_is_a_failure_and_expands_nothing(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    (tmp_path / "import.xml").write_text(LAUGHS, encoding="utf-8")
    answer = import_alone(exchange_app, tmp_path / "import.xml")
    assert answer[0] == "failure" and answer[1].startswith("forbidden_dtd")
    assert "root:" not in answer[1] and runs(db)[-1].error.startswith("forbidden_dtd")


def test_huge_values_are_cut_to_their_columns_and_huge_attributes_to_a_short_reason(
        exchange_app: Any, db: Any, tmp_path: Path) -> None:
    catalog = tmp_path / "import.xml"
    catalog.write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<КоммерческаяИнформация ВерсияСхемы="2.08" Мусор="{'x' * 2_000_000}"><Каталог><Ид>c</Ид><Наименование>К</Наименование>
<Товары><Товар><Ид>20000000-0000-0000-0000-00000000000b</Ид><Артикул>{'A' * 5000}</Артикул>
<Наименование>{'Сік ' * 500_000}</Наименование></Товар></Товары></Каталог></КоммерческаяИнформация>""", encoding="utf-8")
    assert import_alone(exchange_app, catalog) == ["success"]
    product = db.scalar(select(Product))
    assert (len(product.name), len(product.sku)) == (300, 40)
    catalog.write_text(f'<КоммерческаяИнформация ВерсияСхемы="{"9" * 2_000_000}"/>', encoding="utf-8")
    answer = import_alone(exchange_app, catalog)
    assert answer[0] == "failure" and answer[1].startswith("unknown_version") and len(answer[1]) < 300
    catalog.write_text(f'<{"Я" * 1_000_000}/>', encoding="utf-8")
    answer = import_alone(exchange_app, catalog)
    assert answer[0] == "failure" and answer[1].startswith("not_commerceml") and len(answer[1]) < 300


def test_importing_a_file_that_never_came_is_refused(exchange_app: Any, db: Any) -> None:
    one_c = onec(exchange_app)
    one_c.checkauth()
    one_c.init()
    status, answer = one_c.call("catalog", "import", filename="import.xml")
    assert (status, answer[0]) == (404, "failure") and "import.xml" in answer[1]
    assert runs(db)[-1].error.startswith("unknown_file: ")


# --- credentials and cookies -------------------------------------------------------------

@pytest.mark.parametrize("auth, code", [
    ({"password": "wrong-password-of-someone"}, "bad_credentials"),
    ({"user": "admin"}, "bad_credentials"),
    ({"user": "", "password": ""}, "no_credentials"),
])
def test_wrong_credentials_are_refused_and_logged(exchange_app: Any, db: Any, auth: dict, code: str) -> None:
    one_c = onec(exchange_app)
    status, answer = one_c.call("catalog", "checkauth", headers=basic(**auth))
    assert status == 401 and answer[0] == "failure" and len(answer) == 2
    assert count(db, ExchangeSession) == 0
    assert [(r.status, r.source, r.error.split(":")[0]) for r in runs(db)] == [("failed", "commerceml", code)]


def test_no_answer_of_the_exchange_may_be_cached(exchange_app: Any) -> None:
    client = exchange_app.test_client(use_cookies=False)
    answers = [client.get("/1c/exchange", query_string={"type": "catalog", "mode": "checkauth"}, headers=headers)
               for headers in (basic(), basic(password="wrong-password-x"))]
    cookie = answers[0].get_data(as_text=True).split("\n")[1:3]
    answers.append(client.get("/1c/exchange", query_string={"type": "sale", "mode": "query"},
                              headers={"Cookie": "=".join(cookie)}))
    assert [(a.status_code, a.headers.get("Cache-Control")) for a in answers] == [
        (200, "no-store"), (401, "no-store"), (200, "no-store")]


def test_no_credentials_at_all_gets_a_basic_challenge(exchange_app: Any) -> None:
    response = exchange_app.test_client().get("/1c/exchange?type=catalog&mode=checkauth")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_every_request_after_checkauth_needs_the_cookie(exchange_app: Any, db: Any) -> None:
    one_c = onec(exchange_app)
    for mode in ("init", "file", "import", "query", "success"):
        status, answer = one_c.call("sale" if mode in ("query", "success") else "catalog", mode, filename="import.xml")
        assert (status, answer[0]) == (401, "failure"), mode
    one_c.cookie = ("portal_1c_exchange", "forged-value")
    status, answer = one_c.call("catalog", "init")
    assert status == 401
    assert [r.error.split(":")[0] for r in runs(db)] == ["no_cookie"] * 5 + ["unknown_cookie"]


def test_the_cookie_only_counts_in_the_cookie_header(exchange_app: Any, db: Any) -> None:
    # A token in the URL would be written to every access log on its way.
    one_c = onec(exchange_app)
    name, token = one_c.checkauth()[1:3]
    for params in ({name: token}, {"sessid": token}, {"PHPSESSID": token}):
        response = exchange_app.test_client(use_cookies=False).get(
            "/1c/exchange", query_string={"type": "catalog", "mode": "init", **params})
        assert response.status_code == 401, params
    # Newer 1C sends a sessid parameter beside the cookie: it changes nothing.
    assert one_c.init(sessid="whatever")["zip"] == "yes"


def test_the_cookie_expires(exchange_app: Any, db: Any) -> None:
    one_c = onec(exchange_app)
    start = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    with frozen_at(start):
        one_c.checkauth()
    with frozen_at(start + timedelta(minutes=59)):
        assert one_c.init()["zip"] == "yes"
    with frozen_at(start + timedelta(minutes=61)):
        status, answer = one_c.call("catalog", "init")
    assert (status, answer[0]) == (401, "failure")
    assert runs(db)[-1].error.startswith("expired_cookie: ")
    # A later checkauth clears the expired session away with its folder.
    with frozen_at(start + timedelta(minutes=62)):
        onec(exchange_app).checkauth()
    assert count(db, ExchangeSession) == 1


def test_the_periodic_sweep_removes_expired_sessions_and_orphan_folders(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    from core.jobs import enabled_jobs
    from onec.exchange.cleanup import exchange_sweep_job

    assert "onec.exchange_sweep" in {job.name for job in enabled_jobs(exchange_app)}
    root, start = tmp_path / "exchange", datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    old, live = onec(exchange_app), onec(exchange_app)
    with frozen_at(start):
        old.checkauth()
        old.init()
        old.call("catalog", "file", body=b"<big/>", filename="import.xml")
    with frozen_at(start + timedelta(minutes=30)):
        live.checkauth()
        live.init()
    (root / "session-999999").mkdir()  # no row owns it
    (root / "session-999999" / "import.xml").write_bytes(b"<left/>")
    (root / "not-a-session").mkdir()  # not ours to judge
    old_folder, live_folder = sorted(root.glob("session-*"), key=lambda p: int(p.name.split("-")[1]))[:2]
    with frozen_at(start + timedelta(minutes=61)), exchange_app.app_context():
        assert exchange_sweep_job(db) == {"expired": 1, "orphan_folders": 1}
    assert sorted(p.name for p in root.iterdir()) == sorted([live_folder.name, "not-a-session"])
    assert not old_folder.exists() and count(db, ExchangeSession) == 1
    with frozen_at(start + timedelta(minutes=62)):
        assert live.init()["zip"] == "yes"


def test_refusals_are_throttled_and_stop_being_logged(exchange_app: Any, db: Any) -> None:
    from core.auth import limiter

    exchange_app.config["ONEC_EXCHANGE_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    try:
        one_c = onec(exchange_app)
        answers = [one_c.call("catalog", "checkauth", headers=basic(password="guess-" + str(i)))[0] for i in range(6)]
        assert answers == [401, 401, 401, 429, 429, 429]
        assert len(runs(db)) == 3
        # The right password is throttled too while the window lasts.
        assert one_c.call("catalog", "checkauth", headers=basic())[0] == 429
    finally:
        exchange_app.config["ONEC_EXCHANGE_RATE_LIMIT"] = "10000 per minute"
        limiter.reset()


def test_a_flood_from_many_addresses_is_answered_but_not_all_kept(exchange_app: Any, db: Any) -> None:
    from core.auth import limiter

    exchange_app.config["ONEC_EXCHANGE_REFUSAL_LOG_LIMIT"] = "3 per minute"
    limiter.reset()
    try:
        for i in range(6):  # each address under its own limit
            client = OneC(exchange_app.test_client(use_cookies=False))
            client.http.environ_base["REMOTE_ADDR"] = f"198.51.100.{i + 1}"
            assert client.call("catalog", "checkauth", headers=basic(password=f"guess-{i}"))[0] == 401
        assert len(runs(db)) == 3
    finally:
        exchange_app.config["ONEC_EXCHANGE_REFUSAL_LOG_LIMIT"] = "10000 per minute"
        limiter.reset()


def test_forwarded_for_does_not_escape_the_limit_without_a_proxy(exchange_app: Any, db: Any) -> None:
    from core.auth import limiter

    assert exchange_app.config["PROXY_COUNT"] == 0
    exchange_app.config["ONEC_EXCHANGE_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    try:
        one_c = onec(exchange_app)
        answers = [one_c.call("catalog", "checkauth", headers={
            **basic(password=f"guess-{i}"), "X-Forwarded-For": f"203.0.113.{i}", "X-Real-IP": f"203.0.113.{i}",
            "Forwarded": f"for=203.0.113.{i}"})[0] for i in range(5)]
        assert answers == [401, 401, 401, 429, 429]
    finally:
        exchange_app.config["ONEC_EXCHANGE_RATE_LIMIT"] = "10000 per minute"
        limiter.reset()


def test_unknown_type_or_mode_is_refused(exchange_app: Any, db: Any) -> None:
    one_c = onec(exchange_app)
    assert one_c.call("stock", "checkauth", headers=basic())[0] == 400
    one_c.checkauth()
    status, answer = one_c.call("catalog", "query")
    assert (status, answer[0]) == (400, "failure")
    assert [r.error.split(":")[0] for r in runs(db)] == ["unknown_type", "unknown_mode"]


# --- file names, bodies and archives -------------------------------------------------------

@pytest.mark.parametrize("filename", [
    "../outside.xml", "import_files/../../outside.xml", "/etc/passwd", "..\\..\\outside.xml", "C:/Windows/x.xml",
    "import\x00.xml", "", ".", "./", "import\n.xml", "import\r.xml", "x" * 300 + ".xml", "d/" * 20 + "x.xml",
])
def test_a_filename_that_leaves_the_folder_is_refused(exchange_app: Any, db: Any, tmp_path: Path, filename: str) -> None:
    one_c = onec(exchange_app)
    one_c.checkauth()
    one_c.init()
    status, answer = one_c.call("catalog", "file", body=b"<x/>", filename=filename)
    assert (status, answer[0]) == (400, "failure")
    assert not (tmp_path / "outside.xml").exists() and not (tmp_path / "exchange" / "outside.xml").exists()
    assert runs(db)[-1].error.startswith("bad_filename: ")
    status, answer = one_c.call("catalog", "import", filename=filename or "../x.xml")
    assert status == 400


@pytest.mark.parametrize("filename", ["．．/x.xml", "%2e%2e%2fx.xml", "..%5cx.xml", "CON", "aux.xml", "a/./b.xml", "…/x.xml"])
def test_names_that_only_look_like_a_way_out_stay_inside(exchange_app: Any, tmp_path: Path, filename: str) -> None:
    # Unicode dots, a percent sign the query string already decoded once, Windows' device
    # names: plain names to Linux, written inside the session's folder.
    one_c = onec(exchange_app)
    one_c.checkauth()
    one_c.init()
    assert one_c.call("catalog", "file", body=b"<a/>", filename=filename) == (200, ["success"])
    (written,) = [p for p in (tmp_path / "exchange").rglob("*") if p.is_file()]
    assert written.resolve().is_relative_to((tmp_path / "exchange").resolve())


def test_a_name_a_folder_has_or_whose_way_runs_through_a_file_is_refused(exchange_app: Any, db: Any) -> None:
    one_c = onec(exchange_app)
    one_c.checkauth()
    one_c.init()
    assert one_c.call("catalog", "file", body=b"jpeg", filename="import_files/a.jpg") == (200, ["success"])
    assert one_c.call("catalog", "file", body=b"<a/>", filename="import.xml") == (200, ["success"])
    for name in ("import_files", "import.xml/x.xml", "import_files/a.jpg/b"):
        status, answer = one_c.call("catalog", "file", body=b"x", filename=name)
        assert (status, answer[0]) == (409, "failure"), name
        assert runs(db)[-1].error.startswith("name_taken: ")
    assert one_c.call("catalog", "import", filename="import_files")[0] == 404


def test_a_symlink_in_the_folder_is_not_followed(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    one_c = onec(exchange_app)
    one_c.checkauth()
    one_c.init()
    session_folder = next((tmp_path / "exchange").iterdir())
    (tmp_path / "elsewhere").mkdir()
    (session_folder / "import_files").symlink_to(tmp_path / "elsewhere")
    status, _ = one_c.call("catalog", "file", body=b"x", filename="import_files/a.jpg")
    assert status == 400
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_a_body_over_the_file_limit_is_refused_unread(exchange_app: Any, db: Any) -> None:
    one_c = onec(exchange_app)
    one_c.checkauth()
    one_c.init()
    status, answer = one_c.call("catalog", "file", body=b"x" * (FILE_LIMIT + 1), filename="import.xml")
    assert (status, answer[0]) == (413, "failure")
    assert runs(db)[-1].error.startswith("body_too_large: ")


def test_a_package_over_its_size_is_refused(exchange_app: Any, db: Any) -> None:
    exchange_app.config["ONEC_EXCHANGE_MAX_MB"] = 1
    one_c = onec(exchange_app)
    one_c.checkauth()
    one_c.init()
    for _ in range(16):  # 16 x 64 KB = 1 MB: the limit exactly
        assert one_c.call("catalog", "file", body=b"x" * FILE_LIMIT, filename="import.xml")[0] == 200
    status, answer = one_c.call("catalog", "file", body=b"x", filename="import.xml")
    assert (status, answer[0]) == (413, "failure")
    assert runs(db)[-1].error.startswith("package_too_large: ")


def test_all_sessions_together_are_bounded_too(exchange_app: Any, db: Any) -> None:
    exchange_app.config.update(ONEC_EXCHANGE_MAX_MB=1, ONEC_EXCHANGE_TOTAL_MB=1)
    first, second = onec(exchange_app), onec(exchange_app)
    for one_c, parts in ((first, 12), (second, 4)):  # 768 KB + 256 KB: 1 MB in all
        one_c.checkauth()
        one_c.init()
        for _ in range(parts):
            assert one_c.call("catalog", "file", body=b"x" * FILE_LIMIT, filename="import.xml")[0] == 200
    status, answer = second.call("catalog", "file", body=b"x", filename="import.xml")  # its own 256 KB of 1 MB
    assert (status, answer[0]) == (507, "failure") and runs(db)[-1].error.startswith("exchange_full: ")
    first.init()  # its folder emptied: room again
    assert second.call("catalog", "file", body=b"x", filename="import.xml") == (200, ["success"])


def send_zip(one_c: OneC, members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> tuple[int, list[str]]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return post_archive(one_c, buffer.getvalue())


def post_archive(one_c: OneC, data: bytes) -> tuple[int, list[str]]:
    """A fresh exchange whose package is this archive: the answer of the first import call (its unpacking)."""
    one_c.checkauth()
    one_c.init()
    for start in range(0, len(data), FILE_LIMIT):
        assert one_c.call("catalog", "file", body=data[start:start + FILE_LIMIT], filename="package.zip")[0] == 200
    return one_c.call("catalog", "import", filename="import.xml")


def session_files(tmp_path: Path) -> list[str]:
    return sorted(str(p.relative_to(tmp_path / "exchange")) for p in (tmp_path / "exchange").rglob("*") if p.is_file())


def test_a_zip_bomb_is_refused_before_unpacking(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    status, answer = send_zip(onec(exchange_app), {"import.xml": b"<a/>", "offers.xml": b" " * (20 * 1024 * 1024)})
    assert (status, answer[0]) == (400, "failure")
    assert runs(db)[-1].error.startswith("zip_bomb: ")
    assert session_files(tmp_path) == []  # nothing unpacked, the archive gone


def test_a_zip_larger_unpacked_than_allowed_is_refused(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    exchange_app.config["ONEC_EXCHANGE_MAX_MB"] = 1
    # 600 KB uploaded and 600 KB to unpack: past the 1 MB the session may write.
    status, _ = send_zip(onec(exchange_app), {"import.xml": bytes(range(256)) * 2400}, compression=zipfile.ZIP_STORED)
    assert status == 413 and runs(db)[-1].error.startswith("zip_too_large: ")
    assert session_files(tmp_path) == []


@pytest.mark.parametrize("member", ["../evil.xml", "/abs/evil.xml", "import_files/../../evil.xml", "..\\evil.xml",
                                    "import_files\\..\\..\\evil.xml", "C:\\evil.xml", "\\\\host\\share\\evil.xml"])
def test_a_zip_member_leaving_the_folder_is_refused(exchange_app: Any, db: Any, tmp_path: Path, member: str) -> None:
    status, _ = send_zip(onec(exchange_app), {"import.xml": b"<a/>", member: b"<evil/>"})
    assert status == 400 and runs(db)[-1].error.startswith("zip_bad_member: ")
    assert session_files(tmp_path) == [] and not list(tmp_path.rglob("evil.xml"))


def zip_of(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # zipfile warns of a name twice: that is the point
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("members", [
    [("import.xml", b"<a/>"), ("import.xml", b"<b/>")],
    [("import_files\\a.jpg", b"1"), ("import_files/a.jpg", b"2")],
    [("import.xml", b"<a/>"), ("import.xml/b.xml", b"<b/>")],
])
def test_a_zip_naming_a_file_twice_or_a_file_as_a_folder_is_refused(
        exchange_app: Any, db: Any, tmp_path: Path, members: list[tuple[str, bytes]]) -> None:
    status, answer = post_archive(onec(exchange_app), zip_of(members))
    assert (status, answer[0]) == (400, "failure") and runs(db)[-1].error.startswith("zip_duplicate_member: ")
    assert session_files(tmp_path) == []


def test_a_zip_member_where_the_folder_has_a_folder_is_refused_whole(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    one_c = onec(exchange_app)
    one_c.checkauth()
    one_c.init()
    one_c.call("catalog", "file", body=b"jpeg", filename="import_files/a.jpg")
    one_c.call("catalog", "file", body=zip_of([("import.xml", b"<a/>"), ("import_files", b"x")]), filename="package.zip")
    status, answer = one_c.call("catalog", "import", filename="import.xml")
    assert (status, answer[0]) == (409, "failure") and runs(db)[-1].error.startswith("name_taken: ")
    assert session_files(tmp_path)[0].endswith("import_files/a.jpg") and len(session_files(tmp_path)) == 1


def test_a_zip_inside_the_zip_is_refused(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    inner = zip_of([("import.xml", b"<a/>")])
    status, _ = send_zip(onec(exchange_app), {"import.xml": b"<a/>", "import_files/Inner.ZIP": inner})
    assert status == 400 and runs(db)[-1].error.startswith("zip_nested: ")
    assert session_files(tmp_path) == []


def test_a_zip_member_bigger_than_declared_is_written_at_its_declared_size(exchange_app: Any, tmp_path: Path) -> None:
    # 5 MB of zeros deflated, declared as 1000 bytes (and the CRC of those): under the size
    # the ratio is judged from, it must not unpack to more than it declared.
    data, declared = b"\0" * (5 * 1024 * 1024), 1000
    raw = bytearray(zip_of([("import.xml", data)]))
    crc = zlib.crc32(data[:declared])
    central = raw.find(b"PK\x01\x02")
    for at in (14, central + 16):
        struct.pack_into("<I", raw, at, crc)
    for at in (22, central + 24):
        struct.pack_into("<I", raw, at, declared)
    assert post_archive(onec(exchange_app), bytes(raw)) == (200, ["progress"])
    assert [p.stat().st_size for p in (tmp_path / "exchange").rglob("import.xml")] == [declared]


def test_a_zip_declaring_too_many_entries_is_refused_before_its_directory_is_read(
        exchange_app: Any, db: Any, tmp_path: Path) -> None:
    exchange_app.config["ONEC_EXCHANGE_ZIP_MAX_MEMBERS"] = 1000
    raw = bytearray(zip_of([("import.xml", b"<a/>")]))
    end = raw.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", raw, end + 8, 65000, 65000)  # entries on this disk, in all: a directory never read
    status, answer = post_archive(onec(exchange_app), bytes(raw))
    assert status == 400 and runs(db)[-1].error.startswith("zip_too_many_members: ") and "65000" in answer[1]
    assert session_files(tmp_path) == []


def test_a_zip_with_an_encrypted_member_is_refused(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    raw = bytearray(zip_of([("import.xml", b"<a/>" * 100)]))
    central = raw.find(b"PK\x01\x02")
    for at in (6, central + 8):  # the general purpose flags: encrypted
        struct.pack_into("<H", raw, at, struct.unpack_from("<H", raw, at)[0] | 1)
    status, answer = post_archive(onec(exchange_app), bytes(raw))
    assert (status, answer[0]) == (400, "failure") and runs(db)[-1].error.startswith("zip_encrypted: ")
    assert session_files(tmp_path) == []


def test_a_zip_with_a_symlink_is_refused(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    buffer_link = zipfile.ZipInfo("import_files/link")
    buffer_link.external_attr = (0o120777 << 16)
    one_c = onec(exchange_app)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(buffer_link, "/etc")
    one_c.checkauth()
    one_c.init()
    one_c.call("catalog", "file", body=buffer.getvalue(), filename="package.zip")
    status, _ = one_c.call("catalog", "import", filename="import.xml")
    assert status == 400 and runs(db)[-1].error.startswith("zip_symlink: ")


def test_a_broken_zip_is_refused(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    status, answer = post_archive(onec(exchange_app), b"PK\x03\x04 not an archive")
    assert (status, answer[0]) == (400, "failure") and runs(db)[-1].error.startswith("bad_zip: ")


def test_init_starts_a_fresh_folder(exchange_app: Any, db: Any, tmp_path: Path) -> None:
    one_c = onec(exchange_app)
    one_c.checkauth()
    one_c.init()
    one_c.call("catalog", "file", body=b"<old/>", filename="import.xml")
    one_c.init()
    status, _ = one_c.call("catalog", "import", filename="import.xml")
    assert status == 404


# --- over real HTTP ------------------------------------------------------------------------

def test_the_conversation_over_real_http(app: Any, own_database: str, tmp_path: Path) -> None:
    written = write_catalog(tmp_path / "import.xml", products=80)
    write_offers(tmp_path / "offers.xml", products=80)
    zip_package([tmp_path / "import.xml", tmp_path / "offers.xml"], tmp_path / "package.zip")
    # No wait: every import call answers at once, progress until the import's thread ends.
    config = exchange_config(tmp_path / "exchange", SQLALCHEMY_DATABASE_URI=own_database, REDIS_URL=None,
                             RATELIMIT_STORAGE_URI="memory://", ONEC_EXCHANGE_IMPORT_WAIT_SECONDS=0)
    with separate_app(app, config) as own_app:
        base, stop = serve_in_thread(own_app)
        try:
            with httpx.Client(timeout=60) as http:
                one_c = OneC(http, base)
                # 1C's HTTP client: Basic credentials, then the cookie in a Cookie header.
                one_c.checkauth()
                assert one_c.init()["zip"] == "yes"
                assert one_c.send(tmp_path / "package.zip", limit=8192) > 1
                answer, progress = one_c.import_until_done("import.xml", limit=1000, pause=0.02)
                assert answer == ["success"] and progress >= 2  # the unpacking, then the import running
                answer, progress = one_c.import_until_done("offers.xml", limit=1000, pause=0.02)
                assert answer == ["success"] and progress >= 1
                status, _ = OneC(http, base).call("catalog", "init")
                assert status == 401
                sale = OneC(http, base)
                sale.checkauth("sale")
                assert sale.init("sale")["zip"] == "no"
                orders = http.get(f"{base}/1c/exchange", params={"type": "sale", "mode": "query"},
                                  headers={"Cookie": f"{sale.cookie[0]}={sale.cookie[1]}"})
                assert orders.headers["Content-Type"] == "application/xml; charset=utf-8"
                assert ElementTree.fromstring(orders.content).tag == "КоммерческаяИнформация"
                assert sale.call("sale", "success") == (200, ["success"])
        finally:
            stop()
        engine = own_app.extensions["db_engine"]
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Product)) == written.products - written.deleted
            assert [tuple(row) for row in connection.execute(
                select(ExchangeRun.entity, ExchangeRun.status).order_by(ExchangeRun.id))] == [
                ("catalog", "success"), ("offers", "success"), ("catalog", "failed"), ("orders", "success")]


def test_an_import_call_whose_slot_a_call_beside_it_freed_answers_progress(
        app: Any, own_database: str, tmp_path: Path) -> None:
    # Two calls for the same file wait together (a proxy cut 1C's first off, 1C retried);
    # one hears the import lost and frees the slot while the other still waits.
    write_catalog(tmp_path / "import.xml", products=5)
    config = exchange_config(tmp_path / "exchange", SQLALCHEMY_DATABASE_URI=own_database, REDIS_URL=None,
                             RATELIMIT_STORAGE_URI="memory://", ONEC_EXCHANGE_IMPORT_WAIT_SECONDS=1.5)
    with separate_app(app, config) as own_app:
        base, stop = serve_in_thread(own_app)
        engine = own_app.extensions["db_engine"]
        try:
            with httpx.Client(timeout=30) as http:
                one_c = OneC(http, base)
                one_c.checkauth()
                one_c.init()
                one_c.send(tmp_path / "import.xml")
                with engine.begin() as connection:  # as a hung import leaves the slot
                    connection.execute(update(ExchangeSession).values(
                        import_name="import.xml", import_started_at=datetime.now(timezone.utc) - timedelta(minutes=10)))
                waiting: list[tuple[int, list[str]]] = []
                call = threading.Thread(target=lambda: waiting.append(one_c.call("catalog", "import", filename="import.xml")))
                call.start()
                time.sleep(0.5)
                with engine.begin() as connection:  # the call beside it heard the end and freed the slot
                    connection.execute(update(ExchangeSession).values(import_name=None, import_started_at=None))
                call.join()
                assert waiting == [(200, ["progress"])]
                assert one_c.import_until_done("import.xml", limit=100, pause=0.05)[0] == ["success"]
        finally:
            stop()


def test_the_endpoint_is_not_behind_the_forms_csrf_token(app: Any, db: Any, tmp_path: Path) -> None:
    with separate_app(app, exchange_config(tmp_path / "exchange", WTF_CSRF_ENABLED=True), own_sessions=False) as csrf_app:
        one_c = OneC(csrf_app.test_client(use_cookies=False))
        one_c.checkauth()
        one_c.init()
        assert one_c.call("catalog", "file", body=b"<a/>", filename="import.xml") == (200, ["success"])
        # The forms still need it.
        assert csrf_app.test_client().post("/login", data={"login": "x", "password": "y"}).status_code == 400


def test_exchange_settings_that_do_not_hold_are_reported_at_start(exchange_app: Any) -> None:
    from onec.settings import check_onec_settings

    assert check_onec_settings(exchange_app.config) == []
    config = {**exchange_app.config, "ONEC_EXCHANGE_RATE_LIMIT": "20 a minute", "ONEC_EXCHANGE_REFUSAL_LOG_LIMIT": "1;2",
              "ONEC_EXCHANGE_TOTAL_MB": 100, "ONEC_EXCHANGE_MAX_MB": 200}
    assert sorted(problem.split(" ")[0] for problem in check_onec_settings(config)) == [
        "ONEC_EXCHANGE_RATE_LIMIT", "ONEC_EXCHANGE_REFUSAL_LOG_LIMIT", "ONEC_EXCHANGE_TOTAL_MB"]
