"""The dashboard: today's numbers and links to the queues that need a person."""
from __future__ import annotations

from typing import Any

from flask import render_template
from sqlalchemy import func, select

from backoffice.blueprint import bp
from core.auth import staff_required
from core.clock import kyiv_moment, kyiv_today
from core.db import db_session
from core.orders import states
from core.orders.models import Order
from core.outbox import FAILED, OutboxEvent


@bp.get("/")
@staff_required()
def index() -> Any:
    counts = {
        "new_today": db_session.scalar(
            select(func.count()).select_from(Order).where(Order.created_at >= kyiv_moment(kyiv_today()))
        ),
        "awaiting_confirmation": db_session.scalar(
            select(func.count()).select_from(Order).where(Order.status == states.SUBMITTED)
        ),
        "failed_events": db_session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status == FAILED)
        ),
    }
    return render_template("backoffice/index.html", counts=counts, today=kyiv_today())
