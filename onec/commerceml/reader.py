"""The streaming reader of one CommerceML 2 file.

Elements are parsed with defusedxml (no DTD, so no entity expansion and no external
fetches) and every item is detached from the tree as soon as it is read, so memory
stays flat however long the file: a 1 GB import.xml holds one product at a time.
"""
from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from typing import IO, BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

import onec.commerceml.catalog as catalog
import onec.commerceml.offers as offers
from onec.commerceml.errors import CommerceMLError
from onec.commerceml.records import CatalogHeader, OffersHeader, PriceType, Record
from onec.commerceml.values import child_text

ROOT = "КоммерческаяИнформация"
SCHEMA_VERSIONS = frozenset({"2.03", "2.04", "2.05", "2.07", "2.08", "2.09", "2.10", "3.1"})
CURRENCIES = frozenset({"UAH", "ГРН", "980"})
# The split files newer configurations send: import___<guid>.xml, prices___<guid>.xml, ...
_KIND_BY_PREFIX = {"offers": "offers", "prices": "prices", "rests": "rests"}
_CATALOG_SECTIONS = frozenset({"Классификатор", "Каталог"})
_OFFERS_SECTION = "ПакетПредложений"
_HEADED_SECTIONS = frozenset({"Каталог", _OFFERS_SECTION})
# What comes before a section's items: the header record is emitted when something else begins
_HEADER_TAGS = frozenset({"Ид", "ИдКлассификатора", "ИдКаталога", "Наименование", "Владелец", "Описание",
                          "СодержитТолькоИзменения"})
# expat's codes for input that ends inside the document
_TRUNCATION_CODES = frozenset({3, 5, 6, 20})  # no element found, unclosed token, partial char, unclosed CDATA
_UNKNOWN_ENCODING = 18


def kind_from_filename(filename: str | None) -> str | None:
    if not filename:
        return None
    stem = os.path.basename(filename).lower().removesuffix(".xml").split("___")[0]
    return _KIND_BY_PREFIX.get(stem)


class Package:
    """One file: `version` and `kind` (catalog, offers, prices, rests) are known once it is opened.

    `changes_only` is known from the header record (CatalogHeader / OffersHeader), which
    comes before the section's first item; iterate once for the records.
    """

    def __init__(self, source: str | os.PathLike | BinaryIO, *, filename: str | None = None,
                 currencies: Collection[str] = CURRENCIES) -> None:
        self._own = isinstance(source, (str, os.PathLike))
        self._stream: IO[bytes] = open(source, "rb") if self._own else source  # noqa: SIM115 - closed by close()
        if filename is None and self._own:
            filename = os.fspath(source)
        self.currencies = frozenset(offers.normal_currency(c) for c in currencies)
        self._root_seen = False
        self._events = self._parse()
        self._opening: list[tuple[str, Element]] = []
        try:
            self.version, section = self._open()
        except CommerceMLError:
            self.close()
            raise
        self.kind = (kind_from_filename(filename) or "offers") if section == _OFFERS_SECTION else "catalog"
        self.changes_only: bool | None = None
        self._walked = False

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own:
            self._stream.close()

    def __iter__(self) -> Iterator[Record]:
        if self._walked:
            raise RuntimeError("a Package is read once: the file is a stream")
        self._walked = True
        return self._walk()

    def _parse(self) -> Iterator[tuple[str, Element]]:
        try:
            for event, elem in iterparse(self._stream, events=("start", "end"), forbid_dtd=True):
                if event == "start":
                    elem.tag = elem.tag.rpartition("}")[2]  # 2.05+ put everything in urn:1C.ru:commerceml_2
                yield event, elem
        except ParseError as error:
            raise self._parse_error(error) from None
        except DefusedXmlException as error:
            raise CommerceMLError("forbidden_dtd", f"a DOCTYPE or entity declaration is not accepted ({error})") \
                from None

    def _parse_error(self, error: ParseError) -> CommerceMLError:
        code = getattr(error, "code", None)
        if code == 3 and not self._root_seen:
            return CommerceMLError("empty", "the file has no XML element")
        if code in _TRUNCATION_CODES:
            return CommerceMLError("truncated", f"the file ends before its document does ({error})")
        if code == _UNKNOWN_ENCODING:
            return CommerceMLError("unknown_encoding", str(error))
        return CommerceMLError("malformed_xml", str(error))

    def _open(self) -> tuple[str, str]:
        """Read up to the first section: the root's name and version, and what the file holds."""
        version = None
        for event, elem in self._events:
            self._opening.append((event, elem))
            if event == "start" and not self._root_seen:
                self._root_seen = True
                if elem.tag != ROOT:
                    raise CommerceMLError("not_commerceml", f"the root element is <{elem.tag[:60]}>, not <{ROOT}>")
                version = (elem.get("ВерсияСхемы") or "").strip()
                if version not in SCHEMA_VERSIONS:
                    # Cut: the reason is the line 1C shows its user, and the attribute may be megabytes.
                    raise CommerceMLError("unknown_version", f"schema version {version[:20] or '(none)'} is not one of "
                                          f"{', '.join(sorted(SCHEMA_VERSIONS))}")
            elif event == "start":
                if elem.tag not in _CATALOG_SECTIONS and elem.tag != _OFFERS_SECTION:
                    raise CommerceMLError("unsupported_content",
                                          f"<{elem.tag}> is neither a catalog nor an offers package")
                return version, elem.tag
            else:
                break
        raise CommerceMLError("no_content", "the file holds no catalog and no offers package")

    def _walk(self) -> Iterator[Record]:
        try:
            yield from _Walk(self).records(self._opening, self._events)
        finally:
            self.close()


class _Walk:
    """One pass over the events: dispatch each finished item by where it sits, then detach it."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.stack: list[Element] = []
        self.header_done = False
        self.type_currencies: dict[str, str | None] = {}

    def records(self, opening, events) -> Iterator[Record]:
        stack = self.stack
        for source in (opening, events):
            for event, elem in source:
                if event == "start":
                    if len(stack) == 1:
                        self.header_done = elem.tag not in _HEADED_SECTIONS
                    elif len(stack) == 2 and not self.header_done and elem.tag not in _HEADER_TAGS:
                        yield self._header(stack[1])
                    stack.append(elem)
                    continue
                stack.pop()
                depth = len(stack)
                if depth > 3:
                    continue  # inside an item: read with it
                if depth == 1 and not self.header_done:
                    yield self._header(elem)
                if depth == 3:
                    yield from self._item(stack[1].tag, stack[2].tag, elem)
                if depth in (1, 3) or (depth == 2 and self.header_done):
                    stack[-1].remove(elem)
                    elem.clear()

    def _header(self, section: Element) -> Record:
        self.header_done = True
        changes_only = (section.get("СодержитТолькоИзменения") or child_text(section, "СодержитТолькоИзменения")
                        or "").lower() == "true"
        self.package.changes_only = changes_only
        name = child_text(section, "Наименование")
        if section.tag == _OFFERS_SECTION:
            return OffersHeader(child_text(section, "Ид"), child_text(section, "ИдКаталога"),
                                child_text(section, "ИдКлассификатора"), name, changes_only)
        return CatalogHeader(child_text(section, "Ид"), child_text(section, "ИдКлассификатора"), name,
                             changes_only)

    def _item(self, section: str, collection: str, elem: Element) -> Iterator[Record]:
        match (section, collection, elem.tag):
            case ("Классификатор", "Группы", "Группа"):
                yield from catalog.groups(elem)
            case ("Классификатор", "Свойства", "Свойство" | "СвойствоНоменклатуры"):
                yield catalog.property_def(elem)
            case ("Классификатор", "ЕдиницыИзмерения", "ЕдиницаИзмерения"):
                yield catalog.unit(elem)
            case ("Каталог", "Товары", "Товар"):
                yield catalog.product(elem)
            case ("Классификатор" | "ПакетПредложений", "ТипыЦен", "ТипЦены"):
                record = offers.price_type(elem)
                if isinstance(record, PriceType):
                    self.type_currencies[record.id] = record.currency
                yield record
            case ("Классификатор" | "ПакетПредложений", "Склады", "Склад"):
                yield offers.warehouse(elem)
            case ("ПакетПредложений", "Предложения", "Предложение"):
                yield offers.offer(elem, self.package.currencies, self.type_currencies)
