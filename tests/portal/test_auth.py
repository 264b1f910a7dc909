from sqlalchemy import select

from core.auth import check_password
from notify.models import Message
from tests.conftest import PASSWORD, login


def test_login_by_email_and_by_phone_in_local_spelling(client, customer):
    assert login(client, customer.email.upper()).status_code == 302
    client.post("/logout")
    local = "0" + customer.phone[4:]  # +38067... typed as 067...
    response = login(client, local)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_unknown_user_and_disabled_user_get_the_same_answer(client, customer, db):
    wrong = login(client, customer.email, "not-the-password")
    unknown = login(client, "nobody@nowhere.ua")
    customer.is_active_flag = False
    db.flush()
    disabled = login(client, customer.email)
    for response in (wrong, unknown, disabled):
        assert response.status_code == 400
        assert "Невірний логін або пароль." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still logged out


def test_english_is_switchable(client, customer):
    client.get("/lang/en")
    response = login(client, customer.email, "bad")
    assert "Wrong login or password." in response.get_data(as_text=True)


def test_pages_need_a_customer_login(client):
    for url in ("/", "/cart", "/orders", "/quick-order"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_open_redirect_after_login_is_refused(client, customer):
    response = client.post("/login?next=https://evil.example/x", data={"login": customer.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_password_reset_link_goes_to_the_message_log_and_works_once(client, customer, db):
    response = client.post("/forgot", data={"login": customer.email})
    assert response.status_code == 302
    message = db.scalar(select(Message).where(Message.recipient == customer.email))
    assert message is not None and message.template == "password_reset"
    link = message.body.split("http://127.0.0.1:5000", 1)[1].split()[0]
    response = client.post(link, data={"password": "new-password-1", "confirm": "new-password-1"})
    assert response.status_code == 302
    db.refresh(customer)
    assert check_password(customer.password_hash, "new-password-1")
    again = client.post(link, data={"password": "other-password-2", "confirm": "other-password-2"}, follow_redirects=True)
    assert "Посилання недійсне" in again.get_data(as_text=True)
    db.refresh(customer)
    assert check_password(customer.password_hash, "new-password-1")


def test_forgot_password_for_unknown_login_says_the_same_and_sends_nothing(client, db):
    before = db.scalar(select(Message.id).order_by(Message.id.desc()))
    response = client.post("/forgot", data={"login": "ghost@nowhere.ua"}, follow_redirects=True)
    assert "Якщо такий користувач є" in response.get_data(as_text=True)
    assert db.scalar(select(Message.id).order_by(Message.id.desc())) == before


def test_reset_rejects_short_and_mismatched_passwords(app, client, customer, db):
    from core.auth import make_password_token

    with app.test_request_context():
        token = make_password_token(customer)
    short = client.post(f"/reset/{token}", data={"password": "short", "confirm": "short"})
    assert short.status_code == 400 and "щонайменше 8" in short.get_data(as_text=True)
    mismatch = client.post(f"/reset/{token}", data={"password": "long-enough-1", "confirm": "long-enough-2"})
    assert mismatch.status_code == 400 and "не збігаються" in mismatch.get_data(as_text=True)
    db.refresh(customer)
    assert check_password(customer.password_hash, PASSWORD)


def test_forged_reset_token_is_refused(client):
    response = client.get("/reset/forged.token.value", follow_redirects=True)
    assert "Посилання недійсне" in response.get_data(as_text=True)


def test_login_is_rate_limited(app, client, customer):
    from core.auth import limiter

    app.config["LOGIN_RATE_LIMIT"] = "10 per minute"
    limiter.reset()
    try:
        codes = [login(client, customer.email, "wrong").status_code for _ in range(11)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "10000 per minute"
        limiter.reset()
    assert codes[:10] == [400] * 10
    assert codes[10] == 429


# --- #10.3: an ended login stays ended -------------------------------------------------


def _cookies(client):
    return {name: client.get_cookie(name).value for name in ("session", "remember_token") if client.get_cookie(name)}


def _replayed(app, cookies):
    """A fresh browser holding only the copied cookies (another device, or a thief)."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def _remembered_login(client, customer):
    response = client.post("/login", data={"login": customer.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 302
    return _cookies(client)


def test_logging_out_ends_the_session_and_the_remember_me_cookie_everywhere(app, client, customer):
    copied = _remembered_login(client, customer)
    assert set(copied) == {"session", "remember_token"}
    assert _replayed(app, copied).get("/").status_code == 200  # a copy works while the login stands
    only_remember = {"remember_token": copied["remember_token"]}
    assert _replayed(app, only_remember).get("/").status_code == 200

    assert client.post("/logout").status_code == 302
    for cookies in (copied, {"session": copied["session"]}, only_remember):
        response = _replayed(app, cookies).get("/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert login(client, customer.email).status_code == 302  # logging in again is fine
    assert client.get("/").status_code == 200


def test_a_password_reset_ends_every_session_of_the_user(app, client, customer):
    from core.auth import make_password_token

    copied = _remembered_login(client, customer)
    with app.test_request_context():
        token = make_password_token(customer)
    response = app.test_client().post(f"/reset/{token}", data={"password": "new-password-1", "confirm": "new-password-1"})
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert _replayed(app, {"remember_token": copied["remember_token"]}).get("/").status_code == 302
    assert login(client, customer.email, "new-password-1").status_code == 302


def test_switching_a_user_off_ends_their_sessions_for_good(app, client, customer, make_staff):
    copied = _remembered_login(client, customer)
    staff = app.test_client()
    admin = make_staff("admin")
    assert login(staff, admin.email, staff=True).status_code == 302
    base = f"/staff/companies/{customer.company_id}/users/{customer.id}"
    assert staff.post(f"{base}/deactivate").status_code == 302
    assert client.get("/").status_code == 302
    assert staff.post(f"{base}/activate").status_code == 302
    # Access switched back on: the cookies from before still open nothing.
    for cookies in (copied, {"remember_token": copied["remember_token"]}):
        assert _replayed(app, cookies).get("/").status_code == 302
    assert login(client, customer.email).status_code == 302


def test_a_disabled_users_cookie_opens_nothing(app, client, customer, db):
    copied = _remembered_login(client, customer)
    customer.is_active_flag = False  # switched off directly in the database, version untouched
    db.flush()
    assert _replayed(app, copied).get("/").status_code == 302


def test_the_remember_me_cookie_is_as_guarded_as_the_session_cookie(app, client, customer):
    from core.auth import match_remember_cookie

    saved = {key: app.config[key] for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE",
                                              "REMEMBER_COOKIE_HTTPONLY")}
    app.config["SESSION_COOKIE_SECURE"] = True  # production behind HTTPS
    match_remember_cookie(app.config)
    try:
        response = client.post("https://localhost/login",
                               data={"login": customer.email, "password": PASSWORD, "remember": "y"})
    finally:
        app.config.update(saved)
    set_cookies = {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}
    for name in ("session", "remember_token"):
        assert "; Secure" in set_cookies[name] and "; HttpOnly" in set_cookies[name], set_cookies[name]
