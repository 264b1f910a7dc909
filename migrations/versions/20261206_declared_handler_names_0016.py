"""declared handler names: outbox_delivery.handler keys by name, not module path

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

An outbox handler is now known by the name it declares (`@handler(topic, name=...)`),
not by its module path, so moving the function does not run it again. The deliveries
recorded under the old paths are renamed, so an event delivered before the upgrade (and
redelivered after it, by a sweep of a half-done event) does not run the same handler twice.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

RENAMED = {
    "payments.handlers.apply_liqpay_notice": "payments.apply_card_notice",
    "payments.handlers.refund_through_liqpay": "payments.carry_out_refund",
    "notify.handlers._plan": "notify.plan_messages",
}

delivery = sa.table("outbox_delivery", sa.column("handler", sa.String))


def _rename(pairs: dict[str, str]) -> None:
    for old, new in pairs.items():
        op.execute(delivery.update().where(delivery.c.handler == old).values(handler=new))


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename({new: old for old, new in RENAMED.items()})
