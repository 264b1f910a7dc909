"""The demo's contracts in every Vchasno state, made by the product's code against the
emulator, and the demo server's emulator taking the open ones again."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from core.customers.models import Company
from edo.demo_vchasno import REJECTION, seed_vchasno_states, start_vchasno_emulator
from edo.models import Contract, RegistrationIncentive
from edo.sending import WAITING_REGISTRATION
from tests.edo.conftest import http


def test_the_demo_has_a_contract_in_each_vchasno_state_and_the_served_emulator_knows_the_open_one(
    edo: Flask, db: Any, make_company: Callable[..., Company], make_contract: Callable[..., Contract],
) -> None:
    companies = [make_company(email=f"office{n}@demo.ua", phone="+380671234567") for n in range(4)]
    with_customer, signed, rejected, unregistered = (make_contract(company) for company in companies)
    seed_vchasno_states(db, with_customer=with_customer, signed=signed, rejected=rejected, unregistered=unregistered)
    db.expire_all()

    assert with_customer.status == "sent" and with_customer.vchasno_id
    assert signed.status == "signed" and signed.signed_file is not None and signed.signature_file is not None
    assert (rejected.status, rejected.rejection_reason) == ("rejected", REJECTION)
    assert (unregistered.status, unregistered.last_error) == ("approved", WAITING_REGISTRATION)
    incentive = db.scalar(select(RegistrationIncentive).where(RegistrationIncentive.company_id == unregistered.company_id))
    assert incentive.registered_at is None and not unregistered.company.vchasno_registered
    assert edo.config["VCHASNO_BASE_URL"] != ""  # the throwaway emulator's address is gone again

    old_id = with_customer.vchasno_id
    name, url, stop = start_vchasno_emulator(edo, db)
    try:
        assert name.startswith("Vchasno")
        db.expire_all()
        assert with_customer.vchasno_id != old_id and with_customer.status == "sent"
        [document] = http.get(f"{url}/_emulator/documents").json()
        assert (document["id"], document["status"], document["vendor_id"]) == (
            with_customer.vchasno_id, 7002, f"contract-{with_customer.id}")
        check = http.post(f"{url}/api/v2/check/company", headers={"Authorization": edo.config["VCHASNO_TOKEN"]},
                          json={"edrpou": unregistered.company.tax_id}).json()
        assert check["is_registered"] is False
        assert http.get(f"{url}/app/documents/{document['id']}").status_code == 200
    finally:
        stop()
