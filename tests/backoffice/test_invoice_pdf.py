"""The invoice PDF staff download shows the pay link masked: the link pays without a
login, so only the customer's own copy (the portal, the e-mail attachment) carries it."""
from __future__ import annotations

from payments.invoices import invoices_of_order
from tests.conftest import login
from tests.payments.test_documents import flat, pdf_pages

MASKED = "/pay/••••••"


def test_the_staff_copy_masks_the_pay_link_and_the_customers_keeps_it(app, client, db, customer, confirmed_order,
                                                                        make_staff):
    invoice = invoices_of_order(db, confirmed_order(customer).id)[0]
    accountant = make_staff("accountant")
    db.commit()
    token = invoice.pay_token

    assert login(client, accountant.email, staff=True).status_code == 302
    staff_copy = client.get(f"/staff/invoices/{invoice.id}.pdf")
    assert staff_copy.status_code == 200 and staff_copy.headers["Content-Type"] == "application/pdf"
    staff_text = flat("\n".join(pdf_pages(staff_copy.data)))
    assert "Оплатити карткою:" in staff_text and MASKED in staff_text
    assert token not in staff_text and token.encode() not in staff_copy.data  # nor in a link annotation
    client.post("/staff/logout")

    assert login(client, customer.email).status_code == 302
    own_copy = client.get(f"/invoices/{invoice.id}.pdf")
    assert own_copy.status_code == 200
    own_text = flat("\n".join(pdf_pages(own_copy.data)))
    assert f"/pay/{token}" in own_text and MASKED not in own_text
    assert client.get(f"/pay/{token}").status_code == 200  # the link the customer holds works
