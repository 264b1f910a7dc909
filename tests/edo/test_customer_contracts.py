"""The customer's contracts page: its own company's, never a draft nor a superseded one;
files only when there, only its own."""
from __future__ import annotations

from tests.conftest import login


def logged_customer(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return client


def test_a_customer_never_sees_a_draft_and_sees_a_sent_one_with_its_files(app, db, ready_company, manager, make_user, generate):
    user = make_user(ready_company)
    superseded = generate(ready_company, manager)
    ready_company.signer_name = "Сидоренко Олег Петрович"  # the same data again would be refused as a repeat
    draft = generate(ready_company, manager)
    client = logged_customer(app, user)
    html = client.get("/contracts").get_data(as_text=True)
    assert draft.number not in html and superseded.number not in html and "Договорів ще немає." in html
    assert 'href="/contracts"' in client.get("/orders").get_data(as_text=True)  # the menu entry
    draft.status = "returned"
    db.flush()
    assert draft.number not in client.get("/contracts").get_data(as_text=True)
    draft.status, draft.pdf_file_id = "sent", draft.generated_file_id  # what the sending side sets
    db.flush()
    html = client.get("/contracts").get_data(as_text=True)
    assert f"№ {draft.number}" in html and "Чекає на ваш підпис" in html
    assert client.get(f"/contracts/{draft.id}/pdf_file").status_code == 200
    assert client.get(f"/contracts/{draft.id}/signed_file").status_code == 404  # not signed yet
    assert client.get(f"/contracts/{superseded.id}/pdf_file").status_code == 404


def test_an_approved_contract_tells_the_customer_what_it_waits_for(app, db, ready_company, manager, make_user, generate):
    client = logged_customer(app, make_user(ready_company))
    contract = generate(ready_company, manager)
    contract.status = "approved"
    db.commit()
    html = client.get("/contracts").get_data(as_text=True)
    assert "Готується до надсилання на підпис" in html and "Погоджено" not in html
    contract.last_error = "waiting_registration"
    db.commit()
    assert "Чекає на реєстрацію вашої компанії у «Вчасно»" in client.get("/contracts").get_data(as_text=True)


def test_another_companys_contract_is_a_404(app, db, ready_company, manager, make_company, make_user, generate):
    contract = generate(ready_company, manager)
    contract.status, contract.pdf_file_id = "sent", contract.generated_file_id
    db.flush()
    stranger = logged_customer(app, make_user(make_company()))
    assert contract.number not in stranger.get("/contracts").get_data(as_text=True)
    assert stranger.get(f"/contracts/{contract.id}/pdf_file").status_code == 404
    assert logged_customer(app, make_user(ready_company)).get(f"/contracts/{contract.id}/pdf_file").status_code == 200


def test_staff_and_strangers_are_not_customers_here(app, db, manager):
    assert app.test_client().get("/contracts").status_code == 302  # to the login
