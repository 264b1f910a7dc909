"""One file of a CommerceML package imported in one transaction, recorded as an ExchangeRun."""
from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from core.clock import utcnow
from onec.commerceml import CommerceMLError, Package, kind_from_filename
from onec.importer.catalog import import_catalog
from onec.importer.common import Options, Tally
from onec.importer.offers import import_offers
from onec.models import ExchangeRun

# A split package's parts, in the order their contents depend on each other: groups and
# properties before the products naming them, products before their offers, price types
# (in offers or prices files) before the prices.
_PART_ORDER = ("groups", "propertiesgoods", "import", "offers", "prices", "rests")


def ordered(paths: Iterable[str | os.PathLike]) -> list[Path]:
    def rank(path: Path) -> int:
        stem = path.name.lower().removesuffix(".xml").split("___")[0]
        return _PART_ORDER.index(stem) if stem in _PART_ORDER else len(_PART_ORDER)

    return sorted((Path(p) for p in paths), key=rank)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_file(session: Session, path: Path, *, source: str, options: Options,
                retry_of: int | None = None) -> ExchangeRun:
    """Everything the file brings commits together, or (a file that cannot be read, even
    half way) nothing does and the run says why. `retry_of`: the failed run staff retried."""
    started = utcnow()
    run = ExchangeRun(direction="in", source=source, started_at=started, file_name=path.name[-255:],
                      file_sha256=sha256_of(path), entity=_entity_of(path.name), retry_of=retry_of)
    tally = Tally()
    try:
        with Package(path, currencies=options.currencies) as package:
            run.entity = package.kind
            if package.kind == "catalog":
                import_catalog(session, package, tally, options)
            else:
                import_offers(session, package, tally, options)
    except CommerceMLError as error:
        session.rollback()
        run.status, run.error = "failed", f"{error.code}: {error.detail}"[:4000]
    else:
        run.status = "success"
        run.created, run.updated, run.unchanged = tally.created, tally.updated, tally.unchanged
        run.skipped, run.skipped_items = tally.skipped, tally.skipped_items
    run.finished_at = utcnow()
    session.add(run)
    session.commit()
    return run


def import_files(session: Session, paths: Iterable[str | os.PathLike], *, source: str = "cli",
                 options: Options | None = None) -> list[ExchangeRun]:
    """A package's files in dependency order, each its own run and transaction."""
    options = options or Options()
    return [import_file(session, path, source=source, options=options) for path in ordered(paths)]


def _entity_of(filename: str) -> str:
    return kind_from_filename(filename) or "catalog"
