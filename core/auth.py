"""Login for customers and staff, password hashing, one-time links, role checks."""
from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, logout_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, undefer_group

from core.customers.models import User
from core.db import db_session
from core.phones import normalize_phone
from core.staff.models import StaffUser

password_hasher = PasswordHasher()  # argon2id with the library's current defaults
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# Verifying against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = password_hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return password_hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    try:
        return password_hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


# Built once: this runs on every request. Every portal page needs the company (price
# type, name) and the cart (the "portal_page" group), so they come in the same query.
_CUSTOMER_WITH_COMPANY = (
    select(User).options(joinedload(User.company), undefer_group("portal_page")).where(User.id == bindparam("user_id"))
)


def load_user(ref: str) -> User | StaffUser | None:
    """The user a reference names (`c:<id>` a customer, `s:<id>` staff), active or not."""
    kind, _, raw_id = ref.partition(":")
    if not raw_id.isdigit():
        return None
    if kind == "c":
        return db_session.scalar(_CUSTOMER_WITH_COMPANY, {"user_id": int(raw_id)})
    return db_session.get(StaffUser, int(raw_id)) if kind == "s" else None


@login_manager.user_loader
def load_session_user(session_id: str) -> User | StaffUser | None:
    """The user of a session or remember-me cookie, while that login still stands: the id
    carries the user's session version (`get_id`), which `end_sessions` moves on."""
    ref, _, version = session_id.rpartition(":")
    user = load_user(ref)
    if user is None or not user.is_active or str(user.session_version) != version:
        return None
    return user


def end_sessions(user: User | StaffUser) -> None:
    """Every session and remember-me cookie issued to the user so far stops opening anything
    (logging out, a new password, access switched off). The caller flushes and commits."""
    user.session_version = (user.session_version or 0) + 1


def log_out() -> None:
    """Logging out ends every copy of the login (another device, a thief's copy of the cookie),
    not only this browser's session: customers and staff alike."""
    if current_user.is_authenticated:
        end_sessions(current_user)
        db_session.commit()
    logout_user()


LOGIN_VIEWS = "auth.login_views"


def add_login_view(app: Any, blueprint: str, endpoint: str | None, *, staff: bool) -> None:
    """A feature's pages name their login page and whose accounts log in there; pages of
    no feature (or one without a login) send a visitor to the first login declared."""
    views = app.extensions.setdefault(LOGIN_VIEWS, {})
    if endpoint is not None:
        views[blueprint] = (endpoint, staff)
        views.setdefault(None, (endpoint, staff))


def _login_view() -> tuple[str, bool] | None:
    views = current_app.extensions.get(LOGIN_VIEWS, {})
    return views.get(request.blueprint) or views.get(None)


def staff_side() -> bool:
    """Whether this request is on staff pages (their login finds staff accounts)."""
    view = _login_view()
    return view is not None and view[1]


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    view = _login_view()
    if view is None:  # no login page in this app: nobody can log in to see it
        abort(401)
    return redirect(url_for(view[0], next=request.full_path))


def login_account_key() -> str:
    """The account a login or reset form names: its e-mail and its phone in any spelling
    are one count. A login that is nobody's is counted as accounts are matched (e-mail
    lower-cased, a phone in E.164). Empty for an empty field: the limit is then skipped."""
    login = (request.form.get("login") or "").strip()
    if not login:
        return ""
    account = find_staff_by_email(login) if staff_side() else find_customer_by_login(login)
    if account is not None:
        return f"account:{account.ref}"
    return "login:" + (login.lower() if "@" in login else normalize_phone(login) or login.lower())


def _per_address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _per_account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def throttle_login_tries(view: Callable[..., Any]) -> Callable[..., Any]:
    """For the login and reset forms: POSTs are counted per address and per account, so
    tries spread over many addresses still run into the account's own short window."""
    view = limiter.limit(_per_account_limit, key_func=login_account_key, methods=["POST"])(view)
    return limiter.limit(_per_address_limit, methods=["POST"])(view)


def too_many_tries_message() -> str:
    """What a throttled login or reset form says: why, and when to try again."""
    breached = limiter.current_limit
    # reset_at is in whole seconds, rounded up by some storages (Redis): a fresh one-minute
    # window can read as up to 61 s away, so the part of a second is dropped, not rounded.
    seconds = int(breached.reset_at - time.time()) if breached else 60
    return gettext("Забагато спроб. Спробуйте ще раз через %(minutes)s хв.", minutes=max(1, math.ceil(seconds / 60)))


def throttled_form(forgot_endpoint: str, forgot: tuple[Any, str], login: tuple[Any, str]) -> Any:
    """A blueprint's 429 answer: only its login and reset forms are throttled, so the
    answer is that form again, saying why and for how long. `forgot` and `login` are
    (form class, template)."""
    form_class, template = forgot if request.endpoint == forgot_endpoint else login
    form = form_class()
    form.login.errors = [too_many_tries_message()]
    return render_template(template, form=form), 429


def even_out_answer_time() -> None:
    """A reset request for a real account writes a link and sends it; one for nobody does
    nothing. Both answer PASSWORD_RESET_ANSWER_SECONDS after this call, the sending the
    embedded default does after the view (the outbox relay) included, so the time of the
    answer does not tell which it was."""
    g.answer_not_before = time.monotonic() + current_app.config["PASSWORD_RESET_ANSWER_SECONDS"]


def _hold_answer(_exc: BaseException | None) -> None:
    not_before = g.pop("answer_not_before", None)
    if not_before is not None:
        time.sleep(max(0.0, not_before - time.monotonic()))


def find_customer_by_login(login: str) -> User | None:
    """A customer logs in with an e-mail or a phone number in any common spelling."""
    login = login.strip()
    if "@" in login:
        return db_session.scalar(select(User).where(User.email == login.lower()))
    phone = normalize_phone(login)
    return db_session.scalar(select(User).where(User.phone == phone)) if phone else None


def find_staff_by_email(email: str) -> StaffUser | None:
    return db_session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))


def customer_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated or getattr(current_user, "kind", None) != "customer":
            return current_app.login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapped


def staff_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Any staff member, or only the roles named (admin passes every check)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated or getattr(current_user, "kind", None) != "staff":
                return current_app.login_manager.unauthorized()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"one-time-link:{purpose}")


def _password_fingerprint(user: User | StaffUser) -> str:
    # Part of the token: once the password changes, every earlier link stops working.
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def make_password_token(user: User | StaffUser, purpose: str = "reset") -> str:
    return _serializer(purpose).dumps({"u": user.ref, "f": _password_fingerprint(user)})


def read_password_token(token: str, purpose: str = "reset") -> User | StaffUser | None:
    # An invitation waits for someone who has never seen the portal: it lives longer.
    max_age = current_app.config["INVITATION_MAX_AGE" if purpose == "invite" else "PASSWORD_RESET_MAX_AGE"]
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    user = load_user(str(data.get("u", "")))
    if user is None or not user.is_active or data.get("f") != _password_fingerprint(user):
        return None
    return user


def match_remember_cookie(config: Any) -> None:
    """The remember-me cookie opens as much as the session cookie: it is sent and shielded
    from scripts whenever the session cookie is."""
    config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]
    config["REMEMBER_COOKIE_HTTPONLY"] = config["SESSION_COOKIE_HTTPONLY"]


def init_auth(app: Any) -> None:
    match_remember_cookie(app.config)
    # Registered before the outbox's relay, so it runs after it (Flask runs teardowns last first).
    app.teardown_request(_hold_answer)
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    limiter.init_app(app)
