"""What enabled features add to the pages of the catalog and of orders: sections of a
product's page (`Feature.product_details`) and of an order's (`Feature.order_details`),
when prices and stock last arrived (`Feature.synced_at`), and sections of the staff's
exchange page (`Feature.sync_details`).

The kernel and the portal know no feature by name; a feature that brings product data from
outside (1C) declares these functions, and without one the page shows the kernel's fields
only and no sync time.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Section:
    """A titled block of a product's page: label/value rows, or a template of the feature's
    own (rendered with `section` in its context, `data` holding what it needs)."""

    title: str
    rows: tuple[tuple[str, str], ...] = ()
    template: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


def product_sections(session: Session, product_id: int) -> list[Section]:
    registry = current_app.extensions["features"]
    return [section for details in registry.product_details() for section in details(session, product_id)]


def order_sections(session: Session, order: Any) -> list[Section]:
    """What enabled features add to an order's page (the customer's and the staff's)."""
    registry = current_app.extensions["features"]
    return [section for details in registry.order_details() for section in details(session, order)]


def sync_sections(session: Session, staff_user: Any) -> list[Section]:
    """What enabled features add to the staff's exchange page, for this member of staff."""
    registry = current_app.extensions["features"]
    return [section for details in registry.sync_details() for section in details(session, staff_user)]


def last_synced(session: Session) -> datetime | None:
    """The latest moment any enabled feature says prices and stock arrived; None when none
    syncs them (or none has yet)."""
    registry = current_app.extensions["features"]
    moments = [moment for synced_at in registry.synced_at() if (moment := synced_at(session)) is not None]
    return max(moments, default=None)
