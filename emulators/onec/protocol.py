"""SOAP 1.1 on the wire for PortalExchange, written from onec/wsdl/portal_exchange.wsdl.

Requests are parsed with defusedxml (no DTDs, no entities); answers are written with
explicit prefixes. Deliberately independent of our client (zeep), so a mistake there
cannot hide behind a shared copy.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import defusedxml
from defusedxml import ElementTree as SafeElementTree

NS = "urn:portal-exchange:1"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
CONTENT_TYPE = "text/xml; charset=utf-8"
XS_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")

# Fault codes of the contract (onec/WEBSERVICE.md): code -> retryable. A retryable
# code is 1C's state (faultcode Server), the others the request's (faultcode Client).
CODES = {
    "VALIDATION": False,
    "UNKNOWN_COMPANY": False,
    "UNKNOWN_PRODUCT": False,
    "UNKNOWN_ORDER": False,
    "STATE_CONFLICT": False,
    "BUSY": True,
    "INTERNAL": True,
}


class Fault(Exception):
    """A request 1C refuses: answered as a SOAP fault carrying `code` in its detail."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def envelope(self) -> bytes:
        retryable = CODES[self.code]
        faultcode = "soap:Server" if retryable else "soap:Client"
        root, body = _envelope()
        fault = ElementTree.SubElement(body, "soap:Fault")
        ElementTree.SubElement(fault, "faultcode").text = faultcode
        # The code leads the text too: a 1C module can only raise an exception with a
        # text, which the platform puts in faultstring (see WEBSERVICE.md, "Errors").
        ElementTree.SubElement(fault, "faultstring").text = f"[{self.code}] {self.message}"
        detail = ElementTree.SubElement(fault, "detail")
        error = ElementTree.SubElement(detail, "m:PortalExchangeFault")
        write(error, [("Code", self.code), ("Message", self.message), ("Retryable", retryable)])
        return _serialize(root)


def parse_request(body: bytes) -> tuple[str, Reader]:
    """The operation named by the Body's element, and a reader of that element."""
    try:
        root = SafeElementTree.fromstring(body)
    except (ElementTree.ParseError, defusedxml.DefusedXmlException) as exc:
        raise Fault("VALIDATION", f"The request is not a well-formed XML document: {exc}") from None
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise Fault("VALIDATION", "The request is not a SOAP 1.1 Envelope")
    soap_body = root.find(f"{{{SOAP_ENV}}}Body")
    operation = next(iter(soap_body), None) if soap_body is not None else None
    if operation is None:
        raise Fault("VALIDATION", "The SOAP Body holds no operation")
    prefix = f"{{{NS}}}"
    if not operation.tag.startswith(prefix):
        raise Fault("VALIDATION", f"The operation must be in the namespace {NS}")
    name = operation.tag.removeprefix(prefix)
    return name, Reader(operation, name)


class Reader:
    """Typed access to a request element's children; every miss is a VALIDATION fault
    naming the field's path."""

    def __init__(self, element: ElementTree.Element, path: str):
        self.element = element
        self.path = path

    def _all(self, name: str) -> list[ElementTree.Element]:
        return self.element.findall(f"{{{NS}}}{name}")

    def text(self, name: str) -> str | None:
        """The element's text, None when it is absent or empty (minOccurs=0)."""
        found = self._all(name)
        value = (found[0].text or "").strip() if found else ""
        return value or None

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise Fault("VALIDATION", f"{self.path}/{name} is required")
        return value

    def texts(self, name: str) -> list[str]:
        return [(element.text or "").strip() for element in self._all(name)]

    def child(self, name: str) -> Reader:
        found = self._all(name)
        if not found:
            raise Fault("VALIDATION", f"{self.path}/{name} is required")
        return Reader(found[0], f"{self.path}/{name}")

    def children(self, name: str) -> list[Reader]:
        return [Reader(element, f"{self.path}/{name}[{n}]") for n, element in enumerate(self._all(name), 1)]

    def decimal(self, name: str) -> Decimal:
        value = self.required(name)
        # xs:decimal's lexical form: Python's Decimal would also take "1e3", "1_000" and "NaN".
        if not XS_DECIMAL.fullmatch(value):
            raise Fault("VALIDATION", f"{self.path}/{name} must be a decimal number, not {value!r}")
        return Decimal(value)

    def integer(self, name: str) -> int:
        value = self.required(name)
        if not re.fullmatch(r"[+-]?\d{1,18}", value):
            raise Fault("VALIDATION", f"{self.path}/{name} must be a whole number, not {value!r}")
        return int(value)

    def moment(self, name: str) -> datetime:
        value = self.required(name)
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise Fault("VALIDATION", f"{self.path}/{name} must be an xs:dateTime, not {value!r}") from None

    def day(self, name: str) -> date | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise Fault("VALIDATION", f"{self.path}/{name} must be an xs:date, not {value!r}") from None

    def choice(self, name: str, allowed: Iterable[str]) -> str:
        value = self.required(name)
        allowed = tuple(allowed)
        if value not in allowed:
            raise Fault("VALIDATION", f"{self.path}/{name} must be one of {', '.join(allowed)}, not {value!r}")
        return value


def response(operation: str, result: Any) -> bytes:
    """`<operation>Response/return` holding `result` (a record: see `write`)."""
    root, body = _envelope()
    wrapper = ElementTree.SubElement(body, f"m:{operation}Response")
    write(wrapper, [("return", result)])
    return _serialize(root)


def write(parent: ElementTree.Element, fields: Iterable[tuple[str, Any]]) -> None:
    """Children in the given order. A value may be a scalar, a dataclass (written field by
    field, each field's name in PascalCase: the wire's names), a list (the element
    repeated) or None (left out, as minOccurs=0 allows)."""
    for name, value in fields:
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            element = ElementTree.SubElement(parent, f"m:{name}")
            if dataclasses.is_dataclass(item):
                write(element, record(item))
            else:
                element.text = scalar(item)


def record(item: Any) -> list[tuple[str, Any]]:
    return [(_pascal(field.name), getattr(item, field.name)) for field in dataclasses.fields(item)]


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _envelope() -> tuple[ElementTree.Element, ElementTree.Element]:
    root = ElementTree.Element("soap:Envelope", {"xmlns:soap": SOAP_ENV, "xmlns:m": NS})
    return root, ElementTree.SubElement(root, "soap:Body")


def _serialize(root: ElementTree.Element) -> bytes:
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
