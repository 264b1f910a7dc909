"""The template editor's preview: a draft rendered on the latest real event of its
kind (or on a sample when there is none yet), with the SMS size as the phone counts it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.customers.models import Company
from core.outbox import OutboxEvent
from notify import rendering
from notify.events import EventSpec
from notify.planning import render_checked

# How far back to look for an event the spec applies to (reminders share a topic).
_RECENT_EVENTS = 50


@dataclass(frozen=True)
class Preview:
    subject: str
    body: str
    html: str
    size: rendering.SmsSize | None
    source: str
    error: str


def payload_for(session: Session, spec: EventSpec) -> tuple[dict[str, Any], str]:
    events = session.scalars(
        select(OutboxEvent).where(OutboxEvent.topic == spec.topic).order_by(OutboxEvent.id.desc()).limit(_RECENT_EVENTS)
    )
    for event in events:
        if spec.applies(event.payload):
            return event.payload, f"event:{event.id}"
    sample = dict(spec.sample)
    if "company_id" in sample and sample["company_id"] is None:
        sample["company_id"] = session.scalar(select(Company.id).where(Company.is_active).order_by(Company.id).limit(1))
    return sample, "sample"


def preview(session: Session, spec: EventSpec, channel: str, language: str, subject: str, body: str) -> Preview:
    payload, source = payload_for(session, spec)
    try:
        title, text = render_checked(spec, subject, body, spec.context(session, payload, language))
    except (rendering.RenderError, KeyError, ValueError) as exc:
        return Preview("", "", "", None, source, str(exc))
    if channel == "sms":
        return Preview("", text, "", rendering.sms_size(text), source, "")
    return Preview(title, text, rendering.email_html(text, title, ""), None, source, "")
