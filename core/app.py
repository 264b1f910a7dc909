"""create_app: one fixed init order, the same for the web, the worker and the CLI."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from core.config import ROOT, Config, check_payment_settings

csrf = CSRFProtect()


def create_app(config: type[Config] | Any = Config) -> Flask:
    app = Flask(
        "portal",
        root_path=str(ROOT),
        template_folder="core/templates",
        static_folder="core/static",
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config)
    from core.signing_keys import ensure_signing_keys

    ensure_signing_keys(app)  # before anything connects anywhere: no start without real keys
    check_payment_settings(app.config)
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES",
        ";".join(str(ROOT / pkg / "translations") for pkg in ("core", "payments", "notify", "portal", "backoffice")),
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    # 1. storage and models
    from core import db

    db.init_db(app)
    import core.models  # noqa: F401  every mapped class, before anything queries

    # 2. request infrastructure: headers and proxies, language, CSRF, login, rate limits
    from core import headers, i18n

    headers.init_headers(app)

    i18n.init_i18n(app)
    csrf.init_app(app)
    from core import auth

    auth.init_auth(app)

    # 3. events: outbox relay, Celery, and the packages that subscribe to events
    from core import outbox
    from core.celery import init_celery

    outbox.init_outbox(app)
    init_celery(app)
    import notify.handlers  # noqa: F401
    import payments.invoices  # noqa: F401  issues invoices when an order is confirmed
    import payments.receivables  # noqa: F401  credit check when an order is submitted
    import payments.liqpay.tasks  # noqa: F401  periodic: ask LiqPay about lost callbacks
    import payments.dunning  # noqa: F401  periodic: the reminder ladder
    import payments.handlers  # noqa: F401  outbox: LiqPay notices applied, refunds through LiqPay

    # 4. web: shared pages, the customer portal, provider callbacks, the backoffice
    from backoffice import bp as backoffice_bp
    from core import error_pages, web
    from payments.liqpay.callbacks import bp as payments_bp
    from portal import bp as portal_bp

    web.init_web(app)
    error_pages.init_error_pages(app)
    app.register_blueprint(portal_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(backoffice_bp, url_prefix="/staff")

    # 5. command line
    from core import cli
    from core.serve import serve_demo

    cli.init_cli(app)
    app.cli.add_command(serve_demo)
    return app
