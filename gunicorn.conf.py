"""gunicorn settings for the portal: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment, so one committed file serves a
laptop, the benchmark (`make bench`) and production behind a reverse proxy.
"""

import os

# PORT is a port number (bound on loopback) or a full host:port. Behind a reverse
# proxy on another machine, set PORT=0.0.0.0:8000; gunicorn's own default would
# listen on every interface as soon as PORT is set, which we do not want.
_port = os.environ.get("PORT", "8000")
bind = [_port if ":" in _port else f"127.0.0.1:{_port}"]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this container may really use
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# gunicorn's usual 2 × cores + 1, capped: every worker keeps its own database
# connection pool, and past ~9 workers extra processes add memory and
# connections, not throughput. WEB_CONCURRENCY overrides it.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * _cores() + 1, 9))

# Threads let one worker overlap requests waiting on the database. The streaming
# assistant (Server-Sent Events, a later issue) holds a thread per open stream,
# so gthread caps streams at workers × threads; that issue re-measures with
# `make bench` and chooses the worker class (gthread vs gevent) by the numbers.
worker_class = "gthread"
threads = 4

timeout = 30  # a worker silent this long is restarted
graceful_timeout = 30  # time given to finish requests on restart or shutdown
keepalive = 5  # seconds an idle keep-alive connection stays open (reverse proxy → app)

# Proxies trusted for X-Forwarded-Proto (https detection). Client addresses for
# rate limits and the audit log come from the portal's own PORTAL_TRUSTED_PROXY_COUNT.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The portal writes its own structured JSON request log (route pattern, status,
# timing, request id; no query strings or personal data), so gunicorn's access
# log is off. If you turn it on (--access-logfile -), this format leaves out
# query strings and client addresses.
accesslog = None
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Each worker builds its own app (and its own database engine) after the fork.
preload_app = False
