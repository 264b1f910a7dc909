"""Small pieces every backoffice view uses: 404 lookups, paging, errors onto forms, formatting."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from flask import abort, request, url_for
from flask_babel import format_date, format_datetime
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select

from backoffice import access, labels, panels
from backoffice.blueprint import bp
from core.db import db_session
from core.errors import DomainError
from core.web import put_error

PAGE_SIZE = 50
MAX_PAGE = 10_000
T = TypeVar("T")


def get_or_404(model: type[T], object_id: int) -> T:
    found = db_session.get(model, object_id)
    if found is None:
        abort(404)
    return found


def commit_or_report(form: FlaskForm, action: Callable[[], T]) -> T | None:
    """Run a service call that returns what it saved and commit it; on a DomainError
    roll back, put the message on the form and return None."""
    try:
        saved = action()
    except DomainError as exc:
        db_session.rollback()
        put_error(form, exc)
        return None
    db_session.commit()
    return saved


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    has_next: bool


def current_page() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def paginate(stmt: Select, page: int, size: int = PAGE_SIZE) -> Page:
    """One extra row tells whether there is a next page, without a COUNT over the whole table."""
    rows = list(db_session.scalars(stmt.offset((page - 1) * size).limit(size + 1)))
    return Page(rows[:size], page, len(rows) > size)


def page_url(number: int) -> str:
    args = {**request.args.to_dict(), "page": number}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _when(value: datetime | None) -> str:
    # flask_babel shows it in BABEL_DEFAULT_TIMEZONE (Europe/Kyiv).
    return "" if value is None else format_datetime(value, "dd.MM.yyyy HH:mm")


def _day(value: date | None) -> str:
    return "" if value is None else format_date(value, "dd.MM.yyyy")


@bp.context_processor
def backoffice_globals() -> dict[str, Any]:
    return {
        "nav_items": access.nav_for(current_user),
        "may": lambda roles: access.may(current_user, roles),
        "access": access,
        "panels": panels,
        "labels": labels,
        "page_url": page_url,
        "fmt_when": _when,
        "fmt_day": _day,
    }
