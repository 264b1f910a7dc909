"""Notifications: SMS through Atompark and e-mail through SMTP on the product's events,
with templates, rules, quiet hours, invitations and price digests."""
from __future__ import annotations

from core.features import Feature
from notify.settings import NotifySettings

FEATURE = Feature(
    name="notify",
    description=__doc__,
    # Messages carry invoices (their PDF, their pay link) and payment news.
    requires=("payments",),
    settings=NotifySettings,
    models=("notify.models",),
    topics="notify.topics:TOPICS",
    awaits="notify.topics:AWAITS",
    handlers=("notify.handlers",),
    tasks=("notify.tasks", "notify.price_digest"),
)
