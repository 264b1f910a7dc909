"""From an event to queued messages: rules, recipients, their channels and language.

Runs inside the outbox handler's transaction, so the messages exist exactly when the
event has been handled; the unique (event, channel, recipient, template) key keeps a
redelivered event from writing any of them twice. Sending is the sender's job.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import outbox
from core.auth import load_user
from core.clock import utcnow
from core.customers.models import Company, User
from core.outbox import OutboxEvent
from core.phones import normalize_phone
from core.staff.models import StaffUser
from notify import rendering
from notify.defaults import DEFAULTS
from notify.events import BY_KEY, EventSpec, specs_for
from notify.models import (
    FAILED,
    QUEUED,
    CompanyNotifySettings,
    Message,
    MessageTemplate,
    NotifyRule,
)
from notify.quiet_hours import next_allowed

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LANGUAGES = ("uk", "en")


@dataclass(frozen=True)
class Recipient:
    channel: str
    address: str
    language: str
    company_id: int | None


def plan_messages(session: Session, outbox_event: OutboxEvent) -> list[Message]:
    written = set(
        session.execute(
            select(Message.channel, Message.recipient, Message.template).where(Message.event_id == outbox_event.id)
        ).all()
    )
    messages = []
    for spec in specs_for(outbox_event.topic):
        if not spec.applies(outbox_event.payload):
            continue
        wording = Wording(session, spec, outbox_event.payload)
        for recipient in recipients(session, spec, outbox_event.payload):
            message = build_message(session, spec, outbox_event.payload, recipient, event_id=outbox_event.id,
                                    wording=wording)
            if (message.channel, message.recipient, message.template) not in written:
                written.add((message.channel, message.recipient, message.template))
                messages.append(message)
    session.add_all(messages)
    if messages:
        outbox.emit(session, "messages.queued", {"count": len(messages)})
    return messages


def recipients(session: Session, spec: EventSpec, payload: dict[str, Any]) -> list[Recipient]:
    switched_off = set(session.scalars(select(NotifyRule.channel).where(NotifyRule.event == spec.key, NotifyRule.enabled.is_(False))))
    if spec.audience == "user":
        found = _user_addresses(session, payload)
    elif spec.audience == "staff":
        found = _staff_addresses(session, spec)
    elif spec.audience == "manager":
        found = _manager_addresses(session, payload)
    else:
        found = _company_addresses(session, spec, payload)
    seen, unique = set(), []
    for recipient in found:
        key = (recipient.channel, recipient.address)
        if recipient.channel in spec.channels and recipient.channel not in switched_off and recipient.address \
                and key not in seen:
            seen.add(key)
            unique.append(recipient)
    return unique


def _user_addresses(session: Session, payload: dict[str, Any]) -> list[Recipient]:
    user = session.get(User, payload["user_id"]) if payload.get("user_id") else load_user(str(payload.get("user", "")))
    if user is None:
        return []
    return _reached(user, getattr(user, "locale", None) or "uk", getattr(user, "company_id", None))


def _staff_addresses(session: Session, spec: EventSpec) -> list[Recipient]:
    """Active staff of the spec's roles; staff read Ukrainian (their accounts keep no language)."""
    staff = session.scalars(
        select(StaffUser).where(StaffUser.role.in_(spec.roles), StaffUser.is_active_flag.is_(True)).order_by(StaffUser.id)
    )
    return [recipient for member in staff for recipient in _reached(member, "uk", None)]


def _manager_addresses(session: Session, payload: dict[str, Any]) -> list[Recipient]:
    company = session.get(Company, payload.get("company_id")) if payload.get("company_id") else None
    manager = company.manager if company is not None else None
    if manager is None or not manager.is_active_flag:
        return []
    return _reached(manager, "uk", None)


def _reached(person: Any, language: str, company_id: int | None) -> list[Recipient]:
    """A person's e-mail and phone, those they have."""
    return [Recipient(channel, address, language, company_id)
            for channel, address in (("email", person.email), ("sms", person.phone)) if address]


def _company_addresses(session: Session, spec: EventSpec, payload: dict[str, Any]) -> list[Recipient]:
    company = session.get(Company, payload.get("company_id")) if payload.get("company_id") else None
    if company is None:
        return []
    settings = session.get(CompanyNotifySettings, company.id) or CompanyNotifySettings(sms=True, email=True, marketing=True)
    if spec.marketing and not settings.marketing:
        return []
    wanted = {"sms": settings.sms, "email": settings.email}
    users = [u for u in company.users if u.is_active and u.role in spec.roles]
    owners = [u for u in company.users if u.role == "owner"]
    company_language = owners[0].locale if owners else "uk"
    found = [Recipient("email", company.email or "", company_language, company.id),
             Recipient("sms", company.phone or "", company_language, company.id)]
    for user in users:
        found += [Recipient("email", user.email or "", user.locale, company.id),
                  Recipient("sms", user.phone or "", user.locale, company.id)]
    return [r for r in found if wanted[r.channel]]


class Wording:
    """An event's texts and contexts, each looked up once however many people it reaches."""

    def __init__(self, session: Session, spec: EventSpec, payload: dict[str, Any]) -> None:
        self.session, self.spec, self.payload = session, spec, payload
        self._own: dict[tuple[str, str], tuple[str, str]] | None = None
        self._contexts: dict[str, dict[str, Any]] = {}

    def text(self, channel: str, language: str) -> tuple[str, str]:
        if self._own is None:
            self._own = {
                (t.channel, t.language): (t.subject, t.body)
                for t in self.session.scalars(select(MessageTemplate).where(MessageTemplate.event == self.spec.key))
            }
        language = language if language in LANGUAGES else "uk"
        return self._own.get((channel, language)) or DEFAULTS[(self.spec.key, channel, language)]

    def context(self, language: str) -> dict[str, Any]:
        if language not in self._contexts:
            self._contexts[language] = self.spec.context(self.session, self.payload, language)
        return self._contexts[language]

    def render(self, channel: str, language: str, *, reveal: bool = False) -> tuple[str, str]:
        """(subject, body); raises RenderError. Secrets stay masked unless `reveal`: only
        the text handed to a provider holds them, never what is stored or shown."""
        subject, body = self.text(channel, language)
        context = self.context(language)
        if reveal and self.spec.secrets is not None:
            try:
                context = {**context, **self.spec.secrets(self.session, self.payload)}
            except LookupError as exc:
                raise rendering.RenderError(str(exc)) from exc
        return render_checked(self.spec, subject, body, context)


def render_checked(spec: EventSpec, subject: str, body: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) rendered; a secret link must stand whole in both, or RenderError."""
    secrets = {name: str(context[name]) for name in spec.secret_variables if name in context}
    title = _one_line(rendering.render_text(subject, context)) if subject else ""
    text = rendering.render_text(body, context)
    rendering.check_secrets_printed_whole(subject, title, secrets)
    rendering.check_secrets_printed_whole(body, text, secrets)
    return title, text


def template_text(session: Session, event: str, channel: str, language: str) -> tuple[str, str]:
    """The wording of an event on a channel in a language: staff's own, or the shipped one."""
    return Wording(session, BY_KEY[event], {}).text(channel, language)


def build_message(
    session: Session, spec: EventSpec, payload: dict[str, Any], recipient: Recipient, event_id: int | None = None,
    wording: Wording | None = None,
) -> Message:
    """Render one message. What cannot go out (a bad address, a template that does not
    render) is written as failed with the reason, so staff see it and can fix it."""
    message = Message(
        event_id=event_id, company_id=recipient.company_id, channel=recipient.channel, template=spec.key,
        language=recipient.language, recipient=recipient.address, subject="", body="", status=QUEUED,
        attempts=0, error_code="", last_error="", attachments=None,
    )
    address, problem = normalized_address(recipient.channel, recipient.address)
    message.recipient = address or recipient.address
    try:
        message.subject, message.body = (wording or Wording(session, spec, payload)).render(
            recipient.channel, recipient.language)
    except rendering.RenderError as exc:
        problem = problem or ("template_error", str(exc))
    if problem:
        message.status, message.error_code, message.last_error = FAILED, problem[0], problem[1]
        return message
    if recipient.channel == "email":
        message.attachments = spec.attachments(payload) or None
    message.next_attempt_at = first_attempt_at(spec, recipient.channel, utcnow())
    return message


def rewrite(session: Session, message: Message) -> tuple[str, str] | None:
    """(subject, body) of a message rendered again from its event, or None if it still fails."""
    outbox_event = session.get(OutboxEvent, message.event_id)
    spec = BY_KEY.get(message.template)
    if outbox_event is None or spec is None:
        return None
    try:
        return Wording(session, spec, outbox_event.payload).render(message.channel, message.language)
    except rendering.RenderError:
        return None


def holds_secrets(template: str) -> bool:
    spec = BY_KEY.get(template)
    return spec is not None and spec.secrets is not None


def text_to_send(session: Session, message: Any) -> tuple[str, str]:
    """(subject, body) as the provider gets them: the stored text, or for a message with a
    secret the same wording rendered again from its event with the secret in it.
    Raises RenderError when that no longer works (the user is gone, the template broke)."""
    if not holds_secrets(message.template):
        return message.subject, message.body
    outbox_event = session.get(OutboxEvent, message.event_id) if message.event_id is not None else None
    if outbox_event is None:
        raise rendering.RenderError(f"the event of message {message.id} is gone")
    return Wording(session, BY_KEY[message.template], outbox_event.payload).render(
        message.channel, message.language, reveal=True)


def _one_line(subject: str) -> str:
    return " ".join(subject.split())[:300]


def normalized_address(channel: str, raw: str) -> tuple[str | None, tuple[str, str] | None]:
    if channel == "sms":
        phone = normalize_phone(raw)
        return (phone, None) if phone else (None, ("invalid_phone", raw))
    address = raw.strip()
    return (address, None) if _EMAIL.match(address) else (None, ("invalid_email", raw))


def first_attempt_at(spec: EventSpec, channel: str, now: datetime) -> datetime:
    if channel == "sms" and spec.quiet_hours:
        return next_allowed(now, current_app.config["SMS_QUIET_HOURS"])
    return now
