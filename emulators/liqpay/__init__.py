"""A local LiqPay: a real HTTP server speaking LiqPay's documented protocol.

Protocol (as LiqPay):
- `GET|POST /api/3/checkout` with `data` + `signature`: the checkout page. API version 3
  is signed with SHA-1, version 7 with SHA3-256. A bad signature or field is a 400 JSON
  `{"result": "error", "err_code", "err_description"}` and nothing is recorded.
- Paying sends the signed callback (form fields `data`, `signature`, signed with the
  version of the checkout) to `server_url`, then redirects the browser (302) to
  `result_url`. A failed delivery (refused, timeout, non-2xx) never blocks the redirect;
  it is recorded and retried in the background after each of `retry_delays`.
- `POST /api/request`, actions `status` and `refund` (by `order_id` or `payment_id`),
  answered as JSON with HTTP 200; errors as `result: "error"` (e.g. `payment_not_found`).
  A refund of the whole amount (or without an amount) reverses the payment; a smaller one
  is recorded and the payment stays paid. Both answer and call back with status
  `reversed` and `refund_amount` = total refunded so far.

Test cards: 4242424242424242 (and LiqPay's 3DS/OTP/CVV cards 4000000000003063,
4000000000003089, 4000000000003055) succeed; 4000000000000002 fails with err_code `limit`,
4000000000009995 with `9859`; 4000000000000077 (the emulator's own) is `wait_accept`
first and succeeds `delay` seconds later, with a callback for each. With sandbox keys
(public key `sandbox_...`) or `"sandbox": 1` in the data, a successful payment has status
`sandbox`, not `success`, exactly as LiqPay's sandbox reports it.

Test controls (not LiqPay's, JSON):
- `POST /_emulator/pay` `{data, signature | order_id, card, deliver_callback}`: pay without
  a browser; `order_id` alone pays a checkout page already shown; `deliver_callback:
  false` records the callback as lost (for reconciliation tests).
- `GET /_emulator/payments[?order_id=]`: every payment with its callbacks and their
  delivery attempts (HTTP status or error).
- `POST /_emulator/resend/<payment_id>`: deliver the last callback again (a duplicate).
- `POST /_emulator/fail` (form `mode` = server_error | timeout | error, `count`, `seconds`,
  `err_code`): spoil the next `count` /api/request calls with a 503, a late answer or a
  LiqPay error answer carrying `err_code`.
- `POST /_emulator/reset`: forget everything, an armed failure too (payment ids keep counting).
"""
from emulators.liqpay.app import create_app

__all__ = ["create_app"]
