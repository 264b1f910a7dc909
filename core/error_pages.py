"""Our own page for every error a visitor can meet, in their language, never a stack trace.

A script that asked for JSON (the in-page "add to cart") gets the same words as JSON.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Errors of the database being away (down, restarting, unreachable, its pool exhausted),
# not of our SQL: the visitor is told to come back, staff read the log.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


def _texts(code: int) -> tuple[str, str]:
    if code == 400:
        return gettext("Запит не вдалося обробити"), gettext("Оновіть сторінку і спробуйте ще раз.")
    if code == 403:
        return gettext("Немає доступу"), gettext("У вас немає прав на цю дію.")
    if code == 404:
        return gettext("Сторінку не знайдено"), gettext("Такої сторінки немає або вона вам недоступна.")
    if code == 405:
        return gettext("Дія недоступна"), gettext("Ця сторінка не приймає такий запит. Поверніться і скористайтеся кнопками на сторінці.")
    if code == 413:
        return gettext("Файл завеликий"), _too_large_detail()
    if code == 429:
        return gettext("Забагато спроб"), gettext("Забагато запитів поспіль. Зачекайте хвилину і спробуйте знову.")
    if code == 503:
        return gettext("Сервіс тимчасово недоступний"), gettext("Спробуйте ще раз за хвилину.")
    if code >= 500:
        return gettext("Щось пішло не так"), gettext("Ми вже знаємо про помилку. Спробуйте ще раз трохи згодом.")
    return gettext("Запит не вдалося обробити"), gettext("Поверніться на попередню сторінку і спробуйте ще раз.")


def _too_large_detail() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return gettext("Файл більший, ніж сервер може прийняти.")
    megabytes = limit / (1024 * 1024)
    size = f"{megabytes:.1f}".rstrip("0").rstrip(".").replace(".", ",") if megabytes >= 0.1 else "0,1"
    return gettext("Найбільший розмір файлу — %(size)s МБ.", size=size)


def error_response(code: int) -> Any:
    title, detail = _texts(code)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(ok=False, message=f"{title}. {detail}"), code
    return render_template("error.html", code=code, title=title, detail=detail), code


def init_error_pages(app: Any) -> None:
    # Also the 500 Flask makes of an unhandled exception (after logging its traceback);
    # with PROPAGATE_EXCEPTIONS (tests, debug) such an exception reaches the caller instead.
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if error.code is None or error.code < 400:
            return error
        response = current_app.make_response(error_response(error.code))
        if error.code == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    def database_unavailable(error: Exception) -> Any:
        log.error("database unavailable: %s", type(error).__name__, exc_info=error)
        # The page must not ask the database again: every template would look the
        # visitor up (Flask-Login's `current_user`), so this request goes on as anonymous.
        current_app.login_manager._update_request_context_with_user()
        return error_response(503)

    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, database_unavailable)
