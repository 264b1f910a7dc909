"""From the button on the company card to the lawyer's decision, over HTTP: who may do
what, the queue with its waiting times, approve once however often clicked, return with a
comment, the manager's edited text and what the lawyer sees of it."""
from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import func, select

from core.clock import utcnow
from core.files.services import read_file
from core.outbox import OutboxEvent
from edo.models import Contract
from notify.models import Message
from tests.edo.conftest import logged
from tests.edo.documents import docx, texts


def events(db, topic: str) -> list[OutboxEvent]:
    return list(db.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id)))


def test_the_companys_manager_generates_from_the_card(app, db, ready_company, manager, template):
    client = logged(app, manager)
    card = client.get(f"/staff/companies/{ready_company.id}").get_data(as_text=True)
    assert "Сформувати договір" in card and "Договорів ще немає." in card
    response = client.post(f"/staff/companies/{ready_company.id}/contracts")
    contract = db.scalar(select(Contract).where(Contract.company_id == ready_company.id))
    assert response.status_code == 302 and response.location.endswith(f"/staff/contracts/{contract.id}")
    assert contract.status == "review" and contract.created_by_id == manager.id
    card = client.get(f"/staff/companies/{ready_company.id}").get_data(as_text=True)
    assert f"№ {contract.number}</a> · На візі в юриста" in card


def test_a_card_with_missing_requisites_names_them_and_the_button_refuses(app, db, make_company, manager, template):
    company = make_company(manager_id=manager.id, email="a@b.example")
    client = logged(app, manager)
    card = client.get(f"/staff/companies/{company.id}").get_data(as_text=True)
    assert "Для договору на картці бракує: Юридична адреса, IBAN, Підписант (ПІБ), Посада підписанта, Діє на підставі." in card
    page = client.post(f"/staff/companies/{company.id}/contracts", follow_redirects=True).get_data(as_text=True)
    assert "на картці контрагента не заповнено: Юридична адреса, IBAN" in page
    assert db.scalar(select(func.count()).select_from(Contract).where(Contract.company_id == company.id)) == 0


def test_only_the_companys_manager_the_head_of_sales_or_admin_generate(app, db, ready_company, make_staff, template):
    for role, code in (("manager", 403), ("lawyer", 403), ("accountant", 403), ("head_of_sales", 302), ("admin", 302)):
        assert logged(app, make_staff(role)).post(f"/staff/companies/{ready_company.id}/contracts").status_code == code, role


def test_the_queue_shows_the_oldest_first_with_its_waiting_time(app, db, make_company, ready_company, manager, make_staff, generate):
    other = make_company(manager_id=manager.id, **{name: getattr(ready_company, name) for name in (
        "email", "legal_address", "iban", "signer_name", "signer_position", "signing_basis")})
    newer = generate(ready_company, manager, now=utcnow() - timedelta(minutes=5))
    older = generate(other, manager, now=utcnow() - timedelta(hours=2, minutes=15, seconds=20))
    html = logged(app, make_staff("lawyer")).get("/staff/contracts").get_data(as_text=True)
    numbers = re.findall(r"№ (Д-\d{4}-\d{5})</a>", html)
    assert numbers.index(older.number) < numbers.index(newer.number)
    assert "2 год 15 хв" in html and "5 хв" in html


def test_a_manager_sees_only_their_own_companies_contracts(app, db, ready_company, manager, make_staff, generate):
    contract = generate(ready_company, manager)
    stranger = logged(app, make_staff("manager"))
    assert contract.number not in stranger.get("/staff/contracts").get_data(as_text=True)
    assert stranger.get(f"/staff/contracts/{contract.id}").status_code == 404
    assert stranger.get(f"/staff/contracts/{contract.id}/files/generated_file").status_code == 404
    own = logged(app, manager)
    assert contract.number in own.get("/staff/contracts").get_data(as_text=True)
    assert own.get(f"/staff/contracts/{contract.id}/files/generated_file").status_code == 200
    head = logged(app, make_staff("head_of_sales"))
    assert contract.number in head.get("/staff/contracts?status=review").get_data(as_text=True)
    assert contract.number not in head.get("/staff/contracts?status=signed").get_data(as_text=True)
    assert head.get("/staff/contracts?status=nonsense").status_code == 200  # no filter, no error


def test_the_lawyer_approves_once_however_often_clicked(app, db, ready_company, manager, make_staff, generate):
    contract = generate(ready_company, manager)
    lawyer = make_staff("lawyer")
    client = logged(app, lawyer)
    page = client.get(f"/staff/contracts/{contract.id}").get_data(as_text=True)
    assert "ДОГОВІР ПОСТАВКИ № " + contract.number in page and "ТОВ «Ромашка &amp; Ко»" in page
    assert client.post(f"/staff/contracts/{contract.id}/approve").status_code == 302
    again = client.post(f"/staff/contracts/{contract.id}/approve", follow_redirects=True).get_data(as_text=True)
    assert f"Договір № {contract.number} уже погоджено." in again
    db.refresh(contract)
    assert contract.status == "approved" and contract.approved_by_id == lawyer.id and contract.approved_at is not None
    assert [step.action for step in contract.history] == ["generated", "approved"]
    assert [event.payload for event in events(db, "contract.approved")] == [{"contract_id": contract.id}]


def test_the_contract_page_says_in_words_why_an_approved_contract_has_not_gone(app, db, ready_company, manager,
                                                                             make_staff, generate):
    contract = generate(ready_company, manager)
    contract.status, contract.last_error = "approved", "vchasno no_tariff: 403 access_denied"
    db.commit()
    page = logged(app, make_staff("lawyer")).get(f"/staff/contracts/{contract.id}").get_data(as_text=True)
    assert "немає тарифу «Інтеграція»" in page and "access_denied" not in page


def test_nobody_but_a_lawyer_approves_or_returns(app, db, ready_company, manager, make_staff, generate):
    contract = generate(ready_company, manager)
    for person in (manager, make_staff("head_of_sales"), make_staff("admin"), make_staff("accountant")):
        client = logged(app, person)
        assert client.post(f"/staff/contracts/{contract.id}/approve").status_code == 403
        assert client.post(f"/staff/contracts/{contract.id}/return", data={"comment": "ні"}).status_code == 403
    db.refresh(contract)
    assert contract.status == "review" and events(db, "contract.approved") == []


def test_a_return_needs_a_comment_and_reaches_the_managers_queue(app, db, ready_company, manager, make_staff, generate):
    contract = generate(ready_company, manager)
    lawyer = logged(app, make_staff("lawyer"))
    refused = lawyer.post(f"/staff/contracts/{contract.id}/return", data={"comment": "   "})
    assert refused.status_code == 400 and "без коментаря договір не повертають" in refused.get_data(as_text=True)
    db.refresh(contract)
    assert contract.status == "review"
    assert lawyer.post(f"/staff/contracts/{contract.id}/return", data={"comment": "Вкажіть підставу: Статут у новій редакції"}).status_code == 302
    db.refresh(contract)
    assert contract.status == "returned" and contract.history[-1].comment == "Вкажіть підставу: Статут у новій редакції"
    [returned] = events(db, "contract.returned")
    assert returned.payload == {
        "contract_id": contract.id, "number": contract.number, "company_id": ready_company.id,
        "manager_id": manager.id, "user": f"s:{manager.id}", "comment": "Вкажіть підставу: Статут у новій редакції",
    }
    [mail] = db.scalars(select(Message).where(Message.event_id == returned.id))  # to the manager alone, by e-mail
    assert (mail.channel, mail.recipient, mail.template) == ("email", manager.email, "contract_returned")
    assert mail.subject == f"Договір {contract.number} повернуто на доопрацювання"
    assert "Вкажіть підставу: Статут у новій редакції" in mail.body and f"/staff/contracts/{contract.id}" in mail.body
    own = logged(app, manager).get("/staff/contracts").get_data(as_text=True)
    assert contract.number in own and "Повернуто менеджеру" in own
    assert lawyer.post(f"/staff/contracts/{contract.id}/approve", follow_redirects=True).status_code == 200
    db.refresh(contract)
    assert contract.status == "returned"  # a returned contract goes back through the manager first


def test_the_managers_edit_goes_back_to_the_lawyer_who_sees_only_the_changes(app, db, ready_company, manager, make_staff, generate):
    contract = generate(ready_company, manager)
    with app.app_context():
        generated = read_file(contract.generated_file)
    paragraphs = [text for text in texts(generated) if text]
    edited_paragraphs = [("2.5. Доставка безкоштовна від 3 000 грн." if index == 12 else text) for index, text in enumerate(paragraphs)]
    edited = docx(*edited_paragraphs)
    client = logged(app, manager)
    response = client.post(f"/staff/contracts/{contract.id}/edit", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(edited), "mine.docx"), "comment": "Безкоштовна доставка"})
    assert response.status_code == 302
    db.refresh(contract)
    assert contract.status == "review" and contract.edited_file_id is not None
    assert contract.history[-1].action == "edited" and contract.history[-1].staff_user_id == manager.id
    page = logged(app, make_staff("lawyer")).get(f"/staff/contracts/{contract.id}").get_data(as_text=True)
    changes = page.split('data-test="changes"')[1].split("</section>")[0]
    assert "<ins>2.5. Доставка безкоштовна від 3 000 грн.</ins>" in changes
    assert changes.count("<ins>") == 1  # nothing else is shown as changed


def test_an_edit_that_is_not_a_word_file_or_of_an_approved_contract_is_refused(app, db, ready_company, manager, make_staff, generate):
    contract = generate(ready_company, manager)
    client = logged(app, manager)
    bad = client.post(f"/staff/contracts/{contract.id}/edit", content_type="multipart/form-data",
                      data={"file": (io.BytesIO(b"not a zip"), "mine.docx")})
    assert bad.status_code == 400 and "Файл не вдалося прочитати як документ Word" in bad.get_data(as_text=True)
    assert logged(app, make_staff("lawyer")).post(f"/staff/contracts/{contract.id}/approve").status_code == 302
    late = client.post(f"/staff/contracts/{contract.id}/edit", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(docx("Інший текст")), "mine.docx")})
    assert late.status_code == 400 and "уже погоджено: його текст не змінюють" in late.get_data(as_text=True)
    db.refresh(contract)
    assert contract.edited_file_id is None and contract.status == "approved"
    assert logged(app, make_staff("lawyer")).post(f"/staff/contracts/{contract.id}/edit").status_code == 403


def test_the_preview_shows_markup_in_a_document_as_text(app, db, ready_company, manager, make_staff, generate):
    ready_company.signer_name = '<script>alert("x")</script>'
    contract = generate(ready_company, manager)
    page = logged(app, make_staff("lawyer")).get(f"/staff/contracts/{contract.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
