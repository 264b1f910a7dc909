"""The exchange page lists the approved contracts Vchasno has not taken, and why, to those
who may see them."""
from __future__ import annotations

from core.clock import utcnow
from tests.edo.conftest import logged


def test_the_exchange_page_says_which_contracts_vchasno_has_not_taken_and_why(app, db, ready_company, manager,
                                                                               make_staff, generate):
    contract = generate(ready_company, manager)
    ready_company.signer_position = "генеральний директор"
    sent = generate(ready_company, manager)  # superseded the first; both set below as the test needs them
    contract.status, contract.approved_at, contract.last_error = "approved", utcnow(), "vchasno no_tariff: 403"
    sent.status, sent.last_error = "sent", ""
    db.commit()

    page = logged(app, make_staff("head_of_sales")).get("/staff/sync").get_data(as_text=True)
    assert 'data-test="vchasno-waiting"' in page and f"/staff/contracts/{contract.id}" in page
    assert "немає тарифу «Інтеграція»" in page and f"/staff/contracts/{sent.id}" not in page
    assert f"/staff/contracts/{contract.id}" in logged(app, manager).get("/staff/sync").get_data(as_text=True)
    for stranger in (make_staff("manager"), make_staff("accountant")):  # not their customer; no contracts role
        answer = logged(app, stranger).get("/staff/sync")
        assert answer.status_code == 200 and "vchasno-waiting" not in answer.get_data(as_text=True)

    contract.last_error = ""
    db.commit()
    assert "vchasno-waiting" not in logged(app, make_staff("head_of_sales")).get("/staff/sync").get_data(as_text=True)
