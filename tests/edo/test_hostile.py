"""A hostile review of the contracts feature: each test names a problem found, and failed
before its fix."""
from __future__ import annotations

import io
import os
import re
import struct
import threading
import time
import zipfile
import zlib
from xml.sax.saxutils import escape
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from docx import Document
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core import outbox
from core.clock import utcnow
from core.customers.models import Company
from core.db import make_engine
from core.errors import DomainError
from core.orders.services import Actor, change_status, submit_order
from core.outbox import OutboxEvent
from edo.docx_diff import paragraph_diff
from edo.docx_template import TemplateProblem, check_template
from edo.generate import generate_contract, take_turn
from edo.handlers import send_approved_contract
from edo.models import Contract, ContractTemplate, RegistrationIncentive
from edo.polling import status_payload
from edo.preview import preview
from edo.review import approve as approve_contract, locked as review_locked
from edo.sending import vendor_id
from edo.template_versions import add_template_version, install_template
from edo.vchasno import from_config
from edo.vchasno.client import retry_after_seconds
from core.staff.models import StaffUser
from tests.apps import separate_app
from tests.config import TestConfig
from tests.conftest import _PASSWORD_HASH, login
from tests.edo.documents import docx
from tests.edo.conftest import IBAN, approve, documents, events, fail_next, logged, register, relay
from tests.own_database import own_database, seed_customers  # noqa: F401  the fixture


def test_a_429_with_an_absurd_retry_after_waits_an_hour_at_most(
    edo: Flask, db: Any, vchasno_emulator: str, buyer_company: Company, make_contract: Callable[..., Contract],
) -> None:
    """A Retry-After of centuries (or NaN) overflowed the relay's date arithmetic: the event
    was neither retried later nor failed, and was taken again on every sweep."""
    contract = make_contract(buyer_company)
    fail_next(vchasno_emulator, "rate_limited", retry_after="99999999999999")
    approve(db, contract)
    relay(db, rounds=1)
    [event] = events(db, "contract.approved")
    assert event.status == "pending" and event.attempts == 1 and "rate_limited" in event.last_error
    assert utcnow() < event.next_attempt_at <= utcnow() + timedelta(hours=1, seconds=5)


@pytest.mark.parametrize(("header", "seconds"), [("nan", None), ("inf", 3600.0), ("1e300", 3600.0), ("-5", 0.0),
                                                 ("120", 120.0), ("Fri, 31 Dec 9999 23:59:59 GMT", 3600.0)])
def test_retry_after_is_a_finite_wait_of_an_hour_at_most(header: str, seconds: float | None) -> None:
    assert retry_after_seconds(header) == seconds


def test_a_contract_superseded_while_its_upload_is_in_flight_is_not_sent(
    edo: Flask, vchasno_emulator: str, own_database: str,  # noqa: F811
) -> None:
    """The upload handler read "approved", then talked to Vchasno; a new contract generated
    meanwhile superseded it, and the handler wrote "sent" over "superseded" (PostgreSQL):
    the customer got a contract we had replaced, beside its replacement. Now the handler
    holds the contract's row and generation waits for it, then finds it with the customer."""
    seed_customers(own_database, 1, Decimal("1"))
    engine = make_engine(own_database)
    with Session(engine) as session:
        install_template(session)
        company = session.scalar(select(Company))
        for name, value in {"email": "office@race.example", "legal_address": "м. Київ", "iban": IBAN,
                            "signer_name": "Петренко Іван", "signer_position": "директор",
                            "signing_basis": "Статуту"}.items():
            setattr(company, name, value)
        contract = generate_contract(session, company, None)
        contract.status = "approved"
        session.commit()
        company_id, contract_id = company.id, contract.id
    register(vchasno_emulator, company.tax_id)
    fail_next(vchasno_emulator, "slow", seconds="2")  # the handler's first call to Vchasno
    problems: list[BaseException] = []

    def upload() -> None:
        try:
            with edo.app_context(), Session(engine) as session:  # as a worker runs it: no request
                send_approved_contract(session, OutboxEvent(topic="contract.approved", attempts=0,
                                                            payload={"contract_id": contract_id}))
                session.commit()
        except BaseException as exc:  # surfaced below, not lost in the thread
            problems.append(exc)

    handler = threading.Thread(target=upload)
    handler.start()
    time.sleep(0.7)  # the handler is waiting for Vchasno's answer now
    refused = False
    with edo.test_request_context(method="POST"), Session(engine) as session:  # the company card's button
        try:
            generate_contract(session, session.get(Company, company_id), None)
            session.commit()
        except DomainError:
            refused = True
    handler.join(timeout=30)
    with Session(engine) as session:
        statuses = dict(session.execute(select(Contract.id, Contract.status)).all())
    engine.dispose()
    assert problems == []
    # Either one happened, never both: the old one went to the customer and no new one was
    # made, or it was superseded and never sent.
    if statuses[contract_id] == "sent":
        assert refused and list(statuses) == [contract_id]
    else:
        assert statuses[contract_id] == "superseded" and documents(vchasno_emulator) == []


def _unlabelled_cells(html: str) -> list[str]:
    """The cells of a phone's stacked table (.stack) that would show no label: its header
    row is hidden there, so each cell names its column (core/static/app.css)."""
    cells = []
    for table in re.findall(r'<table class="stack".*?</table>', html, re.S):
        cells += [cell for cell in re.findall(r"<td[^>]*>", table) if "data-label=" not in cell and "colspan" not in cell]
    return cells


def test_the_contracts_tables_name_their_columns_on_a_phone(
    app: Flask, db: Any, ready_company: Company, manager: Any, make_user: Callable[..., Any],
    make_staff: Callable[..., Any], generate: Callable[..., Contract],
) -> None:
    """The customer's /contracts (and the staff's lists) stack on a narrow screen, where the
    header row is hidden: without data-label the dates were two bare "—" or two dates."""
    contract = generate(ready_company, manager)
    contract.status, contract.pdf_file_id = "sent", contract.generated_file_id
    db.flush()
    customer = app.test_client()
    assert login(customer, make_user(ready_company).email).status_code == 302
    page = customer.get("/contracts").get_data(as_text=True)
    assert contract.number in page and _unlabelled_cells(page) == []
    staff = logged(app, make_staff("head_of_sales"))
    for url in ("/staff/contracts?status=all", "/staff/contract-templates"):
        page = staff.get(url).get_data(as_text=True)
        assert "<td" in page and _unlabelled_cells(page) == [], url


def test_a_cancelled_order_gives_its_registration_discount_back(
    edo: Flask, db: Any, customer: Any, make_product: Callable[..., Any],
) -> None:
    """The discount is earned once, by registering; an order cancelled before it was
    delivered gave the customer nothing, so the next order gets the discount instead of
    it being lost. (Decided here: it was consumed for good.)"""
    db.add(RegistrationIncentive(company_id=customer.company_id, percent=Decimal("5"), registered_at=utcnow()))
    db.flush()
    product = make_product(prices={"wholesale": "100.00"})
    first = _order(db, customer, product)
    assert first.discount_amount == Decimal("5.00")
    change_status(db, first, "cancelled", Actor.of(customer))
    second = _order(db, customer, product)
    assert second.discount_amount == Decimal("5.00")
    third = _order(db, customer, product)
    assert third.discount_amount == Decimal("0.00")  # still once
    change_status(db, third, "cancelled", Actor.of(customer))  # one without it gives nothing back
    db.expire_all()
    assert db.scalar(select(RegistrationIncentive.used_order_id)) == second.id
    change_status(db, second, "cancelled", Actor.of(customer))
    db.expire_all()
    incentive = db.scalar(select(RegistrationIncentive).where(RegistrationIncentive.company_id == customer.company_id))
    assert incentive.used_order_id is None  # the second's, given back: the next order's again


def _order(db: Any, user: Any, product: Any) -> Any:
    return submit_order(db, user.company, [(product.id, Decimal("1"))], actor=Actor.of(user),
                        idempotency_key=f"k{time.monotonic_ns()}", delivery_point_id=user.company.delivery_points[0].id).order


def _with_member(data: bytes, name: str, content: bytes) -> bytes:
    """The .docx with one part added or replaced, as a crafted upload would be."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != name:
                target.writestr(item, source.read(item))
        target.writestr(name, content)
    return out.getvalue()


def _with_relationship(data: bytes, kind: str, target: str) -> bytes:
    rels = zipfile.ZipFile(io.BytesIO(data)).read("word/_rels/document.xml.rels").decode()
    added = (f'<Relationship Id="rIdX1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}" '
             f'Target="{target}" TargetMode="External"/></Relationships>')
    return _with_member(data, "word/_rels/document.xml.rels", rels.replace("</Relationships>", added).encode())


def _edit(app: Flask, manager: Any, contract: Contract, data: bytes) -> Any:
    return logged(app, manager).post(f"/staff/contracts/{contract.id}/edit", content_type="multipart/form-data",
                                     data={"file": (io.BytesIO(data), "mine.docx")})


def test_an_edit_with_template_fields_left_in_is_refused_with_their_names(
    app: Flask, db: Any, ready_company: Company, manager: Any, generate: Callable[..., Contract],
) -> None:
    """The edited .docx goes to the customer as it is: a `{{ company_name }}` left in it
    (the manager started from the template) would be signed as braces."""
    contract = generate(ready_company, manager)
    response = _edit(app, manager, contract, docx("Договір № 1", "Покупець: {{ company_name }}, {%p if x %}"))
    assert response.status_code == 400
    assert "поля шаблону" in response.get_data(as_text=True) and "{{ company_name }}" in response.get_data(as_text=True)
    db.refresh(contract)
    assert contract.edited_file_id is None and [step.action for step in contract.history] == ["generated"]


@pytest.mark.parametrize(("kind", "target"), [
    ("attachedTemplate", "https://evil.example/t.dotm"),  # Word fetches it (and its macros) on opening
    ("image", "file:///etc/passwd"),  # LibreOffice would read it into the PDF
    ("oleObject", "http://10.0.0.1/admin"),
])
def test_a_word_file_linking_outside_or_with_macros_is_refused(
    app: Flask, db: Any, ready_company: Company, manager: Any, generate: Callable[..., Contract], kind: str, target: str,
) -> None:
    contract = generate(ready_company, manager)
    for data in (_with_relationship(docx("Договір № 1"), kind, target),
                 _with_member(docx("Договір № 1"), "word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macros")):
        response = _edit(app, manager, contract, data)
        assert response.status_code == 400 and "зовнішні" in response.get_data(as_text=True)
        with pytest.raises(TemplateProblem, match="зовнішні"):
            check_template(data)
    db.refresh(contract)
    assert contract.edited_file_id is None


def test_a_word_file_with_a_hyperlink_is_still_accepted(
    app: Flask, db: Any, ready_company: Company, manager: Any, generate: Callable[..., Contract],
) -> None:
    contract = generate(ready_company, manager)
    assert _edit(app, manager, contract, _with_relationship(docx("Договір № 1"), "hyperlink", "https://vchasno.ua/")
                 ).status_code == 302


def _padded(megabytes: float) -> bytes:
    """A Word file of about that size: a part of noise nothing refers to (zip cannot shrink it)."""
    return _with_member(docx("Договір № {{ contract_number }}"), "word/media/noise.bin",
                        os.urandom(int(megabytes * 1024 * 1024)))


def test_the_template_size_limit_is_the_setting(app: Flask, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """EDO_TEMPLATE_MAX_MB set the request's limit only; the file's own check said 5 MB
    whatever it was: a smaller setting let bigger files in, a larger one refused them."""
    with app.test_request_context():
        monkeypatch.setitem(app.config, "EDO_TEMPLATE_MAX_MB", 1)
        with pytest.raises(TemplateProblem, match="дозволено до 1 МБ"):
            add_template_version(db, _padded(1.5), "big.docx", None)
        monkeypatch.setitem(app.config, "EDO_TEMPLATE_MAX_MB", 8)
        assert add_template_version(db, _padded(6), "big.docx", None).placeholders == ["contract_number"]


@pytest.mark.parametrize(("paragraphs", "code"), [
    (["{{ company_name|attr('_' ~ '_class_' ~ '_') }}"], "unsafe"),  # a name reading cannot see
    (["{{ range|attr('__init__')|attr('__globals__') }}"], "render_failed"),
    (["{{ '{0.__class__}'.format(1) }}"], "unsafe"),
    (["{{ contract_date|attr('max') }}"], "render_failed"),
    # only in one branch: every kind of payment terms is tried
    (["{%p if payment_terms_kind == 'advance' %}", "{{ signer_name|attr('\\x5f\\x5fclass\\x5f\\x5f') }}", "{%p endif %}"],
     "unsafe"),
])
def test_a_template_that_cannot_be_filled_is_refused_at_upload(paragraphs: list[str], code: str) -> None:
    """The upload check only read the template: these passed it, and then every contract
    generated from the new version failed, the automatic ones silently (a log line)."""
    with pytest.raises(TemplateProblem) as refused:
        check_template(docx("Договір", *paragraphs))
    assert refused.value.code == code


def test_a_managers_edit_waits_for_the_lawyers_approval_under_way(app: Flask, own_database: str) -> None:  # noqa: F811
    """The edit page read the contract unlocked: a lawyer's approval committed meanwhile was
    overwritten by the edit's "review" (PostgreSQL), the approved text possibly already on
    its way to Vchasno and the edited one never the one sent. Now the edit takes the row
    as the approval does, and finds it approved."""
    seed_customers(own_database, 1, Decimal("1"))

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = own_database
        REDIS_URL = None
        RATELIMIT_STORAGE_URI = "memory://"

    with separate_app(app, Config) as own_app:
        engine = own_app.extensions["db_engine"]
        with own_app.test_request_context(method="POST"), Session(engine) as session:
            install_template(session)
            manager, lawyer = (StaffUser(email=f"{role}@race.example", full_name=role, role=role,
                                         password_hash=_PASSWORD_HASH) for role in ("manager", "lawyer"))
            session.add_all([manager, lawyer])
            session.flush()
            company = session.scalar(select(Company))
            for name, value in {"email": "office@race.example", "legal_address": "м. Київ", "iban": IBAN,
                                "signer_name": "Петренко Іван", "signer_position": "директор",
                                "signing_basis": "Статуту", "manager_id": manager.id}.items():
                setattr(company, name, value)
            contract_id = generate_contract(session, company, manager).id
            session.commit()
            lawyer_id = lawyer.id
        client = own_app.test_client()
        assert login(client, "manager@race.example", staff=True).status_code == 302
        answers: list[Any] = []
        edit = threading.Thread(target=lambda: answers.append(client.post(
            f"/staff/contracts/{contract_id}/edit", content_type="multipart/form-data",
            data={"file": (io.BytesIO(docx("Мій текст договору")), "mine.docx")})))
        with own_app.test_request_context(method="POST"), Session(engine) as session:
            approve_contract(session, review_locked(session, contract_id), session.get(StaffUser, lawyer_id))
            edit.start()
            time.sleep(1.0)  # the edit is under way, the approval not yet committed
            session.commit()
        edit.join(timeout=30)
        with Session(engine) as session:
            contract = session.get(Contract, contract_id)
            status, edited = contract.status, contract.edited_file_id
    assert answers[0].status_code == 400 and "уже погоджено" in answers[0].get_data(as_text=True)
    assert (status, edited) == ("approved", None)


def test_terms_changed_while_a_contract_was_with_the_customer_renew_it_once_signed(
    app: Flask, db: Any, ready_company: Company, manager: Any, generate: Callable[..., Contract],
) -> None:
    """New terms leave a contract the customer may be signing alone (edo.auto_contracts);
    but nothing came back to them: once it was signed, the company had a signed contract
    with its old terms, and no event would ever make the new one."""
    sent = generate(ready_company, manager)
    sent.status = "sent"
    ready_company.payment_terms, ready_company.deferral_days = "prepayment", 0
    db.flush()
    with app.app_context():
        changed = outbox.emit(db, "company.terms_changed", {"company_id": ready_company.id})
        db.commit()
        assert outbox.deliver(db, changed.id, outward=False) == "done"
        assert db.scalar(select(func.count(Contract.id))) == 1  # with the customer: left alone
        sent.status = "signed"
        signed = outbox.emit(db, "contract.signed", status_payload(sent, "signed", utcnow()))
        db.commit()
        outbox.deliver(db, signed.id, outward=False)
        outbox.deliver(db, signed.id, outward=False)  # redelivered: one new contract still
    renewed = db.scalars(select(Contract).where(Contract.id != sent.id)).all()
    assert [(contract.reason, contract.status, contract.snapshot["payment_terms_kind"]) for contract in renewed] == [
        ("terms_changed", "review", "prepayment")]


def test_a_double_click_on_generate_makes_one_contract(
    app: Flask, db: Any, ready_company: Company, manager: Any, template: Any,
) -> None:
    """The second click superseded the first contract with one saying the same, a number
    spent on nothing and a "superseded" row in the history for the lawyer to wonder at."""
    client = logged(app, manager)
    first = client.post(f"/staff/companies/{ready_company.id}/contracts")
    again = client.post(f"/staff/companies/{ready_company.id}/contracts", follow_redirects=True)
    assert first.status_code == 302 and "з тими самими даними вже чекає на візу юриста" in again.get_data(as_text=True)
    [contract] = db.scalars(select(Contract).where(Contract.company_id == ready_company.id)).all()
    assert contract.status == "review"
    ready_company.signer_name = "Сидоренко Олег Петрович"  # the card changed: a new contract is what is wanted
    db.flush()
    assert client.post(f"/staff/companies/{ready_company.id}/contracts").status_code == 302
    db.expire_all()
    assert [c.status for c in db.scalars(select(Contract).order_by(Contract.id))] == ["superseded", "review"]


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"), reason="SQLite has one writer at a time")
def test_a_company_taking_its_turn_does_not_hold_up_its_orders(app: Flask, own_database: str) -> None:  # noqa: F811
    """A generation, and an upload for the whole of its call to Vchasno, hold the company's
    row: FOR UPDATE also stopped every row that refers to the company (an order, its
    incentive) from being written meanwhile, their foreign key check waiting for it."""
    seed_customers(own_database, 1, Decimal("1"))
    engine = make_engine(own_database)
    with Session(engine) as holding, Session(engine) as ordering:
        company_id = holding.scalar(select(Company.id))
        take_turn(holding, company_id)
        ordering.execute(text("SET lock_timeout = '1s'"))
        ordering.add(RegistrationIncentive(company_id=company_id, percent=Decimal("5")))
        ordering.flush()  # a foreign key to the company: not held up
        ordering.rollback()
        holding.rollback()
    engine.dispose()


def test_a_change_in_the_header_or_footer_is_shown_to_the_lawyer() -> None:
    """The lawyer reads only what the diff shows, and it compared the body alone: a
    manager's clause in the page header (printed on every page) went unseen."""
    generated = docx("Договір поставки № 1", "1. Предмет договору", header="ТОВ «Оптовик»")
    edited = docx("Договір поставки № 1", "1. Предмет договору", header="ТОВ «Оптовик». Ціни може бути змінено без погодження")
    [change] = paragraph_diff(generated, edited)
    assert (change.kind, change.generated_text, change.edited_text) == (
        "changed", "ТОВ «Оптовик»", "ТОВ «Оптовик». Ціни може бути змінено без погодження")


def test_a_clause_in_a_tracked_insertion_or_a_content_control_is_shown_to_the_lawyer() -> None:
    """python-docx's paragraph text reads only the runs directly in a paragraph: a clause
    added with track changes on (or in a content control) was printed on the PDF, yet
    neither the diff nor the preview showed it."""
    generated = docx("Ціна фіксована на весь строк договору.")
    for wrapper in ("w:ins", "w:sdtContent"):
        document = Document(io.BytesIO(generated))
        paragraph = document.paragraphs[0]
        run = paragraph.add_run(" Постачальник може змінити її в односторонньому порядку.")
        wrapping = OxmlElement(wrapper)
        if wrapper == "w:ins":
            wrapping.set(qn("w:id"), "1")
            wrapping.set(qn("w:author"), "Менеджер")
        run._r.addprevious(wrapping)
        wrapping.append(run._r)
        edited = io.BytesIO()
        document.save(edited)
        [change] = paragraph_diff(generated, edited.getvalue())
        printed = "Ціна фіксована на весь строк договору. Постачальник може змінити її в односторонньому порядку."
        assert change.edited_text == printed, wrapper
        assert [block.text for block in preview(edited.getvalue())] == [printed], wrapper


@pytest.mark.parametrize("code", ['DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc.exe"',
                                  'INCLUDETEXT "/etc/passwd"', 'INCLUDEPICTURE "http://10.0.0.1/x.png" \\\\d'])
def test_a_word_file_with_a_field_that_pulls_content_in_or_runs_a_program_is_refused(code: str) -> None:
    """A field is no relationship: DDEAUTO starts a program when Word opens the file, and
    INCLUDETEXT / INCLUDEPICTURE read a file or an address when the fields are updated."""
    document = Document(io.BytesIO(docx("Договір № 1")))
    run = document.paragraphs[0].add_run()
    half = len(code) // 2  # split over two runs, as Word may write it
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    for xml in (f'<w:fldChar {w} w:fldCharType="begin"/>',
                f'<w:instrText {w} xml:space="preserve">{escape(code[:half])}</w:instrText>',
                f'<w:instrText {w} xml:space="preserve">{escape(code[half:])}</w:instrText>',
                f'<w:fldChar {w} w:fldCharType="end"/>'):
        run._r.append(parse_xml(xml))
    out = io.BytesIO()
    document.save(out)
    with pytest.raises(TemplateProblem, match="зовнішні"):
        check_template(out.getvalue())


def _png(grey: int) -> io.BytesIO:
    """A 4×4 PNG of one shade of grey, written by hand (no imaging package here)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + bytes([grey]) * 4 for _ in range(4))
    return io.BytesIO(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0))
                      + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _with_picture(grey: int | None) -> bytes:
    document = Document(io.BytesIO(docx("Договір поставки № 1", "1. Предмет договору")))
    if grey is not None:
        document.paragraphs[1].add_run().add_picture(_png(grey))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_picture_added_or_replaced_is_shown_to_the_lawyer() -> None:
    """A diff of words saw no picture: a clause drawn in one (a scan, a screenshot) went
    unseen. A picture is a mark with its hash, so one added or swapped is a change."""
    plain, white, black = _with_picture(None), _with_picture(255), _with_picture(0)
    [added] = paragraph_diff(plain, white)
    assert added.kind == "changed" and re.fullmatch(r"1\. Предмет договору\[зображення [0-9a-f]{12}\]", added.edited_text)
    [swapped] = paragraph_diff(white, black)
    assert swapped.generated_text != swapped.edited_text
    assert paragraph_diff(white, _with_picture(255)) == []


def test_an_edit_uploaded_while_the_lawyer_reads_is_not_approved_unread(
    app: Flask, db: Any, ready_company: Company, manager: Any, make_staff: Callable[..., Any],
    generate: Callable[..., Contract],
) -> None:
    """The approval named no text: a lawyer who opened the generated contract and clicked
    "approve" after the manager had uploaded an edit approved the edit, never shown it."""
    contract = generate(ready_company, manager)
    lawyer = logged(app, make_staff("lawyer"))
    page = lawyer.get(f"/staff/contracts/{contract.id}").get_data(as_text=True)
    seen = re.search(r'name="seen_edit"[^>]*value="([^"]*)"', page) or re.search(r'value="([^"]*)"[^>]*name="seen_edit"', page)
    assert seen is not None and seen.group(1) == ""
    assert _edit(app, manager, contract, docx("Інший текст договору")).status_code == 302
    refused = lawyer.post(f"/staff/contracts/{contract.id}/approve", data={"seen_edit": seen.group(1)},
                          follow_redirects=True)
    assert "менеджер завантажив змінений текст" in refused.get_data(as_text=True)
    db.refresh(contract)
    assert contract.status == "review" and contract.edited_file_id is not None
    assert lawyer.post(f"/staff/contracts/{contract.id}/approve",
                       data={"seen_edit": str(contract.edited_file_id)}).status_code == 302
    db.refresh(contract)
    assert contract.status == "approved"


def test_a_document_of_an_earlier_life_of_our_ids_is_not_taken_for_a_contract(
    edo: Flask, db: Any, vchasno_emulator: str, buyer_company: Company, make_contract: Callable[..., Contract],
) -> None:
    """Looking for a crashed upload by our id alone, a database restored from a backup
    (its ids issued again) took another customer's document, sent before the restore, for
    this contract: "sent", tracked, and signed with that customer's files."""
    contract = make_contract(buyer_company)
    provider = from_config(edo.config)
    try:
        stray = provider.upload(docx("Договір іншому клієнту"), "inshyi.docx", vendor_id=vendor_id(contract),
                                recipient_edrpou="32855961", recipient_email="other@example.com", title="Договір",
                                number=contract.number)
    finally:
        provider.close()
    approve(db, contract)
    relay(db)
    assert contract.status == "sent" and contract.vchasno_id != stray.id
    [ours] = [document for document in documents(vchasno_emulator) if document["id"] == contract.vchasno_id]
    assert ours["recipients"][0]["edrpou"] == buyer_company.tax_id


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgresql"), reason="SQLite has one writer at a time")
def test_two_lawyers_uploading_at_once_get_two_versions(app: Flask, own_database: str) -> None:  # noqa: F811
    """Both took the largest version plus one: the second upload failed on the unique
    version with a server error, its file lost."""
    engine = make_engine(own_database)
    problems: list[BaseException] = []
    with app.test_request_context(method="POST"), Session(engine) as first:
        add_template_version(first, docx("Договір № {{ contract_number }}"), "first.docx", None)

        def second() -> None:
            try:
                with app.test_request_context(method="POST"), Session(engine) as session:
                    add_template_version(session, docx("Договір поставки № {{ contract_number }}"), "second.docx", None)
                    session.commit()
            except BaseException as exc:  # surfaced below, not lost in the thread
                problems.append(exc)

        uploading = threading.Thread(target=second)
        uploading.start()
        time.sleep(1.0)  # the second is under way while the first is not committed
        first.commit()
        uploading.join(timeout=30)
    with Session(engine) as session:
        versions = sorted(session.scalars(select(ContractTemplate.version)))
    engine.dispose()
    assert problems == [] and versions == [1, 2]
