"""Customer login, logout and password reset. There is no self-registration."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_user

from core.auth import (
    check_password,
    even_out_answer_time,
    find_customer_by_login,
    log_out,
    read_password_token,
    throttle_login_tries,
    throttled_form,
)
from core.customers.invitations import INVITE_PURPOSE
from core.customers.services import request_password_reset, set_password
from core.db import db_session
from core.errors import DomainError
from core.web import safe_next
from portal.blueprint import bp
from portal.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm


@bp.route("/login", methods=["GET", "POST"])
@throttle_login_tries
def login() -> Any:
    if current_user.is_authenticated and getattr(current_user, "kind", None) == "customer":
        return redirect(url_for("portal.catalog"))
    form = LoginForm()
    if form.validate_on_submit():
        user = find_customer_by_login(form.login.data)
        # One message for "no such user", "wrong password" and "disabled": no hints to guessers.
        # The hash is verified in every case, so the time of the answer gives no hint either.
        password_ok = check_password(user.password_hash if user else None, form.password.data)
        if user is not None and user.is_active and password_ok:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) if request.args.get("next") else url_for("portal.catalog"))
        form.password.errors.append(gettext("Невірний логін або пароль."))
    return render_template("portal/login.html", form=form), (400 if form.errors else 200)


@bp.post("/logout")
def logout() -> Any:
    log_out()
    return redirect(url_for("portal.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@throttle_login_tries
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        even_out_answer_time()
        request_password_reset(db_session, find_customer_by_login(form.login.data))
        db_session.commit()
        flash(gettext("Якщо такий користувач є, ми надіслали йому посилання для зміни пароля."), "ok")
        return redirect(url_for("portal.login"))
    return render_template("portal/forgot.html", form=form)


@bp.errorhandler(429)
def too_many_tries(_error: Exception) -> Any:
    return throttled_form(
        "portal.forgot_password", (ForgotPasswordForm, "portal/forgot.html"), (LoginForm, "portal/login.html")
    )


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    return _choose_password(token, "reset")


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Any:
    """The link in the invitation: the new user's first password, then the login page."""
    return _choose_password(token, INVITE_PURPOSE)


def _choose_password(token: str, purpose: str) -> Any:
    user = read_password_token(token, purpose)
    if user is None or user.kind != "customer":
        flash(gettext("Посилання недійсне: воно застаріло або вже використане. Запросіть нове."), "error")
        return redirect(url_for("portal.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            set_password(db_session, user, form.password.data, form.confirm.data)
        except DomainError as exc:
            getattr(form, exc.field or "password").errors.append(exc.message)
        else:
            db_session.commit()
            flash(gettext("Пароль змінено. Увійдіть з новим паролем."), "ok")
            return redirect(url_for("portal.login"))
    return render_template("portal/reset.html", form=form, welcome=purpose == INVITE_PURPOSE), (400 if form.errors else 200)
