"""A local 1C (or BAS): a real HTTP server publishing the PortalExchange web service of
onec/wsdl/portal_exchange.wsdl (SOAP 1.1, document/literal), as onec/WEBSERVICE.md asks
the 1C developer to build it.

Protocol (as the contract):
- `GET /ws/portal_exchange?wsdl` (also `.../portal_exchange.1cws?wsdl`, as 1C publishes
  it): the WSDL file itself, with the service address set to this server.
- `POST /ws/portal_exchange`: the SOAP operations GetChanges, GetOrderStatuses, PostOrder,
  PostPayment, PostOrderCancellation, PostContractStatus. HTTP Basic with the credentials
  given to `create_app`, else 401 (the WSDL too). A refusal is a SOAP fault (HTTP 500)
  whose detail `PortalExchangeFault` carries `Code`, `Message`, `Retryable`; the
  faultstring starts with `[Code]`. A malformed envelope is a VALIDATION fault.
- Every Post* is idempotent by `PortalId`: a repeat answers the same 1C document (Id,
  Number) with `Created` false and changes nothing.
- The books are seeded the same on every start (seed.py: 10 groups, 300 products, 3
  price types, 2 warehouses, 12 customers with debts). Every change stamps the object
  with the next version of one counter that starts from the clock, so GetChanges after a
  cursor returns exactly what changed since; a restart looks newer than any cursor.
  A payment posted by the portal comes back in GetChanges `documents` with its PortalId.

The page (`GET /`, Ukrainian) lists what arrived from the portal and lets a person act
as 1C: change a price or a stock quantity, add a customer, enter a bank payment, move a
received order's status (confirming issues a рахунок, shipping makes a видаткова
накладна and grows the debt; both then come in GetChanges `documents`).

Test controls (not the contract's):
- `POST /_emulator/price` (sku, price_type_id, price), `/_emulator/stock` (sku,
  warehouse_id, quantity), `/_emulator/company` (name, tax_id, phone, email,
  price_type_id), `/_emulator/payment` (company_id, amount, purpose),
  `/_emulator/order-status` (portal_id, status): the page's forms; 303 back to `/`, or
  400 with the page and the reason.
- `POST /_emulator/books` (JSON: groups, price_types, warehouses, products, prices, stock,
  companies, each row with its `id`): objects 1C already has, added or replaced (the demo
  gives 1C its own catalog and customers this way); answers the count of each.
- `GET /_emulator/received`: orders, payments, contracts from the portal and the
  documents entered in 1C, as JSON.
- `POST /_emulator/fail` form `mode` = server_error (HTTP 503, before authentication) |
  fault (a SOAP fault with `code`, default BUSY) | delay (answers `seconds` late), `count`
  = how many of the next service calls (default 1).
- `POST /_emulator/reset`: the seeded books again, nothing received, no armed failure
  (versions keep counting).

It imports no zeep and nothing of the portal: the client must meet the contract, not a
shared copy of it.
"""
from emulators.onec.app import create_app

__all__ = ["create_app"]
