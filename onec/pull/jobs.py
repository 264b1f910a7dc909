"""The scheduled pull: every ONEC_PULL_SECONDS, every entity, when the web service is set."""
from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from core.jobs import periodic
from onec.cli import options_from_config
from onec.models import ExchangeRun
from onec.pull.run import pull
from onec.settings import OnecSettings
from onec.soap.client import service_client


@periodic("onec-pull", OnecSettings.ONEC_PULL_SECONDS)
def pull_from_1c(session: Session) -> list[ExchangeRun] | None:
    """None when ONEC_SERVICE_URL is empty (1C exchanges by CommerceML only) or another
    pull is still running."""
    app: Any = current_app
    client = service_client(app)
    if client is None:
        return None
    return pull(session, client, limit=app.config["ONEC_PULL_LIMIT"], options=options_from_config(None))
