"""The yardstick: a bare Flask route served with the same gunicorn config as the portal.

`gunicorn -c gunicorn.conf.py bench.bare_app:app`. It shows what gunicorn, WSGI and
Flask cost on this machine right now, so the portal's throughput can be judged as a
ratio instead of against a number that depends on the hardware and its load.
"""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "hello"
