"""mask secrets in the message log

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-06

Messages written before this revision stored password-reset, invitation and pay links
as sent, readable by staff in the message log. From now on the stored text holds the
link masked (the sender puts the real one in at send time); this masks the old rows the
same way. Not reversible: the tokens are gone, which is the point.
"""
from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0012'
branch_labels = None
depends_on = None

# The templates whose messages carry such a link (notify.events: specs with secrets).
_SECRET_TEMPLATES = ("invitation", "password_reset", "invoice_issued", "payment_failed",
                     "invoice_due_soon", "invoice_due_today", "invoice_overdue")
_TOKEN = re.compile(r"(/(?:reset|welcome|pay)/)[^\s/<>\"']+")
_MASK = "••••••"

message = sa.table("message", sa.column("id", sa.Integer), sa.column("template", sa.String),
                   sa.column("subject", sa.String), sa.column("body", sa.Text))


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(message.c.id, message.c.subject, message.c.body).where(message.c.template.in_(_SECRET_TEMPLATES))
    ).all()
    for row_id, subject, body in rows:
        masked_subject, masked_body = (_TOKEN.sub(lambda m: m.group(1) + _MASK, text or "") for text in (subject, body))
        if (masked_subject, masked_body) != (subject or "", body or ""):
            connection.execute(
                sa.update(message).where(message.c.id == row_id).values(subject=masked_subject, body=masked_body)
            )


def downgrade() -> None:
    # Nothing to put back: the masked tokens are gone on purpose.
    return None
