from sqlalchemy import select

from core.auth import check_password
from core.outbox import OutboxEvent
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


def test_password_reset_link_is_masked_in_the_message_log_and_works_once(client, customer, db):
    response = client.post("/forgot", data={"login": customer.email})
    assert response.status_code == 302
    message = db.scalar(select(Message).where(Message.recipient == customer.email))
    assert message is not None and message.template == "password_reset"
    assert "/reset/••••••" in message.body
    # The link as the e-mail carries it.
    link = db.get(OutboxEvent, message.event_id).payload["link"].split("http://127.0.0.1:5000", 1)[1]
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
