"""Another company's ids in a URL answer 404 and reveal nothing."""
from sqlalchemy import func, select

from core.orders.models import CartItem
from core.orders.services import Actor, submit_order


def test_other_companys_order_is_not_found_for_every_action(app, logged_in, customer, make_company, make_user, make_product, db):
    other = make_company("ТОВ «Чужа компанія»")
    stranger = make_user(other)
    product = make_product()
    with app.test_request_context():
        order = submit_order(
            db, other, [(product.id, 1)], actor=Actor.of(stranger), idempotency_key="k",
            delivery_point_id=other.delivery_points[0].id,
        ).order
    db.commit()
    for method, url in (("get", f"/orders/{order.id}"), ("post", f"/orders/{order.id}/repeat"),
                        ("post", f"/orders/{order.id}/cancel")):
        response = getattr(logged_in, method)(url)
        assert response.status_code == 404, url
        assert "Чужа компанія" not in response.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(CartItem).where(CartItem.user_id == customer.id)) == 0
    db.refresh(order)
    assert order.status == "submitted"


def test_order_list_shows_only_own_company(app, logged_in, customer, make_company, make_user, make_product, db):
    other = make_company()
    stranger = make_user(other)
    product = make_product()
    with app.test_request_context():
        theirs = submit_order(db, other, [(product.id, 1)], actor=Actor.of(stranger), idempotency_key="t",
                              delivery_point_id=other.delivery_points[0].id).order
        mine = submit_order(db, customer.company, [(product.id, 1)], actor=Actor.of(customer), idempotency_key="m",
                            delivery_point_id=customer.company.delivery_points[0].id).order
    db.commit()
    html = logged_in.get("/orders").get_data(as_text=True)
    assert f"/orders/{mine.id}" in html and f"/orders/{theirs.id}\"" not in html


def test_staff_session_is_not_a_customer_session(client, make_staff):
    from tests.conftest import login

    staff = make_staff()
    login(client, staff.email, staff=True)
    assert client.get("/").status_code == 302
