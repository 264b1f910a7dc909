from sqlalchemy import func, select

from core.auth import check_password, limiter, make_password_token
from core.outbox import OutboxEvent
from notify.models import Message
from tests.conftest import PASSWORD, login
from tests.notify.conftest import delivered_link, provider_servers, providers  # noqa: F401  (the emulators)


def test_staff_logs_in_with_email_and_password(client, db, make_staff):
    staff = make_staff("manager")
    response = login(client, staff.email.upper(), staff=True)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    page = client.get("/staff/")
    assert page.status_code == 200
    assert staff.full_name in page.get_data(as_text=True)


def test_wrong_password_unknown_and_disabled_staff_get_one_answer(client, db, make_staff):
    staff = make_staff("manager")
    disabled = make_staff("admin", is_active_flag=False)
    answers = [
        login(client, staff.email, "not-the-password", staff=True),
        login(client, "nobody@distributor.ua", staff=True),
        login(client, disabled.email, staff=True),
    ]
    for response in answers:
        assert response.status_code == 400
        assert "Невірний e-mail або пароль." in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302  # still nobody logged in


def test_a_customer_cannot_log_into_the_backoffice(client, db, customer):
    response = login(client, customer.email, staff=True)
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_a_logged_in_customer_is_sent_to_the_staff_login(client, db, customer):
    assert login(client, customer.email).status_code == 302  # the portal's own login
    for url in ("/staff/", "/staff/orders", "/staff/companies", "/staff/messages", "/staff/catalog/products"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/staff/login"), url


def test_anonymous_posts_change_nothing(client, db, make_company, make_product, make_order):
    make_product()
    order = make_order(make_company())
    response = client.post(f"/staff/orders/{order.id}/status", data={"target": "confirmed"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(type(order), order.id).status == "submitted"


def test_logout(client, as_staff):
    as_staff("manager")
    assert client.post("/staff/logout").status_code == 302
    assert client.get("/staff/").status_code == 302


def test_next_only_redirects_inside_the_site(client, db, make_staff):
    staff = make_staff("manager")
    evil = client.post("/staff/login?next=https://evil.example/x", data={"login": staff.email, "password": PASSWORD})
    assert evil.headers["Location"] == "/"
    client.post("/staff/logout")
    good = client.post("/staff/login?next=/staff/orders", data={"login": staff.email, "password": PASSWORD})
    assert good.headers["Location"] == "/staff/orders"


def _reset_link(app, db, providers, email):
    """The link as the e-mail carried it (the message log keeps it masked)."""
    message = db.scalar(select(Message).where(Message.recipient == email, Message.template == "password_reset"))
    assert message is not None
    return message, delivered_link(app, db, providers, email)


def test_reset_link_is_masked_in_the_message_log_and_works_once(app, client, db, make_staff, as_staff, providers):
    forgetful = make_staff("accountant")
    response = client.post("/staff/forgot", data={"login": forgetful.email})
    assert response.status_code == 302
    message, link = _reset_link(app, db, providers, forgetful.email)
    assert link.startswith("/staff/reset/")

    # Staff see that a reset link went, never the link itself.
    as_staff("manager")
    log = client.get("/staff/messages").get_data(as_text=True)
    assert link not in log and "/staff/reset/••••••" in log
    client.post("/staff/logout")

    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "brand-new-pass-1", "confirm": "brand-new-pass-1"})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    db.refresh(forgetful)
    assert check_password(forgetful.password_hash, "brand-new-pass-1")

    again = client.post(link, data={"password": "another-pass-22", "confirm": "another-pass-22"})
    assert again.status_code == 400
    assert "Посилання недійсне" in again.get_data(as_text=True)
    db.refresh(forgetful)
    assert check_password(forgetful.password_hash, "brand-new-pass-1")
    assert login(client, forgetful.email, "brand-new-pass-1", staff=True).status_code == 302


def test_reset_with_mismatched_or_short_password_changes_nothing(app, client, db, make_staff, providers):
    staff = make_staff("manager")
    client.post("/staff/forgot", data={"login": staff.email})
    _, link = _reset_link(app, db, providers, staff.email)
    old_hash = staff.password_hash
    mismatch = client.post(link, data={"password": "brand-new-pass-1", "confirm": "brand-new-pass-2"})
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert mismatch.status_code == 400 and "Паролі не збігаються." in mismatch.get_data(as_text=True)
    assert short.status_code == 400 and "щонайменше 8" in short.get_data(as_text=True)
    db.refresh(staff)
    assert staff.password_hash == old_hash


def test_forged_token_and_customer_token_are_refused(client, ctx, customer):
    assert client.get("/staff/reset/not-a-token").status_code == 400
    # A customer's genuine token opens the portal's page, not the staff one.
    assert client.get(f"/staff/reset/{make_password_token(customer)}").status_code == 400


def test_forgot_answers_the_same_for_unknown_addresses(client, db, make_staff):
    staff = make_staff("manager")
    resets = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == "user.password_reset_requested")
    events_before = db.scalar(select(func.count()).select_from(OutboxEvent))
    unknown = client.post("/staff/forgot", data={"login": "nobody@distributor.ua"}, follow_redirects=True)
    assert db.scalar(select(func.count()).select_from(OutboxEvent)) == events_before
    known = client.post("/staff/forgot", data={"login": staff.email}, follow_redirects=True)
    neutral = "Якщо такий працівник є, ми надіслали йому посилання для зміни пароля."
    assert neutral in unknown.get_data(as_text=True) and neutral in known.get_data(as_text=True)
    assert db.scalar(resets) == 1


def test_staff_login_is_rate_limited(app, client, make_staff):
    staff = make_staff("admin")
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    try:
        codes = [login(client, staff.email, "wrong", staff=True).status_code for _ in range(4)]
        # Even the right password waits once the limit is hit: guessing must not pay off.
        right = login(client, staff.email, staff=True).status_code
        page = client.get("/staff/login").status_code  # only POSTs are limited
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "10000 per minute"
        limiter.reset()
    assert codes == [400, 400, 400, 429] and right == 429 and page == 200


# --- #10.3: an ended login stays ended -------------------------------------------------


def _copy_of(app, client):
    """A fresh browser holding copies of the client's login cookies."""
    other = app.test_client()
    for name in ("session", "remember_token"):
        if client.get_cookie(name):
            other.set_cookie(name, client.get_cookie(name).value)
    return other


def test_staff_logout_ends_every_copy_of_the_login(app, client, db, make_staff):
    admin = make_staff("admin")
    response = client.post("/staff/login", data={"login": admin.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    before = _copy_of(app, client)
    assert before.get("/staff/").status_code == 200
    assert client.post("/staff/logout").status_code == 302
    response = _copy_of(app, before).get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    before.delete_cookie("session")  # the remember-me cookie alone
    assert before.get("/staff/").status_code == 302


def test_a_staff_password_reset_ends_their_sessions(app, client, db, make_staff):
    admin = make_staff("admin")
    assert login(client, admin.email, staff=True).status_code == 302
    with app.test_request_context():
        link = f"/staff/reset/{make_password_token(admin)}"
    response = app.test_client().post(link, data={"password": "brand-new-pass-1", "confirm": "brand-new-pass-1"})
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 302


def test_staff_tries_spread_over_addresses_run_into_the_accounts_limit(app, client, make_staff):
    admin, colleague = make_staff("admin"), make_staff("manager")
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "5 per minute"
    limiter.reset()
    try:
        codes = [client.post("/staff/login", data={"login": spelling, "password": "wrong"},
                             environ_base={"REMOTE_ADDR": f"10.1.0.{n}"}).status_code
                 for n, spelling in enumerate([admin.email, admin.email.upper()] * 3)]
        right = client.post("/staff/login", data={"login": admin.email, "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "10.1.0.99"})
        other = login(client, colleague.email, staff=True).status_code
    finally:
        app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "10000 per minute"
        limiter.reset()
    assert codes == [400] * 5 + [429]
    assert right.status_code == 429 and "Забагато спроб. Спробуйте ще раз через 1 хв." in right.get_data(as_text=True)
    assert other == 302  # the colleague is not held up
