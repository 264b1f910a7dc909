"""The one URL 1C calls, `type` and `mode` saying what it wants (see the package's docstring).

Views own the commit. The rate limit counts only refusals (HTTP 4xx), per address: 1C's
own traffic of one exchange is hundreds of requests and never slowed, a flood of bad
credentials or cookies stops at the limit, and so does its logging.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, request
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge, TooManyRequests

from core.auth import limiter
from core.clock import utcnow
from core.db import db_session
from onec.exchange import files, sale_file, sale_query
from onec.exchange.answers import Refused, failure, lines, log_refusal
from onec.exchange.blueprint import bp
from onec.exchange.imports import import_step, running
from onec.exchange.sessions import COOKIE, check_credentials, current_session, folder_of, open_session
from onec.models import ExchangeRun, ExchangeSession, SaleExport
from onec.runs import keep_only_newest_empty

TYPES = ("catalog", "sale")


def _rate_limit() -> str:
    return current_app.config["ONEC_EXCHANGE_RATE_LIMIT"]


@bp.before_request
def _bound_body() -> None:
    # A POST larger than the file_limit init announced is refused unread (413), whatever the
    # app's limit for forms is.
    request.max_content_length = current_app.config["ONEC_EXCHANGE_FILE_LIMIT"]


@bp.after_request
def _not_stored(response: Response) -> Response:
    # checkauth's answer holds the session's cookie, a sale query the customers' orders: no
    # cache on the way (a reverse proxy caching GETs) may keep either.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/1c/exchange", methods=["GET", "POST"])
@limiter.limit(_rate_limit, deduct_when=lambda response: 400 <= response.status_code < 500)
def exchange() -> Any:
    exchange_type, mode = request.args.get("type", ""), request.args.get("mode", "")
    config = current_app.config
    if exchange_type not in TYPES:
        raise Refused("unknown_type", gettext("Невідомий тип обміну «%(type)s».", type=exchange_type[:40]))
    if mode == "checkauth":
        check_credentials(config)
        token = open_session(config)
        db_session.commit()
        return lines("success", COOKIE, token)
    session = current_session()
    handler = _HANDLERS.get((exchange_type, mode))
    if handler is None:
        raise Refused("unknown_mode", gettext("Невідомий режим обміну «%(mode)s» для %(type)s.",
                                              mode=mode[:40], type=exchange_type))
    return handler(session, config)


def _not_while_importing(session: ExchangeSession, config: Any, filename: str | None = None) -> None:
    """While a file imports beside the requests, the folder stays as it is: a new init would
    delete what the import reads, a POST or an unpacked archive would write into it. 1C
    itself waits for each import's end; only a second import call of the same file is its own."""
    importing = running(session, config)
    if importing is not None and importing != filename:
        raise Refused("import_running", gettext("Файл «%(name)s» ще імпортується: дочекайтеся кінця імпорту.",
                                                name=importing[:200]), 409, file_name=filename)


def _init(session: ExchangeSession, config: Any) -> Response:
    _not_while_importing(session, config)
    files.start_folder(folder_of(session))
    session.received_bytes = 0
    session.import_name = session.import_started_at = session.import_run_id = None
    db_session.commit()
    # Orders documents are small: 1C is asked to send them unzipped.
    zipped = config["ONEC_EXCHANGE_ZIP"] and request.args.get("type") == "catalog"
    answer = [f"zip={'yes' if zipped else 'no'}", f"file_limit={config['ONEC_EXCHANGE_FILE_LIMIT']}"]
    if request.args.get("version"):
        # Newer 1C names the schema it writes and reads; the answer names the one we use.
        answer.append(f"version={sale_query.schema_version(request.args['version'])}")
    return lines(*answer)


def _file(session: ExchangeSession, config: Any) -> Response:
    _append_posted(session, config)
    return lines("success")


def _append_posted(session: ExchangeSession, config: Any) -> tuple[str, Path]:
    """mode=file of either type: the POST's body appended to its file, committed."""
    filename = request.args.get("filename", "")
    if request.method != "POST":
        raise Refused("not_post", gettext("Файл надсилається методом POST."), 405, file_name=filename)
    _not_while_importing(session, config)
    path = files.append(session, folder_of(session), filename, request.get_data(cache=False), config)
    # The folder changed: the end of an import before it no longer answers for what is there now.
    session.import_name = session.import_started_at = session.import_run_id = None
    db_session.commit()
    return filename, path


def _import(session: ExchangeSession, config: Any) -> Response:
    """A zip 1C sent is unpacked at the first import call (only then is its last part
    known to be in), answered `progress`; then the named file is imported (onec/exchange/imports.py)."""
    _not_while_importing(session, config, request.args.get("filename", ""))
    folder = folder_of(session)
    archives = files.archives_in(folder)
    if archives:
        for archive in archives:
            files.unpack(session, folder, archive, config)
        db_session.commit()
        return lines("progress")
    filename = request.args.get("filename", "")
    path = files.safe_path(folder, filename)
    if not path.is_file():
        raise Refused("unknown_file", gettext("Файл «%(name)s» не надходив у цьому обміні.", name=filename[:200]),
                      404, file_name=filename)
    run = import_step(session, filename, path, folder, config)
    return lines("progress") if run is None else _answer(run)


def _sale_query(session: ExchangeSession, config: Any) -> Response:
    started = utcnow()
    orders = sale_query.pending_orders(db_session, config["ONEC_EXCHANGE_SALE_BATCH"])
    encoding = str(config["ONEC_EXCHANGE_SALE_ENCODING"]).lower()
    body = sale_query.write_orders(db_session, orders, version=sale_query.schema_version(request.args.get("version")),
                                   encoding=encoding)
    session.sale_sent = [[order.id, order.status] for order in orders]
    run = ExchangeRun(direction="out", entity="orders", source="commerceml", status="success",
                      created=len(orders), started_at=started, finished_at=utcnow())
    db_session.add(run)
    db_session.flush()
    keep_only_newest_empty(db_session, run)
    db_session.commit()
    return Response(body, content_type=f"application/xml; charset={encoding}")


def _sale_success(session: ExchangeSession, config: Any) -> Response:
    """The orders of this session's last query are 1C's now, in the status they were sent
    in; an order submitted or changed after that query is not among them."""
    sent = {int(order_id): status for order_id, status in session.sale_sent or []}
    existing = {row.order_id: row for row in db_session.scalars(
        select(SaleExport).where(SaleExport.order_id.in_(sent)))} if sent else {}
    for order_id, status in sent.items():
        row = existing.get(order_id)
        if row is None:
            db_session.add(SaleExport(order_id=order_id, status=status))
        else:
            row.status = status
    session.sale_sent = None
    db_session.commit()
    return lines("success")


def _sale_file(session: ExchangeSession, config: Any) -> Response:
    """1C's documents back. Applied once the file is whole (its root closed): a file split
    by file_limit is appended part by part and answered success until then."""
    filename, path = _append_posted(session, config)
    if not sale_file.is_complete(path):
        return lines("success")
    return _answer(_apply_sale_file(session, filename, path))


def _sale_import(session: ExchangeSession, config: Any) -> Response:
    """Configurations that call import after sending their documents: the file's run when
    mode=file applied it already, else the file applied now (a file cut short fails)."""
    filename = request.args.get("filename", "")
    if session.import_name == filename and session.import_run_id is not None:
        run = db_session.get_one(ExchangeRun, session.import_run_id)
        db_session.commit()
        return _answer(run)
    path = files.safe_path(folder_of(session), filename)
    if not path.is_file():
        raise Refused("unknown_file", gettext("Файл «%(name)s» не надходив у цьому обміні.", name=filename[:200]),
                      404, file_name=filename)
    run = sale_file.apply_file(db_session, path)
    path.unlink(missing_ok=True)
    return _answer(run)


def _apply_sale_file(session: ExchangeSession, filename: str, path: Path) -> ExchangeRun:
    run = sale_file.apply_file(db_session, path)
    path.unlink(missing_ok=True)
    session.import_name, session.import_run_id = filename, run.id  # for an import call about the same file
    db_session.commit()
    return run


def _answer(run: ExchangeRun) -> Response:
    return lines("success") if run.status == "success" else failure(run.error or "")


_HANDLERS = {
    ("catalog", "init"): _init,
    ("catalog", "file"): _file,
    ("catalog", "import"): _import,
    ("sale", "init"): _init,
    ("sale", "query"): _sale_query,
    ("sale", "success"): _sale_success,
    ("sale", "file"): _sale_file,
    ("sale", "import"): _sale_import,
}


@bp.errorhandler(Refused)
def _refused(refused: Refused) -> Response:
    log_refusal(request.args.get("type"), refused)
    answer = failure(refused.detail, refused.status)
    if refused.status == 401:
        answer.headers["WWW-Authenticate"] = 'Basic realm="1C exchange", charset="UTF-8"'
    return answer


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> Response:
    return _refused(Refused("body_too_large", gettext("Частина файлу більша за file_limit (%(limit)s байт).",
                                                      limit=current_app.config["ONEC_EXCHANGE_FILE_LIMIT"]),
                            413, file_name=request.args.get("filename")))


@bp.errorhandler(TooManyRequests)
def _throttled(error: TooManyRequests) -> Response:
    # Not logged: the limit is what keeps a flood out of the log.
    return failure(gettext("Забагато відмов поспіль: зачекайте і спробуйте знову."), 429)
