"""The admin's staff page: roles and access at a glance, access switched off (every
session of the member ends: a copied cookie opens nothing) and on, never one's own."""
from __future__ import annotations

import html

import pytest

from core.staff.models import StaffUser
from tests.conftest import PASSWORD, login

OTHER_ROLES = ("manager", "head_of_sales", "lawyer", "accountant")


def _remembered(app, email):
    """A staff member's browser after logging in with "remember me": its cookies."""
    browser = app.test_client()
    response = browser.post("/staff/login", data={"login": email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    return {name: browser.get_cookie(name).value for name in ("session", "remember_token") if browser.get_cookie(name)}


def _replayed(app, cookies):
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def _page(response):
    return html.unescape(response.get_data(as_text=True))


def test_the_admin_sees_every_member_with_role_and_access(client, db, as_staff, make_staff):
    lawyer = make_staff("lawyer", full_name="Юрист Олена")
    make_staff("accountant", full_name="Бухгалтер Ірина", is_active_flag=False)
    as_staff("admin")
    assert 'href="/staff/staff-users"' in _page(client.get("/staff/"))
    page = _page(client.get("/staff/staff-users"))
    assert "Юрист Олена" in page and lawyer.email in page and "Юрист" in page
    assert "Бухгалтер Ірина" in page and "вимкнено" in page
    assert "це ви" in page  # the admin's own row has no switch
    client.get("/lang/en")
    assert "Staff" in _page(client.get("/staff/staff-users"))


def test_switching_a_member_off_ends_every_session_and_stays_ended(app, client, db, as_staff, make_staff):
    manager = make_staff("manager")
    db.commit()
    copied = _remembered(app, manager.email)
    assert _replayed(app, copied).get("/staff/orders").status_code == 200  # the copy works while it stands
    as_staff("admin")

    response = client.post(f"/staff/staff-users/{manager.id}/deactivate", follow_redirects=True)
    assert response.status_code == 200 and "усі його сеанси завершено" in _page(response)
    db.refresh(manager)
    assert not manager.is_active
    for cookies in (copied, {"session": copied["session"]}, {"remember_token": copied["remember_token"]}):
        replay = _replayed(app, cookies).get("/staff/orders")
        assert replay.status_code == 302 and replay.headers["Location"].startswith("/staff/login")
    assert login(app.test_client(), manager.email, staff=True).status_code == 400

    # Back on: the member logs in afresh, the old cookies still open nothing.
    assert client.post(f"/staff/staff-users/{manager.id}/activate").status_code == 302
    db.refresh(manager)
    assert manager.is_active
    assert _replayed(app, copied).get("/staff/orders").status_code == 302
    assert login(app.test_client(), manager.email, staff=True).status_code == 302


def test_an_admin_cannot_switch_themselves_off(client, db, as_staff):
    admin = as_staff("admin")
    response = client.post(f"/staff/staff-users/{admin.id}/deactivate", follow_redirects=True)
    assert "Власний доступ вимкнути не можна." in _page(response)
    db.refresh(admin)
    assert admin.is_active and client.get("/staff/staff-users").status_code == 200


def test_an_unknown_member_is_a_404(client, db, as_staff):
    as_staff("admin")
    assert client.post("/staff/staff-users/999999/deactivate").status_code == 404
    assert client.post("/staff/staff-users/1/delete").status_code == 404


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_only_the_admin_may_see_or_switch(client, db, as_staff, make_staff, role):
    admin = make_staff("admin")
    as_staff(role)
    assert client.get("/staff/staff-users").status_code == 403
    assert client.post(f"/staff/staff-users/{admin.id}/deactivate").status_code == 403
    assert 'href="/staff/staff-users"' not in _page(client.get("/staff/"))
    db.refresh(admin)
    assert db.get(StaffUser, admin.id).is_active
