"""A local Vchasno EDO (edo.vchasno.ua): a real HTTP server speaking the endpoints of
Vchasno's API v2 that the portal calls, with the portal's company as the owner of what it
uploads and the demo's customer as the recipient who signs on this emulator's page.

Sources:
[I] Vchasno's "Інструкція до API Вчасно" (the vendor's own document, a copy at
    https://studylib.net/doc/27479288/%D1%96nstrukc%D1%96ya-do-api-vchasno--ukr-);
[P] py-vchasno, the package the issue names (https://github.com/captainluzik/py-vchasno:
    src/vchasno/_sync/endpoints/documents.py, company.py, _sync/_http.py, models/);
[M] vchasno-edo-mcp, another client with a coverage table of the API
    (https://github.com/david-dvinskykh/vchasno-edo-mcp: docs/api-coverage.md,
    internal/vchasno/documents.go, errors.go).

Protocol (what the sources say):
- Base path `/api/v2/...`; every call carries `Authorization: <token>`, the bare token,
  no "Bearer" [I][P]. JSON bodies, the upload is multipart/form-data [I].
- `POST /api/v2/documents`: the file in the `file` part, the parameters in the query
  string [P][M]: recipient_edrpou, recipient_emails (comma-separated), title, doc_number,
  category (3 = contract), vendor_id, first_sign_by (owner | recipient),
  expected_owner_signatures, expected_recipient_signatures [M]. Answers
  `{"documents": [document]}` [P]. One file at most 5 MB [I].
- `GET /api/v2/documents` with filters (vendor_id, status, recipient_edrpou, ids, cursor)
  answers `{"documents": [...], "next_cursor"}` [P][M]. `vendor_id` is the client's own
  id of a document, set at upload and filtered on here [M]: how a client finds a
  document it uploaded but lost the answer to.
- `POST /api/v2/documents/statuses` `{"document_ids": [...]}`, at most 500 [P], answers
  `{"data_list": [{document_id, status_id, status_text}]}` [P][M]. Status codes 7000
  uploaded, 7001 ready, 7002 sent for first signature, 7003 owner signed (7004 and sent),
  7006 rejected, 7007 recipient signed, 7008 signed by all, 7010 sent to signers, 7011
  annulled [P models/enums.py].
- `GET /api/v2/documents/<id>`, `/original`, `/p7s`, `/archive` (zip), `/comments`
  (`{"comments": [{text, type, ...}]}`; a rejection's reason is a comment there),
  `POST .../signatures` `{"signature": base64 p7s}` (the owner's signature),
  `POST .../send` [P][M].
- `POST /api/v2/check/company` `{"edrpou": "..."}` answers `{edrpou, name,
  is_registered}` [P models/common.py][M]: one code per call.
- Errors are JSON `{"code", "reason", "details"}` with the HTTP status [M errors.go]; a
  token missing or wrong is 403 `login_required`, a company without the "Інтеграція"
  tariff 403 `access_denied`, the rate limit 429 `too_many_requests` [M]. The limit is
  per company (500 requests / 60 s in [I], 10 / s in [P]); clients honour Retry-After [P].

Assumed (no source found; the emulator's own choices, kept simple and stated):
- 429 carries `Retry-After` (seconds); 5xx is a gateway's HTML 502, not JSON.
- 400 `invalid_request` for bad input (501 ids included), 404 `object_does_not_exist`
  for an unknown id and for another company's document alike, 400
  `invalid_document_status` for an action the status does not allow, 413 for a big file.
- Upload parameters are also taken from the multipart form fields. The recipient is
  `recipient_edrpou`/`recipient_emails` [M] or `edrpou`/`email`, the names py-vchasno
  0.2.0's upload() actually sends: both are taken.
- vendor_id is not unique: a second upload with the same one is a second document, so a
  client must look before it uploads again.
- The flow: an upload with a recipient is 7001. first_sign_by=owner: the owner signs
  (7003), `send` (7004), the recipient signs (7008). first_sign_by=recipient, or
  expected_owner_signatures=0: `send` (7002), the recipient signs (7007 if the owner
  still has to sign, then the owner's signature makes 7008; else 7008 at once). The
  recipient may reject whenever it is its turn (7006, the reason in /comments).
  Signatures are not verified: any non-empty base64 is the owner's signature.
- A customer who signs becomes registered (a real one logs in with a key to sign).
- The .p7s and the .p7s files in the archive are plain-text stand-ins (files.py).
- check/company names an unregistered code with "" (py-vchasno's model needs a string).
- Unknown ids are left out of the statuses answer; listing is in upload order, 100 a
  page by default, `limit` up to 500.

The page (`GET /`, and `/app/documents/<id>`, where Vchasno's web app shows a document
and the portal's messages link to, Ukrainian) lists every document with its history; the demo's customer
signs (→ 7008, or 7007) or rejects with a reason (→ 7006) there, and registers a company.

Test controls (not Vchasno's): `POST /_emulator/sign` (document_id, signer),
`/_emulator/reject` (document_id, reason), `/_emulator/register` (edrpou, name),
`/_emulator/status` (document_id, status: any code, e.g. 7011 annulled): a JSON body gets
JSON back, a form of the page 303 back to `/` (400 and the page with the reason).
`POST /_emulator/seed` JSON (owner_edrpou, recipient_edrpou, count up to 10,000,
vendor_prefix): that many documents at 7001 at once, their ids in order (benchmarks).
`GET /_emulator/documents`: every document with its owner, hash, comments and history.
`POST /_emulator/fail` form `mode` = server_error (502) | rate_limited (429, Retry-After
`retry_after`, default 1) | no_tariff (403 access_denied) | slow (answered as usual after
`seconds`), `count` = how many of the next API calls (default 1). `POST /_emulator/reset`: the seeded companies, no documents, no
armed failure.

py-vchasno 0.2.0 (its sync client, `allow_http=True` for the emulator's plain HTTP) was
run against this emulator by hand: upload, list by vendor_id, get, send, statuses, the
three downloads, signatures.add, company.check and its 403/404/429 errors all parse.

It imports nothing of the portal: the adapter must meet Vchasno, not a shared copy.
"""
from emulators.vchasno.app import create_app

__all__ = ["create_app"]
