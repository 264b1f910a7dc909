"""file store: stored_file; statements, claims and order forms keep their files there

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

Files leave the database for the file store (core/files). The claims' payment orders
(`payment_claim.file_data`, with `file_name`/`file_type`) are written to the store the
configuration names (FILES_STORE: the app's config under `flask db-upgrade`, else the
environment) and each claim points at a `stored_file` row; then the columns go. A file
is written before its row, under its hash, so a migration that fails half way and runs
again only finds some files already there. Bank statements were never kept (only their
hash); from now on the store keeps each new one. The downgrade reads the files back.
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

import core.db

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

stored_file = sa.table(
    "stored_file", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("content_type", sa.String),
    sa.column("size", sa.Integer), sa.column("sha256", sa.String), sa.column("key", sa.String),
    sa.column("created_at", core.db.UTCDateTime(timezone=True)),
)
payment_claim = sa.table(
    "payment_claim", sa.column("id", sa.Integer), sa.column("file_name", sa.String),
    sa.column("file_type", sa.String), sa.column("file_data", sa.LargeBinary), sa.column("file_id", sa.Integer),
    sa.column("created_at", core.db.UTCDateTime(timezone=True)),
)


def _store():  # type: ignore[no-untyped-def]
    from flask import current_app, has_app_context

    from core.config import Config
    from core.files.services import store_from_config

    config = current_app.config if has_app_context() else {n: getattr(Config, n) for n in dir(Config) if n.isupper()}
    return store_from_config(config)


def upgrade() -> None:
    op.create_table('stored_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_file'))
    )
    op.create_index(op.f('ix_stored_file_sha256'), 'stored_file', ['sha256'], unique=False)
    op.create_table('order_form_upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('lines_good', sa.Integer(), nullable=False),
    sa.Column('lines_bad', sa.Integer(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('added_to_cart_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_order_form_upload_company_id_company')),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_order_form_upload_order_id_customer_order')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_order_form_upload_file_id_stored_file')),
    sa.ForeignKeyConstraint(['user_id'], ['customer_user.id'], name=op.f('fk_order_form_upload_user_id_customer_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_form_upload'))
    )
    op.create_index('ix_order_form_upload_company_created', 'order_form_upload', ['company_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_order_form_upload_order_id'), 'order_form_upload', ['order_id'], unique=False)
    with op.batch_alter_table('bank_statement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_bank_statement_file_id_stored_file'), 'stored_file', ['file_id'], ['id'])
    with op.batch_alter_table('payment_claim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))

    _move_claim_files_to_store()

    with op.batch_alter_table('payment_claim', schema=None) as batch_op:
        batch_op.alter_column('file_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_payment_claim_file_id_stored_file'), 'stored_file', ['file_id'], ['id'])
        batch_op.drop_column('file_data')
        batch_op.drop_column('file_type')
        batch_op.drop_column('file_name')


def _move_claim_files_to_store() -> None:
    from core.files.interface import key_for

    connection = op.get_bind()
    claim_ids = connection.scalars(sa.select(payment_claim.c.id).order_by(payment_claim.c.id)).all()
    if not claim_ids:
        return
    store = _store()
    for claim_id in claim_ids:  # one file in memory at a time (each at most 4 MB)
        name, content_type, data, created_at = connection.execute(
            sa.select(payment_claim.c.file_name, payment_claim.c.file_type, payment_claim.c.file_data,
                      payment_claim.c.created_at).where(payment_claim.c.id == claim_id)
        ).one()
        data = bytes(data)  # a memoryview from some drivers
        digest = hashlib.sha256(data).hexdigest()
        key = key_for(digest)
        if not store.exists(key):
            store.put(key, data)
        file_id = connection.execute(
            sa.insert(stored_file).values(name=name, content_type=content_type, size=len(data), sha256=digest,
                                          key=key, created_at=created_at).returning(stored_file.c.id)
        ).scalar_one()
        connection.execute(sa.update(payment_claim).where(payment_claim.c.id == claim_id).values(file_id=file_id))


def downgrade() -> None:
    with op.batch_alter_table('payment_claim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('file_type', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('file_data', sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(payment_claim.c.id, stored_file.c.name, stored_file.c.content_type, stored_file.c.key)
        .join(stored_file, stored_file.c.id == payment_claim.c.file_id)
    ).all()
    store = _store() if rows else None
    for claim_id, name, content_type, key in rows:
        connection.execute(sa.update(payment_claim).where(payment_claim.c.id == claim_id).values(
            file_name=name, file_type=content_type, file_data=b"".join(store.open(key))))
    with op.batch_alter_table('payment_claim', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payment_claim_file_id_stored_file'), type_='foreignkey')
        batch_op.drop_column('file_id')
        for column in ('file_name', 'file_type', 'file_data'):
            batch_op.alter_column(column, existing_type=sa.LargeBinary() if column == 'file_data' else sa.String(),
                                  nullable=False)
    with op.batch_alter_table('bank_statement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bank_statement_file_id_stored_file'), type_='foreignkey')
        batch_op.drop_column('file_id')
    op.drop_index(op.f('ix_order_form_upload_order_id'), table_name='order_form_upload')
    op.drop_index('ix_order_form_upload_company_created', table_name='order_form_upload')
    op.drop_table('order_form_upload')
    op.drop_index(op.f('ix_stored_file_sha256'), table_name='stored_file')
    op.drop_table('stored_file')
