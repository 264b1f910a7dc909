"""The sender: takes due messages under a lease, hands them to their channel, records
what happened. Safe with any number of workers, and with a worker killed mid-batch.

A batch is claimed in one committed UPDATE (status `sending`, a claim id, a lease).
Its messages then go out one at a time in id order, each outcome committed before
the next is tried. So when a worker dies, the lease runs out on a batch whose first
unfinished message is the only one whose fate is unknown (it may be on the wire);
those after it were never tried and go back to the queue. The one in doubt is not
sent again blindly — a second copy is worse than a question: an e-mail goes again under
the same Message-ID (a mailbox that has the first keeps one), an SMS becomes `unknown`
and the provider is asked whether it has it (yes: sent; no: queued again). What the
provider cannot answer stays `unknown` (`outcome_unresolved`), in front of staff, with
a resend button.

Every outcome is written only while the worker still holds the claim (the batch's id,
status `sending`): a worker whose lease ran out and whose batch was taken over cannot
overwrite what the next one recorded.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from core import outbox
from core.clock import utcnow
from core.providers import ProviderError
from notify.models import DELIVERED, FAILED, QUEUED, SENDING, SENT, UNKNOWN, Message
from notify.planning import holds_secrets, normalized_address, rewrite
from notify.quiet_hours import next_allowed

# Hands one message to its provider and returns the provider's id for it; touches no database.
Handover = Callable[[], str]
# Reads what a claimed message needs from the database and returns its hand-over.
Prepare = Callable[[Session, Row], Handover]
# Which of the provider's messages could be this one: ids of what it received.
Lookup = Callable[[Row], list[str]]
# Room for the clocks of two workers and a commit, between the last send and the lease's end.
LEASE_MARGIN_SECONDS = 5.0
# How long the provider is asked about a message in doubt before staff alone decide.
LOOKUP_FOR = timedelta(hours=24)
LOOKUP_RETRY = timedelta(minutes=5)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    max_attempts: int = 8
    lease_seconds: int = 60
    batch: int = 50
    quiet_hours: str = "21:00-08:00"
    # The longest one hand-over to a provider may take (its timeout).
    send_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.lease_seconds <= self.send_seconds + LEASE_MARGIN_SECONDS:
            raise ValueError(
                f"the lease ({self.lease_seconds} s) must outlast a provider's timeout ({self.send_seconds} s)"
                f" by more than {LEASE_MARGIN_SECONDS} s"
            )

    def sending_deadline(self, claimed_at: float) -> float:
        """After this (monotonic) time no message of the batch may start: it could still be
        on the wire when the lease runs out and another worker takes the batch over."""
        return claimed_at + self.lease_seconds - self.send_seconds - LEASE_MARGIN_SECONDS


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


def claim(session: Session, limits: Limits, now: datetime | None = None) -> list[Row]:
    """Take up to `limits.batch` due messages for this worker; commits the claim."""
    now = now or utcnow()
    due = (
        select(Message.id)
        .where(Message.status == QUEUED, Message.next_attempt_at <= now)
        .order_by(Message.next_attempt_at, Message.id)
        .limit(limits.batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(session.scalars(due))
    if not ids:
        session.rollback()
        return []
    token = uuid.uuid4().hex
    session.execute(
        update(Message)
        .where(Message.id.in_(ids), Message.status == QUEUED)
        .values(status=SENDING, claim=token, lease_until=now + timedelta(seconds=limits.lease_seconds),
                attempts=Message.attempts + 1)
    )
    rows = session.execute(
        select(Message.id, Message.channel, Message.recipient, Message.subject, Message.body, Message.attachments,
               Message.attempts, Message.language, Message.template, Message.event_id, Message.created_at,
               Message.claim)
        .where(Message.claim == token)
        .order_by(Message.id)
    ).all()
    session.commit()
    return list(rows)


def send_claimed(session: Session, rows: list[Row], prepare: Prepare, limits: Limits,
                 claimed_at: float | None = None) -> int:
    """Send a claimed batch in order. A slow provider must not make the batch outlive its
    lease: what is left when the deadline comes goes back to the queue, untried.

    No transaction is open while a provider is talked to: a worker's transaction on
    SQLite holds the database's write lock (BEGIN IMMEDIATE), and a relay slow up to its
    timeout would make every writing request wait out the busy timeout and fail; on
    PostgreSQL it would be an idle open transaction per worker. Each message's reading
    ends before its hand-over, and its outcome is written in a transaction of its own.
    """
    deadline = limits.sending_deadline(time.monotonic() if claimed_at is None else claimed_at)
    sent = 0
    for index, row in enumerate(rows):
        if time.monotonic() > deadline:
            _release(session, rows[index:])
            break
        try:
            hand_over = prepare(session, row)
            session.commit()  # only read: this ends the transaction before the provider is called
            provider_id = hand_over()
        except ProviderError as exc:
            _record_failure(session, row, exc, limits)
        except Exception as exc:  # our own bug or config (a PDF, the SMTP settings): retried, and visible
            log.exception("sending message %s failed", row.id)
            session.rollback()
            failure = ProviderError("notify", "internal_error", f"{type(exc).__name__}: {exc}", retryable=True)
            _record_failure(session, row, failure, limits)
        else:
            sent += _record_sent(session, row, provider_id)
        session.commit()
    return sent


def _held(row: Row) -> Any:
    """The row as long as this worker's claim on it stands."""
    return (Message.id == row.id) & (Message.claim == row.claim) & (Message.status == SENDING)


def _record_sent(session: Session, row: Row, provider_id: str) -> int:
    sent = {"status": SENT, "provider_id": provider_id, "sent_at": utcnow(), "claim": None, "lease_until": None,
            "error_code": "", "last_error": ""}
    if session.execute(update(Message).where(_held(row)).values(**sent)).rowcount:
        return 1
    # The lease ran out under us. If the sweep has the message in doubt, what we know
    # settles it; if another worker has taken it since, its record stands.
    settled = session.execute(update(Message).where(Message.id == row.id, Message.status == UNKNOWN).values(**sent))
    log.warning("message %s was sent after its claim %s was lost (%s)", row.id, row.claim,
                "settled the doubt" if settled.rowcount else "another worker holds it now")
    return 0


def _release(session: Session, rows: list[Row]) -> None:
    # One batch, one claim: what is still held under it goes back untried.
    session.execute(
        update(Message).where(Message.id.in_([row.id for row in rows]), Message.claim == rows[0].claim,
                              Message.status == SENDING)
        .values(status=QUEUED, claim=None, lease_until=None, attempts=Message.attempts - 1)
    )
    session.commit()


def _record_failure(session: Session, row: Row, exc: ProviderError, limits: Limits) -> None:
    """Retry or give up, decided by the error alone: `.retryable` and the attempts left."""
    values: dict[str, Any] = {"claim": None, "lease_until": None, "error_code": exc.code, "last_error": exc.detail[:2000]}
    if not exc.retryable or row.attempts >= limits.max_attempts:
        values["status"] = FAILED
    else:
        retry_at = utcnow() + backoff(row.attempts)
        if row.channel == "sms":
            retry_at = next_allowed(retry_at, limits.quiet_hours)
        values.update(status=QUEUED, next_attempt_at=retry_at)
    if not session.execute(update(Message).where(_held(row)).values(**values)).rowcount:
        log.warning("message %s: outcome %s not recorded, claim %s was lost", row.id, exc.code, row.claim)


def send_due(session: Session, prepare: Prepare, limits: Limits, budget_seconds: float = 20.0) -> int:
    """Send batches until nothing is due or the time budget is spent; returns how many went."""
    deadline = time.monotonic() + budget_seconds
    total = 0
    while time.monotonic() < deadline:
        claimed_at = time.monotonic()
        rows = claim(session, limits)
        if not rows:
            break
        total += send_claimed(session, rows, prepare, limits, claimed_at)
    return total


def recover_abandoned(session: Session, now: datetime | None = None) -> dict[str, int]:
    """Batches whose worker died: the first unfinished message of each is in doubt, the
    rest were never tried. An e-mail in doubt goes again (same Message-ID); an SMS in
    doubt waits for the provider to be asked (`resolve_unknown`)."""
    now = now or utcnow()
    rows = session.execute(
        select(Message.id, Message.claim, Message.channel).where(Message.status == SENDING, Message.lease_until < now)
        .order_by(Message.id)
    ).all()
    in_doubt: dict[str, Row] = {}
    for row in rows:
        in_doubt.setdefault(row.claim, row)
    doubtful = {row.id for row in in_doubt.values()}
    untried = [row.id for row in rows if row.id not in doubtful]
    abandoned = (Message.status == SENDING) & (Message.lease_until < now)
    emails = [row.id for row in in_doubt.values() if row.channel == "email"]
    sms = [row.id for row in in_doubt.values() if row.channel != "email"]
    if emails:
        session.execute(
            update(Message).where(Message.id.in_(emails), abandoned)
            .values(status=QUEUED, claim=None, lease_until=None, next_attempt_at=now, error_code="",
                    last_error="the worker stopped while this e-mail was being handed over; sent again under "
                               "the same Message-ID")
        )
    if sms:
        # lease_until stays: whatever the provider received for us, it received before then.
        session.execute(
            update(Message).where(Message.id.in_(sms), abandoned)
            .values(status=UNKNOWN, error_code="outcome_unknown", claim=None, next_attempt_at=now,
                    last_error="the worker stopped while this message was being handed to the provider")
        )
    if untried:
        session.execute(
            update(Message).where(Message.id.in_(untried), abandoned)
            .values(status=QUEUED, claim=None, lease_until=None, attempts=Message.attempts - 1)
        )
    session.commit()
    return {"in_doubt": len(doubtful), "requeued": len(untried)}


def resolve_unknown(session: Session, lookup: Lookup, now: datetime | None = None) -> dict[str, int]:
    """Ask the provider about each SMS in doubt: received (sent), not received (queued
    again), or no clear answer (left to staff once asking stops making sense)."""
    now = now or utcnow()
    rows = session.execute(
        select(Message.id, Message.recipient, Message.body, Message.lease_until, Message.template)
        .where(Message.status == UNKNOWN, Message.error_code == "outcome_unknown", Message.next_attempt_at <= now)
        .order_by(Message.id).limit(100)
    ).all()
    session.rollback()
    outcome = {"sent": 0, "requeued": 0, "unresolved": 0}
    for row in rows:
        doubt = (Message.id == row.id) & (Message.status == UNKNOWN)
        try:
            candidates = set(lookup(row))
        except ProviderError as exc:
            gave_up = row.lease_until is None or row.lease_until < now - LOOKUP_FOR
            session.execute(update(Message).where(doubt).values(
                next_attempt_at=now + LOOKUP_RETRY, last_error=f"asking the provider failed: {exc.detail}"[:2000],
                **({"error_code": "outcome_unresolved"} if gave_up else {})))
            outcome["unresolved"] += gave_up
            session.commit()
            continue
        # A campaign already recorded for another message is not this one.
        candidates -= set(session.scalars(select(Message.provider_id).where(Message.provider_id.in_(candidates))))
        if len(candidates) == 1:
            session.execute(update(Message).where(doubt).values(
                status=SENT, provider_id=candidates.pop(), sent_at=row.lease_until or now, lease_until=None,
                error_code="", last_error="the provider had it: sent before the worker stopped"))
            outcome["sent"] += 1
        elif not candidates:
            session.execute(update(Message).where(doubt).values(
                status=QUEUED, lease_until=None, next_attempt_at=now, error_code="",
                last_error="the provider never received it: sent again"))
            outcome["requeued"] += 1
        else:
            session.execute(update(Message).where(doubt).values(
                error_code="outcome_unresolved",
                last_error=f"the provider has {len(candidates)} messages like it: {', '.join(sorted(candidates))}"))
            outcome["unresolved"] += 1
        session.commit()
    return outcome


def mark_delivery(session: Session, message_id: int, status: str, at: datetime | None) -> None:
    """What the provider reported later: delivered, or not delivered to the handset."""
    if status == DELIVERED:
        values: dict[str, Any] = {"status": DELIVERED, "delivered_at": at or utcnow()}
    else:
        values = {"status": FAILED, "error_code": "undelivered", "last_error": "the operator could not deliver the SMS"}
    session.execute(update(Message).where(Message.id == message_id, Message.status == SENT).values(**values))


def resend(session: Session, message: Message, new_recipient: str | None = None) -> str | None:
    """Staff put a failed message back in the queue, perhaps to a corrected address,
    written again from its event so a template fixed since then takes effect. Returns
    an error code (and changes nothing) when it still cannot go."""
    address, problem = normalized_address(message.channel, message.recipient if new_recipient is None else new_recipient)
    if problem:
        return problem[0]
    if address != message.recipient and holds_secrets(message.template):
        # A link that logs in or pays goes only where the event sent it: sent elsewhere
        # by staff, it would hand them the account or the invoice.
        return "secret_elsewhere"
    if address != message.recipient and message.event_id is not None and session.scalar(
        select(Message.id).where(Message.event_id == message.event_id, Message.channel == message.channel,
                                 Message.template == message.template, Message.recipient == address)
    ):
        return "already_sent_there"
    if message.event_id is not None:
        written = rewrite(session, message)
        if written is None:
            return "template_error"
        message.subject, message.body = written
    elif not message.body:
        return "template_error"
    message.recipient = address
    message.status, message.attempts, message.next_attempt_at = QUEUED, 0, utcnow()
    message.error_code, message.last_error, message.claim, message.lease_until = "", "", None, None
    session.flush()
    outbox.emit(session, "messages.queued", {"count": 1})
    return None
