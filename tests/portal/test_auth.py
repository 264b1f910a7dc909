import statistics
import time

import pytest
from sqlalchemy import select

from core.auth import check_password
from notify.models import Message
from tests.conftest import PASSWORD, login
from tests.notify.conftest import delivered_link, provider_servers, providers  # noqa: F401  (the emulators)


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


def test_password_reset_link_is_masked_in_the_message_log_and_works_once(app, client, customer, db, providers):
    response = client.post("/forgot", data={"login": customer.email})
    assert response.status_code == 302
    message = db.scalar(select(Message).where(Message.recipient == customer.email))
    assert message is not None and message.template == "password_reset"
    assert "/reset/••••••" in message.body
    link = delivered_link(app, db, providers, customer.email)  # as the e-mail carried it
    assert link not in message.body
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


# --- #10.4: a login tells nothing by its timing, and guessing runs into the account's limit ---


def _cpu_seconds_per_login(client, login_name, tries=3):
    """The median CPU time of a failing login. CPU time of this process, not the wall
    clock: other work on the machine does not move it, and argon2's threads count."""
    spent = []
    for _ in range(tries):
        started = time.process_time()
        assert login(client, login_name, "not-the-password").status_code == 400
        spent.append(time.process_time() - started)
    return statistics.median(spent)


def test_an_unknown_login_takes_as_long_as_a_wrong_password(client, customer, make_user, db):
    invited = make_user(customer.company)
    invited.password_hash = None  # invited, no password chosen yet
    disabled = make_user(customer.company, is_active_flag=False)
    db.flush()
    real = _cpu_seconds_per_login(client, customer.email)
    for other in ("nobody@nowhere.ua", "+380501112233", "not a login at all", invited.email, disabled.email):
        # Each verifies an argon2 hash as a real account does; without that it is ~20x faster.
        assert _cpu_seconds_per_login(client, other) > real * 0.5, other


def _try_from(client, address, login_name, password="wrong", url="/login"):
    return client.post(url, data={"login": login_name, "password": password},
                       environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def account_limit(app):
    from core.auth import limiter

    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "5 per minute"
    limiter.reset()
    yield
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "10000 per minute"
    limiter.reset()


def test_tries_spread_over_addresses_run_into_the_accounts_limit(client, customer, make_user, account_limit):
    local_phone = "0" + customer.phone[4:]
    spellings = [customer.email, customer.email.upper(), f"  {customer.email}  ", customer.phone, local_phone]
    answers = [_try_from(client, f"10.0.0.{n}", spelling) for n, spelling in enumerate(spellings, 1)]
    assert [answer.status_code for answer in answers] == [400] * 5
    sixth = _try_from(client, "10.0.0.6", local_phone.replace("0", "0 ", 1), PASSWORD)  # even the right password
    assert sixth.status_code == 429
    assert "Забагато спроб. Спробуйте ще раз через 1 хв." in sixth.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in
    # Another customer at the same addresses is not held up.
    neighbour = make_user(customer.company)
    assert _try_from(client, "10.0.0.6", neighbour.email, PASSWORD).status_code == 302


def test_the_throttled_form_speaks_english_too(client, customer, account_limit):
    client.get("/lang/en")
    for n in range(5):
        _try_from(client, f"10.0.1.{n}", customer.email)
    answer = _try_from(client, "10.0.1.9", customer.email)
    assert answer.status_code == 429 and "Too many attempts. Try again in 1 min." in answer.get_data(as_text=True)


def test_reset_requests_for_one_account_are_limited_across_addresses(client, customer, db, account_limit):
    codes = [client.post("/forgot", data={"login": customer.email}, environ_base={"REMOTE_ADDR": f"10.0.2.{n}"}).status_code
             for n in range(6)]
    assert codes == [302] * 5 + [429]  # no SMS and e-mail flood for one customer
    sent = db.scalars(select(Message).where(Message.recipient == customer.email, Message.template == "password_reset"))
    assert len(sent.all()) == 5


def test_the_accounts_window_is_short(app):
    from limits import parse_many

    from core.config import Config

    windows = [limit.get_expiry() for limit in parse_many(Config.LOGIN_ACCOUNT_RATE_LIMIT)]
    assert windows and max(windows) <= 15 * 60  # locked out for long by someone else's guessing: never


def _wall_seconds_per_reset(client, url, login_name, tries=3):
    spent = []
    for _ in range(tries):
        started = time.perf_counter()
        assert client.post(url, data={"login": login_name}).status_code == 302
        spent.append(time.perf_counter() - started)
    return statistics.median(spent)


def test_a_reset_request_for_nobody_answers_as_late_as_one_for_a_real_account(app, client, customer, make_staff):
    staff = make_staff("manager")
    app.config["PASSWORD_RESET_ANSWER_SECONDS"] = 0.3
    try:
        for url, known, unknown in (("/forgot", customer.email, "ghost@nowhere.ua"),
                                    ("/staff/forgot", staff.email, "ghost@distributor.ua")):
            real = _wall_seconds_per_reset(client, url, known)  # writes a link, plans an SMS and an e-mail
            nobody = _wall_seconds_per_reset(client, url, unknown)
            assert real >= 0.3 and nobody >= 0.3
            assert nobody > real * 0.8, (url, real, nobody)  # without the wait: about a third
    finally:
        app.config["PASSWORD_RESET_ANSWER_SECONDS"] = 0.0
