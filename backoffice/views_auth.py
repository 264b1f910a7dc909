"""Staff login, logout and password reset (e-mail + password; customers have their own door)."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_user

from backoffice.blueprint import bp
from backoffice.forms import ForgotPasswordForm, LoginForm, ResetPasswordForm
from core.auth import (
    check_password,
    even_out_answer_time,
    find_staff_by_email,
    log_out,
    read_password_token,
    throttle_login_tries,
    throttled_form,
)
from core.customers.services import request_password_reset, set_password
from core.db import db_session
from core.errors import DomainError
from core.web import put_error, safe_next


@bp.route("/login", methods=["GET", "POST"])
@throttle_login_tries
def login() -> Any:
    if getattr(current_user, "kind", None) == "staff":
        return redirect(url_for("backoffice.index"))
    form = LoginForm()
    if form.validate_on_submit():
        staff = find_staff_by_email(form.login.data)
        # One message for "no such person", "wrong password" and "disabled": no hints to guessers.
        # check_password runs even for unknown e-mails, so timing does not tell them apart either.
        password_ok = check_password(staff.password_hash if staff else None, form.password.data)
        if staff is not None and password_ok and login_user(staff, remember=form.remember.data):
            target = request.args.get("next")
            return redirect(safe_next(target) if target else url_for("backoffice.index"))
        form.password.errors.append(gettext("Невірний e-mail або пароль."))
    return render_template("backoffice/login.html", form=form), (400 if form.errors else 200)


@bp.post("/logout")
def logout() -> Any:
    log_out()  # a POST without the CSRF token never gets here (core.web.csrf)
    return redirect(url_for("backoffice.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@throttle_login_tries
def forgot_password() -> Any:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        even_out_answer_time()
        request_password_reset(db_session, find_staff_by_email(form.login.data))
        db_session.commit()
        # The same answer whether or not the address is ours.
        flash(gettext("Якщо такий працівник є, ми надіслали йому посилання для зміни пароля."), "ok")
        return redirect(url_for("backoffice.login"))
    return render_template("backoffice/forgot.html", form=form), (400 if form.errors else 200)


@bp.errorhandler(429)
def too_many_tries(_error: Exception) -> Any:
    return throttled_form(
        "backoffice.forgot_password", (ForgotPasswordForm, "backoffice/forgot.html"), (LoginForm, "backoffice/login.html")
    )


@bp.route("/reset/<token>", methods=["GET", "POST"], endpoint="reset_password")
def reset_password(token: str) -> Any:
    staff = read_password_token(token)
    if staff is None or staff.kind != "staff":
        flash(gettext("Посилання недійсне: воно застаріло або вже використане. Запросіть нове."), "error")
        return render_template("backoffice/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            set_password(db_session, staff, form.password.data, form.confirm.data)
        except DomainError as exc:
            db_session.rollback()
            put_error(form, exc)
        else:
            db_session.commit()
            flash(gettext("Пароль змінено. Увійдіть з новим паролем."), "ok")
            return redirect(url_for("backoffice.login"))
    return render_template("backoffice/reset.html", form=form, staff=staff), (400 if form.errors else 200)
