"""Login throttling holds across workers when the limits live in Redis.

Two app instances stand in for two gunicorn workers; they share nothing but Redis.
Runs when TEST_REDIS_URL is set (CI sets it to the local Redis).
"""

import os
import uuid

from portal.migrate import upgrade
from tests.conftest import csrf_token_from

REDIS_URL = os.environ.get("TEST_REDIS_URL")

if REDIS_URL:

    def test_per_ip_limit_is_shared_by_two_workers(make_app, tmp_path):
        # The workers get a database of their own: the suite's is held by the test transaction.
        url = f"sqlite:///{tmp_path / 'workers.db'}"
        upgrade("head", url=url)
        # A fresh client address per run, so earlier runs' counters in Redis don't interfere.
        octets = uuid.uuid4().bytes[:3]
        address = {"REMOTE_ADDR": "127." + ".".join(str(b) for b in octets)}
        settings = {
            "DATABASE_URL": url,
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "LOGIN_RATE_LIMIT_IP": "6 per minute",
        }
        worker_a, worker_b = make_app(settings), make_app(settings)
        statuses = []
        for n in range(8):
            client = (worker_a if n % 2 == 0 else worker_b).test_client()
            page = client.get("/auth/login", environ_base=address)
            token = csrf_token_from(page.get_data(as_text=True))
            response = client.post(
                "/auth/login",
                data={"login": f"NOBODY{n}", "password": "x", "csrf_token": token},
                environ_base=address,
            )
            statuses.append(response.status_code)
        # Six attempts in total are allowed, whichever worker took them.
        assert statuses[:6] == [200] * 6
        assert statuses[6:] == [429, 429]
