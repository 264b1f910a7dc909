"""strip working links from stored account events

Revision ID: 0014
Revises: 0009
Create Date: 2026-12-06

`user.invited` and `user.password_reset_requested` events carried the invitation or
reset link with its token, and the outbox keeps its events. The sender now mints the
token when the message goes out, so the events no longer hold one; this takes the link
out of the events already stored. Not reversible: the tokens are gone, which is the point.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0009'
branch_labels = None
depends_on = None

_ACCOUNT_TOPICS = ("user.invited", "user.password_reset_requested")

outbox_event = sa.table("outbox_event", sa.column("id", sa.Integer), sa.column("topic", sa.String),
                        sa.column("payload", sa.JSON))


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(outbox_event.c.id, outbox_event.c.payload).where(outbox_event.c.topic.in_(_ACCOUNT_TOPICS))
    ).all()
    for row_id, payload in rows:
        if isinstance(payload, dict) and "link" in payload:
            stripped = {key: value for key, value in payload.items() if key != "link"}
            connection.execute(sa.update(outbox_event).where(outbox_event.c.id == row_id).values(payload=stripped))


def downgrade() -> None:
    # Nothing to put back: the links are gone on purpose.
    return None
