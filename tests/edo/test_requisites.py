"""The company card's requisites: edited on the company form, the IBAN checked (UA and 27
digits, mod-97) and stored compact; bad input changes nothing."""
from __future__ import annotations

from sqlalchemy import select

from core.outbox import OutboxEvent
from tests.edo.conftest import logged


def form(company, **changes):
    data = {
        "name": company.name, "kind": company.kind, "tax_id": company.tax_id, "price_type_id": company.price_type_id,
        "payment_terms": company.payment_terms, "deferral_days": company.deferral_days or "",
        "advance_percent": company.advance_percent or "", "credit_limit": str(company.credit_limit),
        "manager_id": company.manager_id or "", "phone": company.phone or "", "email": company.email or "",
        "pay_oldest_first": "y", "legal_address": company.legal_address, "iban": company.iban,
        "bank_name": company.bank_name, "signer_name": company.signer_name,
        "signer_position": company.signer_position, "signing_basis": company.signing_basis,
    }
    return {**data, **changes}


def test_requisites_are_saved_and_the_iban_stored_compact(app, db, make_company, manager):
    company = make_company(manager_id=manager.id)
    client = logged(app, manager)
    response = client.post(f"/staff/companies/{company.id}/edit", data=form(
        company, legal_address=" 01001, м. Київ, вул. Хрещатик, 1 ", iban="ua21 3223 1300 0002 6007 2335 6600 1",
        bank_name="АТ «Універсал Банк»", signer_name="Петренко Іван Іванович", signer_position="директор",
        signing_basis="Статуту"))
    assert response.status_code == 302
    db.refresh(company)
    assert (company.legal_address, company.iban, company.signer_name) == (
        "01001, м. Київ, вул. Хрещатик, 1", "UA213223130000026007233566001", "Петренко Іван Іванович")
    card = client.get(f"/staff/companies/{company.id}").get_data(as_text=True)
    assert "UA213223130000026007233566001 · АТ «Універсал Банк»" in card
    assert "директор Петренко Іван Іванович, діє на підставі Статуту" in card


def test_a_bad_iban_is_refused_and_changes_nothing(app, db, make_company, manager):
    company = make_company(manager_id=manager.id, iban="UA213223130000026007233566001")
    client = logged(app, manager)
    for bad in ("UA213223130000026007233566002", "DE89370400440532013000", "UA21322313000002600723356600", "UA2132231300000260072335660O1"):
        response = client.post(f"/staff/companies/{company.id}/edit", data=form(company, iban=bad, signer_name="Хтось"))
        assert response.status_code == 400, bad
        assert "Невірний IBAN: UA і 27 цифр з правильними контрольними цифрами." in response.get_data(as_text=True)
    db.refresh(company)
    assert company.iban == "UA213223130000026007233566001" and company.signer_name == ""


def test_a_change_of_payment_terms_is_announced_and_other_edits_are_not(app, db, make_company, manager):
    company = make_company(manager_id=manager.id)
    client = logged(app, manager)
    assert client.post(f"/staff/companies/{company.id}/edit", data=form(company, signer_name="Петренко І. І.")).status_code == 302
    assert client.post(f"/staff/companies/{company.id}/edit", data=form(
        company, payment_terms="deferred", deferral_days="30")).status_code == 302
    [event] = db.scalars(select(OutboxEvent).where(OutboxEvent.topic == "company.terms_changed"))
    assert event.payload == {
        "company_id": company.id,
        "before": {"payment_terms": "prepayment", "deferral_days": 0, "advance_percent": 0},
        "after": {"payment_terms": "deferred", "deferral_days": 30, "advance_percent": 0},
    }
