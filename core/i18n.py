"""Ukrainian by default, English on request; times shown in Kyiv.

Message ids are the Ukrainian text itself, so the default language never depends on
a compiled catalog; `*/translations/en` holds the English.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, session
from flask_babel import Babel, Domain, get_locale
from flask_login import current_user


class _CataloguesPerApp(Domain):
    """Flask-Babel keeps the loaded catalogues on its (process-wide) domain, keyed by
    language only: the first app of a process to read English would serve its features'
    catalogues to every other app. Each app keeps its own (the suite builds apps of
    different features side by side)."""

    def get_translations_cache(self, ctx: Any) -> dict[Any, Any]:
        return current_app.extensions.setdefault("babel_catalogues", {})


babel = Babel()
babel.domain_instance = _CataloguesPerApp()


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and Celery: messages carry their own locale
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and getattr(current_user, "locale", None) in languages:
        return current_user.locale
    # Deliberately not Accept-Language: staff and customers share devices and expect
    # Ukrainian unless they switch.
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_i18n(app: Any) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
