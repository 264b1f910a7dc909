"""The suite's own outbox topics and their handlers (TestConfig.OUTBOX_EXTRA_TOPICS), for
the tests of the outbox itself: declared and handled here, so whichever tests run, the
suite's app starts."""
from __future__ import annotations

from flask import has_request_context
from sqlalchemy import select

from core import outbox
from core.outbox import Topic
from core.providers import ProviderError

TOPICS = [
    Topic("test.ping", "a handler that records its call"),
    Topic("test.flaky", "a handler failing the first attempts, and a steady one"),
    Topic("test.later", "raised beside others, heard by nobody", announcement=True),
    Topic("nobody.listens", "an announcement without a listener", announcement=True),
    Topic("test.outward", "a local handler and one that calls an outside service"),
    Topic("test.provider", "a handler failing the way its payload says its provider did"),
    Topic("test.to_onec", "an event a handler named as 1C's owes something to"),
    Topic("test.chain", "a handler raising test.ping, as a LiqPay notice raises payment.received"),
]

calls: list[tuple[str, int]] = []


@outbox.handler("test.ping", name="tests.record_ping")
def record_ping(session, event):
    calls.append(("ping", event.id))


@outbox.handler("test.flaky", name="tests.flaky")
def flaky(session, event):
    calls.append(("flaky", event.id))
    if event.payload.get("fail_times", 0) >= event.attempts + 1:
        raise RuntimeError("provider down")


@outbox.handler("test.flaky", name="tests.steady")
def steady(session, event):
    calls.append(("steady", event.id))


@outbox.handler("test.outward", name="tests.local")
def local(session, event):
    calls.append(("local", event.id))


@outbox.handler("test.outward", name="tests.outward", outward=True)
def outward(session, event):
    calls.append(("outward in a request" if has_request_context() else "outward", event.id))


@outbox.handler("test.provider", name="tests.provider")
def provider(session, event):
    calls.append(("provider", event.id))
    raise ProviderError(
        "liqpay", event.payload["code"], "refused", retryable=event.payload["retryable"],
        retry_after=event.payload.get("retry_after"),
    )


# Named as the 1C feature names its handlers ("onec.*"): the sync page's backlog is what
# those still owe, whichever topic they listen to.
@outbox.handler("test.to_onec", name="onec.test_send")
def to_onec(session, event):
    calls.append(("to_onec", event.id))
    if event.payload.get("refuse_first") and calls.count(("to_onec", event.id)) == 1:
        raise ProviderError("onec", "refused", "1C said no", retryable=False)


@outbox.handler("test.chain", name="tests.chain")
def chain(session, event):
    calls.append(("chain", event.id))
    outbox.emit(session, "test.ping", {"raised_by": event.id})


def delivered_in_request(session, event) -> bool:
    """Whether every handler of the event that may run in a request has run: what is left
    is only the outward ones (the push to 1C), which the relay delivers beside the request."""
    done = set(session.scalars(select(outbox.OutboxDelivery.handler).where(outbox.OutboxDelivery.event_id == event.id)))
    local = {s.name for s in outbox.routing_of(session).handlers_for(event.topic) if not s.outward}
    return local <= done
