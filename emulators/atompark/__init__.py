"""A local Atompark SMS API v3 (also sold as ePochta SMS): a real HTTP server speaking
Atompark's documented protocol (https://atompark.com/bulk-sms-service/smsapiv3).

Protocol (as Atompark):
- `GET|POST /sms/3.0/<method>`, parameters as query or form fields, UTF-8. Every request
  carries `key` (public key) and `sum`: md5 of the values of all other parameters sorted
  by name (`version` "3.0" and `action` = the method included), then the private key.
  The method and the version come from the URL: a client may leave `action`/`version`
  out of its fields, and one that summed other values than the path's fails the sum.
  Method names are taken in any case ("sendSMS" or "sendsms").
- Answers are JSON with HTTP 200: `{"result": {...}}`, or `{"error": text, "code": code}`.
  An unknown key answers code -1, a wrong or missing sum -2 (the emulator's own codes:
  Atompark's list has none for these); method errors use Atompark's codes (300 sender,
  301 text, 303 phone, 305 money, 306 other, 320 campaign). See protocol.py.
- `sendSMS` (sender: up to 11 Latin letters/digits; text; phone: international digits
  without +; datetime "" = now; sms_lifetime 0 = the longest) answers `{id, price,
  currency}`. The price is `price_per_segment` per part: GSM-7 text takes 160 characters
  in one SMS and 153 per part of a longer one, anything else (Cyrillic) is UCS-2 with 70
  and 67. More than 10 parts is refused. The balance pays; too little of it refuses (305).
- `getCampaignDeliveryStats` (id) answers parallel arrays phone, sentdate, donedate,
  status. Delivery rule: status "0" (queued) for the first half of `delivery_delay`,
  "SENT" for the second half, then "DELIVERED", or "NOT_DELIVERED" for phones ending in
  0000. Dates are UTC, "0000-00-00 00:00:00" until they happen.
- `getUserBalance` answers `{balance_currency, currency}`, always in UAH.
- `getCampaignList` (`from`: how many to skip, `offset`: how many, at most 1000; the
  paging words of Atompark's other list methods) answers parallel arrays id, from (the
  sender), body (the text), status (0 pending, 2 in progress, 3 done), newest first.
  sendSMS takes no id of the client's, so this is how a client finds out whether a
  request it lost the answer to was received: by sender, text and then the phone in
  getCampaignDeliveryStats.

Test controls (not Atompark's):
- `GET /_emulator/messages`: every accepted SMS as JSON, oldest first; as an HTML page,
  newest first, with `Accept: text/html` or `?format=html` (the demo's "every sent SMS").
- `POST /_emulator/fail` form `mode` = no_money (the 305 answer) | server_error (HTTP
  500) | timeout (sleeps `seconds`, then answers as usual), `count` = how many of the
  next sendSMS requests fail so (default 1).
- `POST /_emulator/balance` form `balance`: set the account balance.
- `POST /_emulator/reset`: forget messages and failures, restore the starting balance
  (campaign ids keep counting).
"""
from emulators.atompark.app import create_app

__all__ = ["create_app"]
