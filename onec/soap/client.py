"""The only place that talks to zeep: PortalExchange, the web service 1C publishes
(onec/WEBSERVICE.md, onec/wsdl/portal_exchange.wsdl).

The contract comes from our shipped WSDL, never from the service's `?wsdl` (no network at
start, and a changed publication cannot silently change what we send); the address is
ONEC_SERVICE_URL. HTTP Basic on every call. Every failure is a `ProviderError` of
provider "onec": a timeout, a refused connection or an HTTP 5xx is retryable; a SOAP
fault carries the contract's code and its Retryable; a 401 is the permanent "auth".
"""
from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import requests
import zeep
from lxml import etree
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError, ValidationError
from zeep.transports import Transport
from zeep.wsdl import Document

from core.clock import KYIV
from core.providers import ProviderError, retryable_status
from onec.soap.interface import FAULT_CODES, DocumentRef, onec_error

WSDL_FILE = Path(__file__).resolve().parents[1] / "wsdl" / "portal_exchange.wsdl"
NS = "urn:portal-exchange:1"
BINDING = f"{{{NS}}}PortalExchangeSoapBinding"
# Connecting takes at most this long (onec/WEBSERVICE.md): a 1C that is down is known quickly.
CONNECT_SECONDS = 5.0
# 1C's own exception text starts with the code in brackets (the platform puts it into
# faultstring; module code cannot fill the fault's detail).
CODE_PREFIX = re.compile(r"\s*\[([A-Z_]+)\]")


@cache
def _contract() -> Document:
    """The WSDL parsed once per process: zeep's parsing is the slow part of a client."""
    return Document(str(WSDL_FILE), Transport())


class OnecClient:
    """One zeep client bound to the 1C service address; safe to share between threads
    (requests' session pools its connections)."""

    def __init__(self, url: str, user: str, password: str, timeout: float = 10.0):
        session = requests.Session()
        session.auth = (user, password)
        transport = Transport(
            session=session, timeout=timeout, operation_timeout=(min(CONNECT_SECONDS, timeout), timeout)
        )
        self._session = session
        self._service = zeep.Client(_contract(), transport=transport).create_service(BINDING, url)

    def close(self) -> None:
        self._session.close()

    def get_changes(self, entity: str, since_version: int, limit: int) -> Any:
        """One page of `Changes` of `entity` after `since_version` (zeep's object)."""
        return self._call("GetChanges", entity, since_version, limit)

    def get_order_statuses(self, portal_ids: Sequence[str], since: int, limit: int) -> Any:
        """`OrderStates` of the named orders, or (no ids) of every order moved after `since`."""
        return self._call("GetOrderStatuses", {"PortalId": list(portal_ids)}, since, limit)

    def post_order(self, order: Mapping[str, Any]) -> DocumentRef:
        return _ref(self._call("PostOrder", order))

    def post_payment(self, payment: Mapping[str, Any]) -> DocumentRef:
        return _ref(self._call("PostPayment", payment))

    def post_order_cancellation(self, cancellation: Mapping[str, Any]) -> DocumentRef:
        return _ref(self._call("PostOrderCancellation", cancellation))

    def post_contract_status(self, contract: Mapping[str, Any]) -> DocumentRef:
        return _ref(self._call("PostContractStatus", contract))

    def _call(self, operation: str, *args: Any) -> Any:
        try:
            return getattr(self._service, operation)(*(_for_1c(arg) for arg in args))
        except Fault as fault:
            raise _fault_error(operation, fault) from fault
        except TransportError as error:
            raise _http_error(operation, error) from error
        except requests.Timeout as error:
            raise onec_error("timeout", f"{operation}: {error}", retryable=True) from error
        except requests.RequestException as error:
            raise onec_error("unreachable", f"{operation}: {error}", retryable=True) from error
        except (TypeError, ValueError, ValidationError) as error:
            # zeep refuses to build a request that breaks the schema (TypeError for an
            # unknown field, ValidationError for a missing one): resending cannot help.
            raise onec_error("bad_request", f"{operation}: {error}", retryable=False) from error
        except ZeepError as error:
            raise onec_error("bad_answer", f"{operation}: {error}", retryable=False) from error


def _fault_error(operation: str, fault: Fault) -> ProviderError:
    """The code from the fault's detail when 1C filled it, else the `[CODE]` at the start
    of faultstring, else INTERNAL; retried as the detail says, else as the contract's table."""
    detail = fault.detail.find(f"{{{NS}}}PortalExchangeFault") if fault.detail is not None else None
    code = _text(detail, "Code")
    message = _text(detail, "Message") or (fault.message or "").strip()
    if not code:
        found = CODE_PREFIX.match(fault.message or "")
        code = found.group(1) if found else "INTERNAL"
    stated = _text(detail, "Retryable")
    if stated in ("true", "1", "false", "0"):
        retryable = stated in ("true", "1")
    elif code in FAULT_CODES:
        retryable = FAULT_CODES[code]
    else:
        # A code the contract does not know: the side that failed decides (Client = this request).
        retryable = not str(fault.code or "").endswith("Client")
    return onec_error(code, f"{operation}: {message}", retryable=retryable)


def _http_error(operation: str, error: TransportError) -> ProviderError:
    status = error.status_code or 0
    if status == 401:
        return onec_error("auth", f"{operation}: 1C refused the user and password (HTTP 401)", retryable=False)
    body = error.content.decode("utf-8", "replace") if isinstance(error.content, bytes) else str(error.content or "")
    return onec_error(f"http_{status}", f"{operation}: {body[:200]}", retryable=retryable_status(status))


def _text(parent: etree._Element | None, name: str) -> str:
    if parent is None:
        return ""
    return (parent.findtext(f"{{{NS}}}{name}") or "").strip()


def _for_1c(value: Any) -> Any:
    """1C keeps dates without an offset and reads them as the wall clock they show, so an
    aware moment goes as Kyiv's wall clock (how the portal reads 1C's dates back)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a naive datetime cannot be sent to 1C: say which moment it is")
        return value.astimezone(KYIV).replace(tzinfo=None)
    if isinstance(value, Mapping):
        return {key: _for_1c(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_for_1c(item) for item in value]
    return value


def from_1c_moment(value: datetime) -> datetime:
    """A dateTime from 1C as an aware UTC moment; one without an offset is Kyiv time."""
    return (value if value.tzinfo else value.replace(tzinfo=KYIV)).astimezone(UTC)


def _ref(answer: Any) -> DocumentRef:
    try:
        return DocumentRef(
            portal_id=str(answer.PortalId), onec_id=str(answer.Id), number=str(answer.Number),
            date=from_1c_moment(answer.Date), created=bool(answer.Created),
        )
    except (AttributeError, TypeError) as error:
        raise onec_error("bad_answer", f"DocumentRef: {error}", retryable=False) from error


_lock = threading.Lock()


def service_client(app: Any) -> OnecClient | None:
    """The app's client, built on first use; None when ONEC_SERVICE_URL is empty (the web
    service is not used and no SOAP call is made)."""
    config = app.config
    if not config["ONEC_SERVICE_URL"]:
        return None
    with _lock:
        client = app.extensions.get("onec_service")
        if client is None:
            client = OnecClient(
                config["ONEC_SERVICE_URL"], config["ONEC_SERVICE_USER"], config["ONEC_SERVICE_PASSWORD"],
                timeout=config["ONEC_SERVICE_TIMEOUT"],
            )
            app.extensions["onec_service"] = client
        return client
