"""#10.22 (the login part): with the rate limit's Redis down, people still log in, and
guessing is still throttled (counted in memory meanwhile).

The app runs in a process of its own: the limiter is one per process, and this one's
storage must be a Redis that does not answer (a closed port) from the start."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from core.config import ROOT

DEAD_REDIS = "redis://127.0.0.1:1/0"

SCRIPT = """
import json, sys, time

from core.app import create_app
from core.auth import hash_password
from core.catalog.models import PriceType
from tests.config import TestConfig
from core.customers.models import Company, User
from core.db import db_session
from tests.conftest import reset_schema, valid_edrpou


class RedisDown(TestConfig):
    SQLALCHEMY_DATABASE_URI = sys.argv[1]
    REDIS_URL = None
    RATELIMIT_STORAGE_URI = sys.argv[2]
    LOGIN_RATE_LIMIT = "3 per minute"


reset_schema(RedisDown.SQLALCHEMY_DATABASE_URI)
app = create_app(RedisDown)
with app.app_context():
    price_type = PriceType(code="w", name="w")
    db_session.add(price_type)
    db_session.flush()
    company = Company(name="ТОВ «Тест»", kind="legal", tax_id=valid_edrpou(), price_type_id=price_type.id)
    db_session.add(company)
    db_session.flush()
    db_session.add(User(company_id=company.id, full_name="Покупець", role="owner", email="buyer@cafe.ua",
                        password_hash=hash_password("right-password")))
    db_session.commit()
answers = []
for password in ("wrong", "wrong", "right-password", "right-password"):
    started = time.perf_counter()
    response = app.test_client().post("/login", data={"login": "buyer@cafe.ua", "password": password})
    answers.append({"status": response.status_code, "seconds": time.perf_counter() - started,
                    "says": response.get_data(as_text=True)})
print(json.dumps(answers))
"""


def test_login_works_and_is_throttled_with_the_limits_redis_down(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, f"sqlite:///{tmp_path}/redis-down.db", DEAD_REDIS],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    assert [answer["status"] for answer in answers] == [400, 400, 302, 429], [a["says"][-500:] for a in answers]
    assert "Забагато спроб" in answers[3]["says"]
    assert max(answer["seconds"] for answer in answers) < 3  # a dead Redis is given up on quickly
