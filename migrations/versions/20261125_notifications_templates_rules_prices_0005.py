"""notifications templates rules price changes invitations

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

Messages already in the log keep their rows: the new non-null columns get defaults.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('message_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=60), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_template')),
    sa.UniqueConstraint('event', 'channel', 'language', name='uq_message_template')
    )
    op.create_table('notify_rule',
    sa.Column('event', sa.String(length=60), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event', 'channel', name=op.f('pk_notify_rule'))
    )
    op.create_table('company_notify_settings',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('sms', sa.Boolean(), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('marketing', sa.Boolean(), nullable=False),
    sa.CheckConstraint('sms OR email', name=op.f('ck_company_notify_settings_one_channel')),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_company_notify_settings_company_id_company'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('company_id', name=op.f('pk_company_notify_settings'))
    )
    op.create_table('price_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('price_type_id', sa.Integer(), nullable=False),
    sa.Column('old_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('new_amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('changed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('digested_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['price_type_id'], ['price_type.id'], name=op.f('fk_price_change_price_type_id_price_type')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_price_change_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_change'))
    )
    with op.batch_alter_table('price_change', schema=None) as batch_op:
        batch_op.create_index('ix_price_change_undigested', ['digested_at', 'changed_at'], unique=False)

    with op.batch_alter_table('customer_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invited_at', core.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=False, server_default='uk'))
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('error_code', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('next_attempt_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claim', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('lease_until', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_message_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_message_status_next_attempt', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_message_company_id_company'), 'company', ['company_id'], ['id'])
    op.execute("UPDATE message SET next_attempt_at = created_at")
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.alter_column('next_attempt_at', existing_type=core.db.UTCDateTime(timezone=True), nullable=False)



def downgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_message_company_id_company'), type_='foreignkey')
        batch_op.drop_index('ix_message_status_next_attempt')
        batch_op.drop_index(batch_op.f('ix_message_company_id'))
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('claim')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('error_code')
        batch_op.drop_column('attachments')
        batch_op.drop_column('language')
        batch_op.drop_column('company_id')

    with op.batch_alter_table('customer_user', schema=None) as batch_op:
        batch_op.drop_column('invited_at')

    with op.batch_alter_table('price_change', schema=None) as batch_op:
        batch_op.drop_index('ix_price_change_undigested')

    op.drop_table('price_change')
    op.drop_table('company_notify_settings')
    op.drop_table('notify_rule')
    op.drop_table('message_template')
