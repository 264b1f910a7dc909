"""The feature registry: the kernel learns its features from configuration, never by import.

Each feature package (`payments`, `notify`, `portal`, `backoffice`, then `onec`, `edo`)
declares itself in `<package>/feature.py` as `FEATURE = Feature(...)`: what it brings
(blueprints, models, outbox topics and handlers, Celery tasks and periodic jobs, CLI
commands, staff navigation, settings and their validation, secrets, demo data) as dotted
names, so declaring costs no import. `create_app` reads `FEATURES` (like Django's
INSTALLED_APPS) and wires each enabled feature into the app the way a Flask extension's
`init_app` would. A feature left out of `FEATURES` brings no page, task, job, topic,
command or menu entry; one that needs a feature left out stops the start with a message
naming both.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from core import outbox
from core.config import ROOT, ConfigError


@dataclass(frozen=True)
class NavEntry:
    """A staff menu entry: shown to the roles listed (none: every staff member) when the
    endpoint's feature is enabled. `position` orders the menu across features."""

    endpoint: str
    label: Any
    roles: tuple[str, ...] = ()
    position: int = 100


@dataclass(frozen=True)
class Mount:
    """A blueprint, by dotted name (`portal.routes:bp`), and where its URLs start; with
    `when`, mounted only if those features are enabled too (a feature's pages about
    another's data, such as the backoffice's message log)."""

    blueprint: str
    url_prefix: str | None = None
    when: tuple[str, ...] = ()
    # Where a visitor of these pages who must log in is sent: its pages are for staff or
    # for customers (their login form finds the account among those).
    login_endpoint: str | None = None
    staff: bool = False


@dataclass(frozen=True)
class Secret:
    """A setting that signs or unlocks something: no default in the code, refused when it
    is a value published in the code; the embedded demo makes one with `demo_value`."""

    name: str
    demo_value: Callable[[], str] | None = None
    published: frozenset[str] = frozenset()
    min_length: int = 0


@dataclass(frozen=True)
class Feature:
    name: str
    description: str
    requires: tuple[str, ...] = ()
    # A class whose UPPER_CASE attributes are the feature's settings and their defaults
    # (read from the environment); the app's own config overrides them.
    settings: type | None = None
    # Problems of the final config (each a sentence naming the variable); any stops the start.
    check_settings: Callable[[Any], list[str]] | None = None
    secrets: tuple[Secret, ...] = ()
    models: tuple[str, ...] = ()
    # `module:NAME` of a list of `core.outbox.Topic`.
    topics: str | None = None
    # `module:NAME` of topic names its handlers listen to that no package declares yet.
    awaits: str | None = None
    # Modules whose import subscribes outbox handlers, defines Celery tasks or periodic jobs.
    handlers: tuple[str, ...] = ()
    # `module:function`s run in the transaction of every order status change
    # (core/orders/hooks.py), in the order listed.
    order_hooks: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    blueprints: tuple[Mount, ...] = ()
    commands: tuple[str, ...] = ()
    nav: tuple[NavEntry, ...] = ()
    # Settings (in MB) limiting an upload: the request body may be the largest plus one MB.
    upload_limits: tuple[str, ...] = ()
    # Settings holding a URL whose origin the pages' forms may post to (a payment page).
    form_targets: tuple[str, ...] = ()
    # `module:function` adding the feature's part of the demo: given the demo built so far
    # (`demo.history.DemoBuild`), it returns what it plays beside the order history
    # (payments: the invoices and payments, `demo.history.MoneySide`).
    demo: str | None = None
    # `module:function(session, now)` run once the demo is built (history included): the
    # feature's own showcase on top of it (contracts in every state). Needs the app (its
    # settings and file store), so a demo seeded outside one leaves it out.
    demo_showcase: str | None = None
    # `module:function(app, session) -> (name, url, stop)`s `flask serve-demo` runs at start:
    # what the feature's outside service is in the demo (an emulator on loopback, the app
    # pointed at it); the server prints each name and address.
    demo_services: tuple[str, ...] = ()
    # `module:function(session, product_id) -> list[core.catalog.details.Section]`: what the
    # feature adds to a product's page in the portal (1C: properties, images, barcodes).
    product_details: tuple[str, ...] = ()
    # `module:function(session, order) -> list[core.catalog.details.Section]`: what the feature
    # adds to an order's page, the customer's and the staff's (1C: its documents of the order).
    order_details: tuple[str, ...] = ()
    # `module:function(session, staff_user) -> list[core.catalog.details.Section]`: what the
    # feature adds to the staff's exchange page (contracts: those Vchasno has not taken), as
    # much of it as that member of staff may see.
    sync_details: tuple[str, ...] = ()
    # `module:function(session) -> datetime | None`: when prices and stock last arrived from
    # the feature's outside source; customers see the latest any enabled feature reports.
    synced_at: str | None = None

    @property
    def translations(self) -> str | None:
        folder = ROOT / self.name / "translations"
        return str(folder) if folder.is_dir() else None


def resolve(dotted: str) -> Any:
    """`package.module:attribute` (or a bare module)."""
    module_name, _, attribute = dotted.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def installed_names() -> list[str]:
    """Every feature package in the checkout, enabled or not."""
    return sorted(path.parent.name for path in ROOT.glob("*/feature.py"))


def parse_names(raw: str | Iterable[str]) -> list[str]:
    names = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw)
    return list(dict.fromkeys(name.strip() for name in names if name.strip()))


@dataclass
class Registry:
    features: list[Feature]
    installed: list[str] = field(default_factory=installed_names)

    @property
    def names(self) -> list[str]:
        return [feature.name for feature in self.features]

    def enabled(self, name: str) -> bool:
        return name in self.names

    def owns(self, module: str) -> bool:
        """Whether code of this module may act in this app: the kernel's and the enabled
        features' may; a disabled feature's, imported earlier in the process, may not."""
        top = module.split(".", 1)[0]
        return top not in self.installed or top in self.names

    def nav(self) -> list[NavEntry]:
        entries = [entry for feature in self.features for entry in feature.nav]
        return sorted(entries, key=lambda entry: entry.position)

    def mounts(self) -> list[Mount]:
        return [mount for feature in self.features for mount in feature.blueprints
                if all(self.enabled(name) for name in mount.when)]

    def product_details(self) -> list[Callable[..., Any]]:
        return [resolve(name) for feature in self.features for name in feature.product_details]

    def order_details(self) -> list[Callable[..., Any]]:
        return [resolve(name) for feature in self.features for name in feature.order_details]

    def sync_details(self) -> list[Callable[..., Any]]:
        return [resolve(name) for feature in self.features for name in feature.sync_details]

    def synced_at(self) -> list[Callable[..., Any]]:
        return [resolve(feature.synced_at) for feature in self.features if feature.synced_at]

    def secrets(self) -> list[Secret]:
        return [secret for feature in self.features for secret in feature.secrets]

    def form_targets(self) -> list[str]:
        return [name for feature in self.features for name in feature.form_targets]

    def max_upload_bytes(self, config: Any) -> int:
        megabytes = max((config[name] for feature in self.features for name in feature.upload_limits), default=0)
        return (megabytes + 1) * 1024 * 1024


def load(raw: str | Iterable[str]) -> Registry:
    """The enabled features, in the configured order, their requirements checked."""
    names = parse_names(raw)
    installed = installed_names()
    unknown = [name for name in names if name not in installed]
    if unknown:
        raise ConfigError(
            f"FEATURES names {', '.join(unknown)}, which is no feature package here "
            f"(installed: {', '.join(installed)})"
        )
    features = [resolve(f"{name}.feature:FEATURE") for name in names]
    for feature in features:
        missing = [needed for needed in feature.requires if needed not in names]
        if missing:
            raise ConfigError(
                f"Refusing to start: the feature {feature.name!r} requires {', '.join(map(repr, missing))}, "
                f"which FEATURES does not enable. Enable it or disable {feature.name!r}."
            )
    return Registry(features, installed)


def apply_settings(config: Any, registry: Registry) -> None:
    """Each feature's defaults under what the app's config already says."""
    for feature in registry.features:
        if feature.settings is None:
            continue
        for name in dir(feature.settings):
            if name.isupper():
                config.setdefault(name, getattr(feature.settings, name))


def check_settings(config: Any, registry: Registry) -> None:
    problems = [
        problem
        for feature in registry.features
        if feature.check_settings is not None
        for problem in feature.check_settings(config)
    ]
    if problems:
        raise ConfigError("Refusing to start: " + "; ".join(problems) + ". Set them in the environment (or .env).")


def routing(registry: Registry, extra_topics: Iterable[str] = ()) -> outbox.Routing:
    """The outbox routing of the kernel's and the enabled features' topics and handlers.
    `extra_topics`: `module:NAME` of more topic lists (the suite's own); the handlers of
    their package count too. Handlers of any other package (a disabled feature's, imported
    by an earlier app of the process) are none of this app's."""
    sources = ["core.topics:TOPICS", *(f.topics for f in registry.features if f.topics), *extra_topics]
    topics = [topic for source in sources for topic in resolve(source)]
    awaited = [name for f in registry.features if f.awaits for name in resolve(f.awaits)]
    packages = {source.split(".", 1)[0] for source in sources} | set(registry.names)
    return outbox.route(topics, lambda module: module.split(".", 1)[0] in packages, awaited)


def import_modules(registry: Registry, kind: str) -> None:
    """Import what the features list under `kind` (models, handlers, tasks)."""
    for feature in registry.features:
        for module in getattr(feature, kind):
            importlib.import_module(module)
