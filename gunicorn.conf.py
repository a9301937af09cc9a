"""gunicorn settings for the portal: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment, so one committed file serves a
laptop, the benchmark (`make bench`) and production behind a reverse proxy.
"""

import os
import shutil
import tempfile

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


# The worker class, chosen by measurement (bench/README.md; `make bench`, and for the
# comparison `.venv/bin/python bench/run.py --only streams --variants gthread gthread:64`).
# A streamed assistant answer (Server-Sent Events) holds its request for as long as the
# model writes. 2 shared cores, SQLite, 300 answers of 35 s (10 chunks/s) opened within
# 10 s, 2026-11-27:
# - gthread, 4 threads (the previous setting): a thread per stream caps open streams at
#   workers x threads = 20; the other 280 queued, a plain page queued behind them timed
#   out after 10 s, and 20 of 300 answers completed in 60 s.
# - gthread, 64 threads: at most 280 open; the rest queued on workers that had accepted
#   more streams than threads (accepting is not balanced), and pages landing there
#   waited 1-10 s.
# - gevent: all 300 open and 300/300 stored complete; logged-in home page p95 29 ms with
#   the machine 76 % busy, 119-282 ms when other tenants kept it 91-95 % busy (relaying
#   3,000 deltas/s costs the portal about one core); time-to-first-token overhead
#   8-13 ms (median).
# gevent patches the standard library in each worker before the app is imported
# (preload_app is off), so psycopg 3 waits cooperatively. A worker then runs many
# requests at once and may fill its whole database pool: keep workers x (pool size +
# overflow) below PostgreSQL's max_connections. A stream may outlast `timeout`: the
# worker's loop keeps reporting to the master (35 s answers with timeout = 30).
# GUNICORN_WORKER_CLASS and GUNICORN_THREADS override the class and the thread count.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "gevent"

# How many worker processes. A gevent worker serves many requests at once, so it needs
# no spare processes to wait on I/O: one per core, plus one so a worker held in a long
# call (a SQLite write lock, an export) leaves the cores busy. More only take turns on the
# same cores, and each turn costs the incoming process its warm caches: 2 shared cores,
# the logged-in home page under 8 clients, 2026-12-07 (bench/README.md): 5 workers
# 308 req/s, 3 workers 388 req/s, and the bare Flask route 1,992 and 2,578. The thread
# and sync classes keep gunicorn's usual 2 × cores + 1. Capped at 9 either way: every
# worker keeps its own database pool. WEB_CONCURRENCY overrides it.
_per_core = 1 if worker_class == "gevent" else 2
workers = int(os.environ.get("WEB_CONCURRENCY") or min(_per_core * _cores() + 1, 9))
threads = int(os.environ.get("GUNICORN_THREADS") or 4)  # gthread only
worker_connections = 1000  # gevent: open connections per worker, streams included

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

# Prometheus metrics (/metrics, portal/monitoring/metrics.py): each worker writes its counters to
# files in one directory, and a scrape of any worker adds up all of them. The directory is
# fresh for each start (stale files would add old counts); PROMETHEUS_MULTIPROC_DIR names
# one of your own (it is emptied at start). Set here, in the master, before any worker
# imports the app.
_metrics_dir_given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
_metrics_dir = _metrics_dir_given or tempfile.mkdtemp(prefix="portal-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def on_starting(server):
    for name in os.listdir(_metrics_dir):
        if name.endswith(".db"):
            os.remove(os.path.join(_metrics_dir, name))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, _metrics_dir)


def on_exit(server):
    if not _metrics_dir_given:  # the directory made above goes with the server
        shutil.rmtree(_metrics_dir, ignore_errors=True)
