"""A pull: for each entity, GetChanges from its cursor until More is false. Each page is
applied and the cursor moved to the page's Version in one transaction, so a crash or a
1C that stops answering half way leaves the cursor at the last page that was written:
never moved past data it lacks, never data twice (a page applied again changes nothing).
Each entity's pull is an ExchangeRun; one pull runs at a time (a lease row)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.providers import ProviderError
from onec.importer.catalog import import_catalog
from onec.importer.common import Options, Tally
from onec.importer.offers import import_offers
from onec.models import SKIPPED_KEPT, ExchangeRun, OnecCursor, OnecLease
from onec.pull.balances import apply_balances
from onec.pull.companies import apply_companies
from onec.pull.documents import apply_documents
from onec.pull.offers import catalog_records, price_records, remove_prices, stock_records
from onec.pull.orders import apply_order_states
from onec.runs import keep_only_newest_empty
from onec.soap.interface import onec_error

# Dependencies first: products before their prices and stock, companies before their
# documents, payments (documents) before the balances compared with them.
ENTITIES = ("catalog", "prices", "stock", "companies", "documents", "balances")
ORDER_STATES = "order_states"  # GetOrderStatuses of every order moved after the cursor
PULLS = (*ENTITIES, ORDER_STATES)
LEASE = "pull"
# A pull holds the lease this long past its last page; one that died frees it by then.
LEASE_SECONDS = 300


def _prices(session: Session, page: Any, tally: Tally, options: Options) -> None:
    deleted: list[tuple[str, str]] = []
    import_offers(session, price_records(page, options.currencies, deleted), tally, options)
    remove_prices(session, deleted, tally)


APPLY: dict[str, Callable[[Session, Any, Tally, Options], None]] = {
    "catalog": lambda session, page, tally, options: import_catalog(session, catalog_records(page), tally, options),
    "prices": _prices,
    "stock": lambda session, page, tally, options: import_offers(session, stock_records(page), tally, options),
    "companies": lambda session, page, tally, options: apply_companies(session, page, tally),
    "documents": lambda session, page, tally, options: apply_documents(session, page, tally, list(options.currencies)),
    "balances": lambda session, page, tally, options: apply_balances(session, page, tally, list(options.currencies)),
    ORDER_STATES: lambda session, page, tally, options: apply_order_states(session, page, tally),
}


def pull(session: Session, client: Any, entities: Sequence[str] = PULLS, *, limit: int,
         options: Options | None = None) -> list[ExchangeRun] | None:
    """Pull each entity in turn; None when another pull holds the lease. An entity 1C
    refuses (a fault of its own) does not stop the next, its cursor waits; 1C away or the
    credentials refused stop the pull there, as every next call would fail the same way."""
    holder = take_lease(session)
    if holder is None:
        return None
    runs = []
    try:
        for entity in entities:
            run, error = pull_entity(session, client, entity, limit=limit, options=options or Options(), lease=holder)
            runs.append(run)
            if error is not None and (error.retryable or error.code == "auth"):
                break
        return runs
    finally:
        release_lease(session, holder)


def pull_entity(session: Session, client: Any, entity: str, *, limit: int, options: Options,
                lease: str | None = None) -> tuple[ExchangeRun, ProviderError | None]:
    """The entity's run, and what 1C's failure was when it stopped the run."""
    run = ExchangeRun(direction="in", entity=entity, source="soap", started_at=utcnow(), skipped_items=[])
    session.add(run)
    session.commit()
    try:
        while True:
            cursor = session.get(OnecCursor, entity) or OnecCursor(entity=entity, version=0)
            page = _fetch(client, entity, cursor.version, limit)
            if page.More and int(page.Version) <= cursor.version:
                # "More" from where we already are would be asked for forever.
                raise onec_error("bad_answer", f"GetChanges {entity}: More after Version {page.Version} "
                                 f"that is not past {cursor.version}", retryable=False)
            tally = Tally()
            APPLY[entity](session, page, tally, options)
            # Versions only grow: an answer behind the cursor does not move it back.
            cursor.version, cursor.updated_at = max(cursor.version, int(page.Version)), utcnow()
            session.add(cursor)
            _count(run, tally)
            if lease is not None:
                _renew(session, lease)
            session.commit()
            if not page.More:
                break
    except ProviderError as error:
        _failed(session, run, f"{error.code}: {error.detail}")
        return run, error
    except Exception as error:
        _failed(session, run, f"internal: {error!r}")
        raise
    run.status = "success"
    run.finished_at = utcnow()
    keep_only_newest_empty(session, run)
    session.commit()
    return run, None


def _fetch(client: Any, entity: str, since: int, limit: int) -> Any:
    if entity == ORDER_STATES:
        return client.get_order_statuses([], since, limit)
    return client.get_changes(entity, since, limit)


def _count(run: ExchangeRun, tally: Tally) -> None:
    run.created += tally.created
    run.updated += tally.updated
    run.unchanged += tally.unchanged
    run.skipped += tally.skipped
    room = SKIPPED_KEPT - len(run.skipped_items)
    if room > 0 and tally.skipped_items:
        run.skipped_items = [*run.skipped_items, *tally.skipped_items[:room]]


def _failed(session: Session, run: ExchangeRun, error: str) -> None:
    """The page being applied is dropped with its cursor move; the pages before it stay."""
    session.rollback()
    run.status, run.error, run.finished_at = "failed", error[:4000], utcnow()
    session.commit()


def take_lease(session: Session) -> str | None:
    """The pull's lease, or None while another pull holds it (and it has not run out)."""
    if session.get(OnecLease, LEASE) is None:
        try:
            with session.begin_nested():
                session.add(OnecLease(name=LEASE, holder="", until=None))
        except IntegrityError:
            pass  # made at the same moment by the other puller
    holder, now = uuid4().hex, utcnow()
    taken = session.execute(
        update(OnecLease).where(OnecLease.name == LEASE, or_(OnecLease.until.is_(None), OnecLease.until < now))
        .values(holder=holder, until=now + timedelta(seconds=LEASE_SECONDS))
    ).rowcount
    session.commit()
    return holder if taken else None


def _renew(session: Session, holder: str) -> None:
    session.execute(update(OnecLease).where(OnecLease.name == LEASE, OnecLease.holder == holder)
                    .values(until=utcnow() + timedelta(seconds=LEASE_SECONDS)))


def release_lease(session: Session, holder: str) -> None:
    session.rollback()
    session.execute(update(OnecLease).where(OnecLease.name == LEASE, OnecLease.holder == holder).values(until=None))
    session.commit()
