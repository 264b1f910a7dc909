"""orders: each discount its own row with its name (the online-order promotion, Vchasno's)

Orders discounted before this held one sum in `discount_amount`. It is split as it was
made, in the order it was made: the promotion's percent of the lines' sum, then the
Vchasno registration discount, its incentive's percent of the lines' sum (the incentive
names the order that used it). What neither explains (a cancelled order's Vchasno
discount: the incentive went back to the company) keeps the plain name "Знижка".

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

_CENT = Decimal("0.01")


def upgrade() -> None:
    op.create_table('order_discount',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_order_discount_order_id_customer_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_discount'))
    )
    with op.batch_alter_table('order_discount', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_discount_order_id'), ['order_id'], unique=False)
    _split_existing(op.get_bind())


def _split_existing(bind: sa.engine.Connection) -> None:
    meta = sa.MetaData()
    order = sa.Table('customer_order', meta, autoload_with=bind)
    line = sa.Table('order_line', meta, autoload_with=bind)
    promotion = sa.Table('promotion', meta, autoload_with=bind)
    incentive = sa.Table('vchasno_registration_incentive', meta, autoload_with=bind)
    discount = sa.Table('order_discount', meta, autoload_with=bind)
    goods = sa.select(sa.func.coalesce(sa.func.sum(line.c.amount), 0)).where(line.c.order_id == order.c.id).scalar_subquery()
    rows = bind.execute(
        sa.select(order.c.id, order.c.discount_amount, promotion.c.name, promotion.c.percent, incentive.c.percent, goods)
        .outerjoin(promotion, promotion.c.id == order.c.promotion_id)
        .outerjoin(incentive, incentive.c.used_order_id == order.c.id)
        .where(order.c.discount_amount > 0)
        .order_by(order.c.id)
    ).all()
    written = []
    for order_id, total, promotion_name, promotion_percent, vchasno_percent, lines_sum in rows:
        parts = []
        if promotion_name is not None:
            parts.append((promotion_percent, "discount.online_order",
                          {"promotion": promotion_name, "percent": _rate(promotion_percent)},
                          f"Знижка «{promotion_name}» {_uk(promotion_percent)} % за замовлення онлайн"))
        if vchasno_percent is not None:
            parts.append((vchasno_percent, "discount.vchasno_registration", {"percent": _rate(vchasno_percent)},
                          f"Знижка {_uk(vchasno_percent)} % за реєстрацію у Вчасно"))
        rest = Decimal(total)
        for rate, code, params, name in parts:
            amount = min((Decimal(lines_sum) * Decimal(rate) / 100).quantize(_CENT, ROUND_HALF_UP), rest)
            if amount > 0:
                written.append({"order_id": order_id, "code": code, "params": params, "name": name, "amount": amount})
                rest -= amount
        if rest > 0:
            written.append({"order_id": order_id, "code": "discount", "params": {}, "name": "Знижка", "amount": rest})
    if written:
        bind.execute(discount.insert(), written)


def _rate(rate: Decimal) -> str:
    return format(Decimal(rate).normalize(), "f")


def _uk(rate: Decimal) -> str:
    return _rate(rate).replace(".", ",")


def downgrade() -> None:
    with op.batch_alter_table('order_discount', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_discount_order_id'))
    op.drop_table('order_discount')
