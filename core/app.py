"""create_app: one fixed init order, the same for the web, the worker and the CLI.

The kernel's parts are wired here by name; the features come from `FEATURES` through
the registry (core/features.py), each at the same steps: settings, models, events,
pages, commands.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from core import features
from core.config import ROOT, Config


def create_app(config: type[Config] | Any = Config) -> Flask:
    app = Flask(
        "portal",
        root_path=str(ROOT),
        template_folder="core/templates",
        static_folder="core/static",
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config)
    registry = features.load(app.config["FEATURES"])
    app.extensions["features"] = registry
    features.apply_settings(app.config, registry)
    if app.config["MAX_CONTENT_LENGTH"] is None:  # Flask's default: no limit at all
        app.config["MAX_CONTENT_LENGTH"] = registry.max_upload_bytes(app.config)
    from core.signing_keys import ensure_signing_keys

    ensure_signing_keys(app, registry.secrets())  # before anything connects anywhere: no start without real keys
    features.check_settings(app.config, registry)
    from core.files.services import init_files

    init_files(app)  # an S3 store missing a setting stops the start here
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES",
        ";".join([str(ROOT / "core" / "translations"), *filter(None, (f.translations for f in registry.features))]),
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    # 1. storage and models
    from core import db

    db.init_db(app)
    import core.models  # noqa: F401  the kernel's mapped classes, before anything queries

    features.import_modules(registry, "models")

    # 2. request infrastructure: headers and proxies, language, CSRF, login, rate limits
    from core import auth, headers, i18n, web

    headers.init_headers(app)
    i18n.init_i18n(app)
    web.csrf.init_app(app)
    auth.init_auth(app)

    # 3. events: outbox relay, Celery, and the features' handlers, tasks and periodic jobs
    from core import jobs, relay
    from core.celery import init_celery

    relay.init_relay(app)
    features.import_modules(registry, "handlers")
    features.import_modules(registry, "tasks")
    # A topic without a handler or a handler of an undeclared topic stops the start here.
    app.extensions["outbox"] = features.routing(registry, app.config.get("OUTBOX_EXTRA_TOPICS", ()))
    app.extensions["order_hooks"] = [features.resolve(hook) for f in registry.features for hook in f.order_hooks]
    init_celery(app)
    jobs.init_jobs(app)  # beat's schedule: the enabled features' jobs only

    # 4. web: shared pages, then each feature's blueprints
    from core import error_pages

    web.init_web(app)
    error_pages.init_error_pages(app)
    for mount in registry.mounts():
        blueprint = features.resolve(mount.blueprint)
        app.register_blueprint(blueprint, url_prefix=mount.url_prefix)
        auth.add_login_view(app, blueprint.name, mount.login_endpoint, staff=mount.staff)

    # 5. command line
    from core import cli

    cli.init_cli(app)
    for feature in registry.features:
        for command in feature.commands:
            app.cli.add_command(features.resolve(command))
    return app
