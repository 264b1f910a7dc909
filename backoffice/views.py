"""The dashboard: today's numbers and links to the queues that need a person."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any

from flask import render_template
from sqlalchemy import func, select

from backoffice.blueprint import bp
from core.auth import staff_required
from core.clock import KYIV, kyiv_today, utcnow
from core.db import db_session
from core.orders import states
from core.orders.models import Order
from core.outbox import FAILED, OutboxEvent
from notify.models import FAILED as MESSAGE_FAILED
from notify.models import UNKNOWN as MESSAGE_UNKNOWN
from notify.models import Message


def start_of_kyiv_day_utc() -> datetime:
    return datetime.combine(kyiv_today(), time.min, tzinfo=KYIV).astimezone(timezone.utc)


@bp.get("/")
@staff_required()
def index() -> Any:
    counts = {
        "new_today": db_session.scalar(
            select(func.count()).select_from(Order).where(Order.created_at >= start_of_kyiv_day_utc())
        ),
        "awaiting_confirmation": db_session.scalar(
            select(func.count()).select_from(Order).where(Order.status == states.SUBMITTED)
        ),
        "failed_events": db_session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status == FAILED)
        ),
        # Rules send the routine; staff only see what failed (the last week's, so the card
        # does not count history nobody will act on).
        "failed_messages": db_session.scalar(
            select(func.count()).select_from(Message)
            .where(Message.status == MESSAGE_FAILED, Message.created_at >= utcnow() - timedelta(days=7))
        ),
        # Messages a dead worker left in doubt: each needs a look whatever its age.
        "unknown_messages": db_session.scalar(
            select(func.count()).select_from(Message).where(Message.status == MESSAGE_UNKNOWN)
        ),
    }
    return render_template("backoffice/index.html", counts=counts, today=kyiv_today())
