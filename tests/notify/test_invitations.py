"""Cabinets created for customers who have none: an owner from the company card's
contacts, invited by a one-time link that sets the first password."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select

from core.customers.invitations import Activation, activation_by_manager, invite_companies_without_users
from core.customers.models import User
from core.outbox import OutboxEvent
from notify.models import Message
from notify.planning import plan_messages
from tests.conftest import login
from tests.notify.conftest import delivered_link

NEW_PASSWORD = "first-password-77"


@contextmanager
def request_context(app: Any) -> Any:
    # Short-lived: a context held open would be shared with the test client's requests.
    with app.test_request_context():
        yield


def invite(app: Any, db: Any) -> Any:
    with request_context(app):
        run = invite_companies_without_users(db)
        db.flush()
    return run


def invitation_events(db: Any) -> list[OutboxEvent]:
    return list(db.scalars(select(OutboxEvent).where(OutboxEvent.topic == "user.invited").order_by(OutboxEvent.id)))


def users_of(db: Any, company: Any) -> list[User]:
    return list(db.scalars(select(User).where(User.company_id == company.id).order_by(User.id)))


def test_a_company_without_users_gets_an_owner_and_an_invitation(app, db, make_company):
    company = make_company(phone="067 555 00 11", email="Owner@NewCafe.ua")
    run = invite(app, db)
    assert (run.invited, run.skipped) == (1, [])
    [user] = users_of(db, company)
    assert (user.role, user.full_name, user.email, user.phone) == ("owner", company.name, "owner@newcafe.ua", "+380675550011")
    assert user.password_hash is None and user.invited_at is not None and user.is_active
    [raised] = invitation_events(db)
    payload = raised.payload
    assert (payload["user_id"], payload["company_id"], payload["login"]) == (user.id, company.id, "owner@newcafe.ua")
    assert payload["valid_days"] == app.config["INVITATION_MAX_AGE"] // 86400 == 14
    assert "link" not in payload  # the sender mints it: no working link is stored


def test_a_company_with_only_a_phone_logs_in_by_phone(app, db, make_company):
    company = make_company(phone="+380675550012", email=None)
    assert invite(app, db).invited == 1
    [user] = users_of(db, company)
    assert (user.email, user.phone) == (None, "+380675550012")
    assert invitation_events(db)[0].payload["login"] == "+380675550012"


def test_the_link_sets_the_first_password_once(app, client, db, make_company, providers):
    company = make_company(phone="+380675550013", email="welcome@newcafe.ua")
    invite(app, db)
    db.commit()
    [user] = users_of(db, company)
    welcome = delivered_link(app, db, providers, "welcome@newcafe.ua")
    # Nobody can log in before the password is chosen.
    assert login(client, "welcome@newcafe.ua", "any-password-1").status_code == 400

    page = client.get(welcome)
    assert page.status_code == 200
    assert "Для вашої компанії створено кабінет замовлень" in page.get_data(as_text=True)

    mismatch = client.post(welcome, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400
    db.refresh(user)
    assert user.password_hash is None

    response = client.post(welcome, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    db.refresh(user)
    assert user.password_hash is not None
    assert login(client, "welcome@newcafe.ua", NEW_PASSWORD).status_code == 302
    assert login(client, "+380675550013", NEW_PASSWORD).status_code == 302
    client.post("/logout")

    # The link dies with its use.
    again = client.get(welcome)
    assert again.status_code == 302 and again.headers["Location"] == "/forgot"
    assert client.post(welcome, data={"password": "another-pass-99", "confirm": "another-pass-99"}).status_code == 302
    assert login(client, "welcome@newcafe.ua", NEW_PASSWORD).status_code == 302


def test_an_expired_link_is_refused(app, client, db, make_company, providers):
    make_company(phone="+380675550014", email="late@newcafe.ua")
    invite(app, db)
    db.commit()
    welcome = delivered_link(app, db, providers, "late@newcafe.ua")
    saved = app.config["INVITATION_MAX_AGE"]
    app.config["INVITATION_MAX_AGE"] = -1
    try:
        response = client.get(welcome)
        assert response.status_code == 302 and response.headers["Location"] == "/forgot"
        posted = client.post(welcome, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert posted.status_code == 302 and posted.headers["Location"] == "/forgot"
        flashed = client.get("/forgot").get_data(as_text=True)
    finally:
        app.config["INVITATION_MAX_AGE"] = saved
    assert "Посилання недійсне" in flashed
    assert db.scalar(select(User.password_hash).where(User.email == "late@newcafe.ua")) is None
    assert client.get(welcome).status_code == 200  # the same link within its age works


def test_a_forged_or_reset_link_is_not_an_invitation(app, client, db, make_company, providers):
    make_company(phone="+380675550015", email="forged@newcafe.ua")
    invite(app, db)
    db.commit()
    welcome = delivered_link(app, db, providers, "forged@newcafe.ua")
    token = welcome.rsplit("/", 1)[1]
    assert client.get("/welcome/" + token[:-2] + "xx").status_code == 302
    # A token made for the invitation is not a password-reset token, and the other way round.
    assert client.get(f"/reset/{token}").status_code == 302


def test_companies_without_contacts_or_with_a_taken_contact_are_skipped_with_a_reason(
        app, db, make_company, make_user):
    other = make_company()
    make_user(other, email="taken@cafe.ua", phone="+380675550016")
    bare = make_company(name="ТОВ «Без контактів»", phone=None, email=None)
    email_taken = make_company(name="ТОВ «Чужий e-mail»", phone="+380675550017", email="taken@cafe.ua")
    phone_taken = make_company(name="ТОВ «Чужий телефон»", phone="+380675550016", email="free@cafe.ua")
    fine = make_company(name="ТОВ «Все гаразд»", phone="+380675550018", email="fine@cafe.ua")
    # A second branch with the same card contacts: the first one takes them.
    branch = make_company(name="ТОВ «Все гаразд», філія", phone="+380675550018", email="fine@cafe.ua")
    junk = make_company(name="ТОВ «Кривий номер»", phone="12345", email="junk@cafe.ua")

    run = invite(app, db)
    assert run.invited == 1
    assert dict(run.skipped) == {
        "ТОВ «Без контактів»": "У картці немає ні телефону, ні e-mail.",
        "ТОВ «Чужий e-mail»": "Користувач з таким e-mail вже є.",
        "ТОВ «Чужий телефон»": "Користувач з таким телефоном вже є.",
        "ТОВ «Все гаразд», філія": "Користувач з таким e-mail вже є.",
        "ТОВ «Кривий номер»": "Невірний номер телефону.",
    }
    for company in (bare, email_taken, phone_taken, branch, junk):
        assert users_of(db, company) == []
    assert [u.email for u in users_of(db, fine)] == ["fine@cafe.ua"]
    assert [e.payload["company_id"] for e in invitation_events(db)] == [fine.id]


def test_a_company_that_has_a_user_is_left_alone_and_a_second_run_invites_nobody(app, db, make_company, make_user):
    served = make_company(phone="+380675550019", email="served@cafe.ua")
    existing = make_user(served, role="buyer")
    disabled = make_company(phone="+380675550020", email="disabled@cafe.ua")
    make_user(disabled, role="owner", is_active_flag=False)  # a user, even a disabled one, is a user
    closed = make_company(phone="+380675550021", email="closed@cafe.ua", is_active=False)
    new = make_company(phone="+380675550022", email="new@cafe.ua")

    assert invite(app, db).invited == 1
    assert [u.id for u in users_of(db, served)] == [existing.id] and existing.invited_at is None
    assert len(users_of(db, disabled)) == 1 and users_of(db, closed) == []
    assert len(users_of(db, new)) == 1

    second = invite(app, db)
    assert (second.invited, second.skipped) == (0, [])
    assert len(users_of(db, new)) == 1
    assert len(invitation_events(db)) == 1


def test_activation_is_counted_per_manager(app, db, make_company, make_staff, make_user):
    olena, petro = make_staff("manager", full_name="Олена"), make_staff("manager", full_name="Петро")
    namesake = make_staff("manager", full_name="Олена")  # two people, one name: still two managers
    companies = [make_company(manager_id=olena.id, phone=f"+38067555010{i}", email=None) for i in range(3)]
    companies += [make_company(manager_id=petro.id, phone="+380675550110", email=None)]
    companies += [make_company(manager_id=namesake.id, phone="+380675550111", email=None)]
    companies += [make_company(manager_id=None, phone="+380675550112", email=None)]
    make_user(make_company(manager_id=olena.id))  # a user who was never invited is not counted
    assert invite(app, db).invited == 6

    for company in companies[:2] + companies[4:5]:
        users_of(db, company)[0].password_hash = "set"
    db.flush()
    found = activation_by_manager(db)
    assert sorted(found, key=lambda a: (a.manager, a.invited)) == [
        Activation("", 1, 0),
        Activation("Олена", 1, 1),
        Activation("Олена", 3, 2),
        Activation("Петро", 1, 0),
    ]


def test_the_backoffice_invites_and_shows_activation(client, db, make_company, make_staff):
    from tests.conftest import login as staff_login

    head = make_staff("head_of_sales")
    manager = make_staff("manager", full_name="Ірина Менеджер")
    company = make_company(manager_id=manager.id, phone="+380675550120", email="bo@cafe.ua")
    make_company(name="ТОВ «Порожня картка»", manager_id=manager.id, phone=None, email=None)
    assert staff_login(client, head.email, staff=True).status_code == 302

    page = client.get("/staff/invitations")
    assert page.status_code == 200 and "Запрошень ще не було." in page.get_data(as_text=True)
    response = client.post("/staff/invitations")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Запрошено користувачів: 1." in html
    assert 'data-test="skipped"' in html and "ТОВ «Порожня картка»" in html
    assert 'data-test="activation"' in html and "Ірина Менеджер" in html
    [user] = users_of(db, company)
    assert user.invited_at is not None and user.role == "owner"
    # The commit handed the event to the outbox: its messages are planned.
    [raised] = invitation_events(db)
    assert {m.channel for m in db.scalars(select(Message).where(Message.event_id == raised.id))} == {"sms", "email"}

    assert "Запрошено користувачів: 0." in client.post("/staff/invitations").get_data(as_text=True)
    assert len(invitation_events(db)) == 1


@pytest.mark.parametrize("role", ["accountant", "lawyer"])
def test_only_sales_may_invite(client, db, make_company, make_staff, role):
    staff = make_staff(role)
    company = make_company(phone="+380675550121", email=None)
    assert login(client, staff.email, staff=True).status_code == 302
    assert client.get("/staff/invitations").status_code == 403
    assert client.post("/staff/invitations").status_code == 403
    assert users_of(db, company) == []


@pytest.mark.parametrize("language, words", [
    ("uk", ("для вас створено кабінет замовлень", "Ваш кабінет замовлень", "Ваш логін: invited@cafe.ua")),
    ("en", ("your ordering account is ready", "Your ordering account", "Your login: invited@cafe.ua")),
])
def test_an_invitation_reaches_the_user_by_sms_and_email_in_their_language(app, db, make_company, providers,
                                                                          language, words):
    company = make_company(phone="+380675550130", email="invited@cafe.ua")
    invite(app, db)
    [user] = users_of(db, company)
    user.locale = language
    [raised] = invitation_events(db)
    with request_context(app):
        messages = plan_messages(db, raised)
        db.flush()
    by_channel = {m.channel: m for m in messages}
    assert set(by_channel) == {"sms", "email"}  # the user only: the card's contacts are theirs already
    sms, email = by_channel["sms"], by_channel["email"]
    # Stored as staff may read it: where the link leads, not the token that opens it.
    masked = app.config["PUBLIC_BASE_URL"].rstrip("/") + "/welcome/••••••"
    assert (sms.recipient, email.recipient) == ("+380675550130", "invited@cafe.ua")
    assert {sms.status, email.status} == {"queued"} and {sms.language, email.language} == {language}
    token = delivered_link(app, db, providers, "invited@cafe.ua").rsplit("/", 1)[1]
    assert delivered_link(app, db, providers, "+380675550130").startswith("/welcome/")
    assert words[0] in sms.body and masked in sms.body and token not in sms.body
    assert email.subject.startswith(words[1]) and words[2] in email.body and masked in email.body
    assert company.name in email.body and "14" in email.body


def test_an_invitation_without_a_user_plans_nothing(app, db):
    with request_context(app):
        from core import outbox

        raised = outbox.emit(db, "user.invited", {"user_id": 999999, "company_id": None, "login": "x",
                                                  "valid_days": 14})
        db.flush()
        assert plan_messages(db, raised) == []
    assert db.scalar(select(func.count()).select_from(Message)) == 0


def test_the_command_invites_once_and_the_messages_are_planned(app, db, make_company):
    company = make_company(email="cli-invite@cafe.ua", phone="+380671239871")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["invite-customers"])
    assert first.exit_code == 0, first.output
    assert "invited" in first.output
    user = db.scalar(select(User).where(User.company_id == company.id))
    assert user is not None and user.invited_at is not None
    # Inline relay: the invitation's messages exist as soon as the command has committed.
    assert {m.channel for m in db.scalars(select(Message).where(Message.recipient.in_([user.email, user.phone])))} == {
        "sms", "email"}
    again = runner.invoke(args=["invite-customers"])
    assert again.exit_code == 0 and "invited 0 companies" in again.output
    assert db.scalar(select(func.count()).select_from(User).where(User.company_id == company.id)) == 1
