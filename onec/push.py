"""Orders, payments and order cancellations pushed to 1C's web service (PostOrder,
PostPayment, PostOrderCancellation of onec/WEBSERVICE.md), from the outbox handlers in
onec/handlers.py.

Once: every push carries the portal's stable `PortalId` ("order-42", "payment-7"), and
what 1C answered is kept as an `OnecDocumentRef`. A push that has a ref is not sent
again; one whose answer was lost (a timeout, a worker killed mid-call) is sent again with
the same PortalId, and 1C answers the document it already made (its idempotency rule).

In order: 1C refuses a payment allocated to an order it never received, and a
cancellation of one (UNKNOWN_ORDER). So before either, the order itself is pushed when
it has no ref yet — whichever event comes first sends the order, the others find its ref.
While 1C is away every push fails retryably and the relay backs off (core/outbox.py);
when 1C returns, the order still goes first because each push depends only on what the
push itself sends first, not on which event the relay happens to take first.

Every call to 1C is one `ExchangeRun` (direction out, source soap), the failed ones too.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from time import monotonic
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.catalog.models import Product
from core.clock import utcnow
from core.money import money
from core.orders.models import Order, OrderStatusChange
from core.orders.states import CANCELLED
from core.outbox import keep_after_rollback
from core.providers import ProviderError
from onec.models import ExchangeRun, OnecDocumentRef
from onec.soap.client import OnecClient
from onec.soap.interface import DocumentRef, onec_error

ORDER, PAYMENT, CANCELLATION = "order", "payment", "cancellation"
# A contract's statuses are separate pushes of one PortalId (onec/contract_push.py).
CONTRACT_STATUSES = ("sent", "signed", "rejected", "terminated")
ENTITY_OF = {ORDER: "orders", PAYMENT: "payments", CANCELLATION: "cancellations",
             **{f"contract_{status}": "contracts" for status in CONTRACT_STATUSES}}
CURRENCY = "UAH"
# Orders that 1C itself made came to the portal from 1C: they are never sent back.
FROM_1C = "1c"


def portal_id(kind: str, object_id: int) -> str:
    return f"{kind}-{object_id}"


def known(session: Session, pid: str, kind: str) -> OnecDocumentRef | None:
    return session.get(OnecDocumentRef, (pid, kind))


def push_order(session: Session, client: OnecClient, order: Order) -> OnecDocumentRef | None:
    """The order in 1C (posted now, or found already posted); None for an order 1C made."""
    if order.channel == FROM_1C:
        return None
    pid = portal_id(ORDER, order.id)
    return known(session, pid, ORDER) or post_once(
        session, ORDER, pid, order.id, lambda: client.post_order(order_document(session, order))
    )


def push_cancellation(session: Session, client: OnecClient, order: Order) -> OnecDocumentRef | None:
    if order.status != CANCELLED or push_order(session, client, order) is None:
        return None
    pid = portal_id(ORDER, order.id)
    return known(session, pid, CANCELLATION) or post_once(
        session, CANCELLATION, pid, order.id,
        lambda: client.post_order_cancellation(cancellation_document(session, order)),
    )


def post_once(
    session: Session, kind: str, pid: str, object_id: int, call: Callable[[], DocumentRef]
) -> OnecDocumentRef:
    """One call to 1C about `pid`, its answer kept and the call recorded as a run."""
    run = ExchangeRun(direction="out", entity=ENTITY_OF[kind], source="soap", started_at=utcnow())
    started = monotonic()
    try:
        answer = call()
        if answer.portal_id != pid:
            # Kept under our id, 1C's document for another would hide ours for good.
            raise onec_error("bad_answer", f"asked about {pid}, 1C answered {answer.portal_id}", retryable=False)
    except ProviderError as error:
        run.status, run.error = "failed", f"{pid}: {error.code}: {error.detail}"[:2000]
        _finish(run, started)
        keep_after_rollback(session, lambda kept: kept.add(run))  # staff see 1C's refusal
        raise
    run.status = "success"
    if answer.created:
        run.created = 1
    else:
        run.unchanged = 1
    _finish(run, started)
    session.add(run)
    return _remember(session, kind, pid, object_id, answer)


def _finish(run: ExchangeRun, started: float) -> None:
    # The wall-clock start and a monotonic duration: a clock step never makes a run negative.
    run.finished_at = run.started_at + timedelta(seconds=monotonic() - started)


def _remember(session: Session, kind: str, pid: str, object_id: int, answer: DocumentRef) -> OnecDocumentRef:
    """Keep 1C's answer. Two workers pushing the same document race here (both got the
    same answer from 1C): the second finds the first's row."""
    ref = OnecDocumentRef(
        portal_id=pid, kind=kind, object_id=object_id, onec_id=answer.onec_id,
        number=answer.number[:50], onec_date=answer.date,
    )
    try:
        with session.begin_nested():
            session.add(ref)
    except IntegrityError:
        found = known(session, pid, kind)
        if found is None:
            raise
        return found
    return ref


def order_document(session: Session, order: Order) -> dict[str, Any]:
    """PostOrder's `Order`: our number and id, the customer by 1C's Ид when 1C sent it and
    always by its code, every line by the product's Ид, Decimal money."""
    products = {
        product.id: product
        for product in session.scalars(select(Product).where(Product.id.in_({line.product_id for line in order.lines})))
    }
    missing = sorted({line.sku for line in order.lines if not products[line.product_id].onec_guid})
    if missing:
        # Products made in the portal, not in 1C: 1C cannot take them; sending cannot help.
        raise onec_error("UNKNOWN_PRODUCT", f"немає Ид 1С у товарів: {', '.join(missing[:10])}", retryable=False)
    lines = [
        {"LineNo": number, "ProductId": products[line.product_id].onec_guid, "Sku": line.sku,
         "Quantity": line.quantity, "Price": price, "Amount": amount}
        for number, (line, price, amount) in enumerate(_priced_lines(order), start=1)
    ]
    company = order.company
    document: dict[str, Any] = {
        "PortalId": portal_id(ORDER, order.id), "Number": order.number, "Date": order.created_at,
        "CompanyTaxId": company.tax_id, "Currency": CURRENCY,
        "Amount": sum((line["Amount"] for line in lines), Decimal("0.00")), "Line": lines,
    }
    if company.onec_guid:
        document["CompanyId"] = company.onec_guid
    if company.price_type.onec_guid:
        document["PriceTypeId"] = company.price_type.onec_guid
    if order.delivery_point is not None:
        document["DeliveryAddress"] = order.delivery_point.address
    comment = _discount_note(order) + order.comment
    if comment:
        document["Comment"] = comment
    return document


def _priced_lines(order: Order) -> list[tuple[Any, Decimal, Decimal]]:
    """(line, price, amount) as 1C must record them. Discounts have no field in the
    contract: together they are spread over the prices (each price less the same share, each
    amount its quantity × that price, rounded half up as 1C checks), so 1C's total is the
    customer's to within rounding of the prices to kopecks."""
    if not order.discount_amount:
        return [(line, line.price, line.amount) for line in order.lines]
    share = order.total / (order.total + order.discount_amount)
    priced = []
    for line in order.lines:
        price = money(line.price * share)
        priced.append((line, price, money(line.quantity * price)))
    return priced


def _discount_note(order: Order) -> str:
    """Each discount by its name: the prices 1C gets are net of them all (_priced_lines)."""
    if not order.discounts:
        return ""
    named = "; ".join(f"{discount.name} — {discount.amount} грн" for discount in order.discounts)
    return f"Враховано в цінах: {named}. "


def cancellation_document(session: Session, order: Order) -> dict[str, Any]:
    moved = session.scalars(
        select(OrderStatusChange)
        .where(OrderStatusChange.order_id == order.id, OrderStatusChange.to_status == CANCELLED)
        .order_by(OrderStatusChange.id.desc())
        .limit(1)
    ).first()
    if moved is None:
        return {"PortalId": portal_id(ORDER, order.id), "Date": order.updated_at}
    # Who cancelled it, and why when they said.
    reason = " — ".join(part for part in (moved.actor_name, moved.note) if part)
    return {"PortalId": portal_id(ORDER, order.id), "Date": moved.at, "Reason": reason[:500]}
