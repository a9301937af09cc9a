"""The fault scenarios. Each prints what it did and each thing it checked.

They share one lab (see `Lab`): the portal under `make serve-prod` with three gunicorn
workers, on a PostgreSQL cluster and a Redis of its own, an SMTP server and the fake
model server, all on spare loopback ports. A scenario leaves the lab running and whole.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.faults import portal_steps
from tests.faults.stack import (
    BIN,
    ROOT,
    Portal,
    PostgresCluster,
    RedisServer,
    SmtpServer,
    portal_environment,
    say,
    wait_until,
)
from tests.faults.web import Answer, Person

STAFF = 200
CHATTERS = 6
SESSIONS = {"burst": 60, "outage": 1000, "killed": 50}
BURST_CAPACITY = SESSIONS["burst"]
IMPORT_ROWS = 20_000  # the import's documented cap: applying it takes seconds
OUTAGE_SECONDS = 30
REPLY = "□ 추진 배경\n ○ 시민 불편을 줄이기 위해 사업을 추진합니다.\n□ 추진 내용\n ○ 시범 운영 후 확대합니다.\n"


class ScenarioFailed(AssertionError):
    pass


@dataclass
class Checks:
    """What one scenario checked; any failed check fails the scenario at its end."""

    name: str
    failed: list[str] = field(default_factory=list)
    passed: int = 0

    def did(self, text: str) -> None:
        say(f"{self.name}: {text}")

    def check(self, ok: bool, text: str) -> bool:
        mark = "ok  " if ok else "FAIL"
        say(f"{self.name}: [{mark}] {text}")
        if ok:
            self.passed += 1
        else:
            self.failed.append(text)
        return ok

    def finish(self) -> None:
        if self.failed:
            raise ScenarioFailed(f"{self.name}: {len(self.failed)} check(s) failed")


# --------------------------------------------------------------------------- the lab


class Lab:
    """Everything the scenarios run against, started once and stopped at the end."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="portal-faults-"))
        self.postgres = PostgresCluster(self.tmp)
        self.redis = RedisServer(self.tmp)
        self.smtp = SmtpServer()
        self.model = FakeOpenAI(default=Reply.text(REPLY, pieces=12, chunk_delay=0.02))
        self.portal: Portal | None = None
        self.data: dict = {}
        self.people: dict[str, Person] = {}

    def start(self) -> None:
        say(f"lab: initdb and pg_ctl start (PostgreSQL on 127.0.0.1:{self.postgres.port})")
        self.postgres.init()
        self.postgres.start()
        self.postgres.execute("CREATE DATABASE portal")
        say(f"lab: redis-server on 127.0.0.1:{self.redis.port}")
        self.redis.start()
        self.model.start()
        say(
            f"lab: fake model server on 127.0.0.1:{self.model.port}; SMTP port "
            f"{self.smtp.port} (not started yet)"
        )
        models = [
            {
                "key": portal_steps.MODEL_KEY,
                "backend": "openai",
                "label": "장애 시험 모델",
                "model": "fake-model",
                "base_url": self.model.base_url,
                "api_key": "x",
            }
        ]
        env = portal_environment(
            self.tmp, self.postgres.url(), self.redis.url(), self.smtp.port, models
        )
        env["PORTAL_TRUSTED_PROXY_COUNT"] = "1"  # clients come "through the proxy"
        self.portal = Portal(env, self.tmp / "serve-prod.log")
        say("lab: flask db upgrade, flask courses sync, then the scenario data")
        self.portal.flask("db", "upgrade")
        self.portal.flask("courses", "sync")
        self.data = self.portal.step("setup", staff=STAFF, chatters=CHATTERS, sessions=SESSIONS)
        say("lab: make serve-prod (pre-flight, then gunicorn with 3 workers)")
        self.portal.start()
        say(f"lab: the portal answers on {self.portal.base}; logging in {STAFF} staff")
        logins = [*self.data["staff"], self.data["admin"]]
        with ThreadPoolExecutor(max_workers=8) as pool:
            people = list(pool.map(self._log_in, logins))
        self.people = {p.login: p for p in people}

    def _log_in(self, login: str) -> Person:
        number = int(re.sub(r"\D", "", login) or 0) + (1000 if login.startswith("FA") else 0)
        person = Person(self.portal.port, login, f"10.20.{number // 250}.{number % 250 + 1}")
        person.log_in(portal_steps.PASSWORD)
        return person

    def stop(self) -> None:
        for closing in (self.portal, self.model, self.smtp, self.redis, self.postgres):
            if closing is None:
                continue
            with contextlib.suppress(Exception):
                closing.stop() if closing is self.model else closing.close()
        if os.environ.get("FAULTS_KEEP_TMP"):
            say(f"lab: kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # helpers the scenarios share

    @property
    def staff(self) -> list[Person]:
        return [self.people[login] for login in self.data["staff"]]

    @property
    def admin(self) -> Person:
        return self.people[self.data["admin"]]

    def session_id(self, name: str) -> int:
        return self.data["sessions"][name]

    def seats(self, name: str) -> dict:
        session_id = self.session_id(name)
        return self.portal.step("seats", session_ids=[session_id])[str(session_id)]

    def counts(self, *prefixes: str) -> dict:
        return self.portal.step("counts", prefixes=list(prefixes))

    def busiest_worker(self, sample: float = 0.3) -> int:
        """The worker that used the most CPU over `sample` seconds (the one at work)."""

        def cpu(pid: int) -> int:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                return int(fields[11]) + int(fields[12])
            except (OSError, IndexError):
                return -1

        pids = self.portal.worker_pids()
        before = {pid: cpu(pid) for pid in pids}
        time.sleep(sample)
        return max(pids, key=lambda pid: cpu(pid) - before[pid])


def enrol(person: Person, session_id: int) -> Answer:
    return person.post_form(f"/sessions/{session_id}/enrol")


def enrol_together(
    people: list[Person], session_id: int, at_release: Callable[[], None] | None = None
) -> list[int | str]:
    """Everyone POSTs the enrol form at the same moment; the HTTP status or error of each.

    `at_release` runs in this thread as the requests go out (to break something)."""
    results: list[int | str] = [0] * len(people)
    barrier = threading.Barrier(len(people) + 1)

    def fire(index: int) -> None:
        barrier.wait(timeout=60)
        try:
            results[index] = enrol(people[index], session_id).status
        except OSError as err:
            results[index] = type(err).__name__

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        futures = [pool.submit(fire, index) for index in range(len(people))]
        barrier.wait(timeout=60)
        if at_release is not None:
            at_release()
        for future in futures:
            future.result()
    return results


def _roster_csv(prefix: str, rows: int, department: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["사번", "성명", "이메일", "부서", "직급", "임용일"])
    for n in range(1, rows + 1):
        writer.writerow(
            [
                f"{prefix}{n:05d}",
                f"가져온직원{n}",
                f"{prefix.lower()}{n}@example.go.kr",
                department,
                "행정7급",
                "2024-03-02",
            ]
        )
    return out.getvalue().encode("utf-8")


def upload_roster(admin: Person, content: bytes, filename: str) -> int:
    """Upload a roster file as the admin; returns the stored upload's id."""
    admin.request("GET", "/admin/import/")
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{admin.token}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="roster_file"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    answer = admin.request(
        "POST",
        "/admin/import/",
        body=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        timeout=120,
    )
    match = re.search(r"/admin/import/(\d+)$", answer.location)
    if answer.status != 302 or not match:
        raise RuntimeError(f"the roster upload answered {answer.status}: {answer.text[:300]}")
    admin.request("GET", f"/admin/import/{match.group(1)}", timeout=120)  # the preview
    return int(match.group(1))


def apply_roster(admin: Person, upload_id: int) -> Answer:
    return admin.post_form(f"/admin/import/{upload_id}/apply")


@contextlib.contextmanager
def background(action: Callable[[], None]) -> Iterator[threading.Thread]:
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        thread.join(timeout=180)


class PageLoad:
    """Staff opening pages in a loop from several threads, every answer recorded."""

    PATHS = ("/", "/courses/", "/my/learning", "/notifications/")

    def __init__(self, people: list[Person], threads: int = 12) -> None:
        self.people = people
        self.threads = threads
        self.stop = threading.Event()
        self.answers: list[tuple[float, str, int | None, bool]] = []  # at, path, status, plain
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []

    def _run(self, index: int) -> None:
        rng = random.Random(index)
        while not self.stop.is_set():
            person = rng.choice(self.people)
            path = rng.choice(self.PATHS)
            try:
                answer = person.request("GET", path, timeout=30)
                record = (time.monotonic(), path, answer.status, answer.is_plain_unavailable())
            except OSError:  # no answer at all: counted as a failure below
                record = (time.monotonic(), path, None, False)
            with self._lock:
                self.answers.append(record)
            time.sleep(0.05)

    def __enter__(self) -> PageLoad:
        for index in range(self.threads):
            thread = threading.Thread(target=self._run, args=(index,), daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self._workers:
            thread.join(timeout=60)

    def between(self, start: float, end: float) -> list[tuple[float, str, int | None, bool]]:
        with self._lock:
            return [a for a in self.answers if start <= a[0] < end]


def _statuses(answers) -> dict[str, int]:
    return dict(sorted(Counter(str(a[2]) for a in answers).items()))


# --------------------------------------------------------------------------- scenarios


def enrolment_burst(lab: Lab) -> Checks:
    """200 staff press 신청 on a 60-seat session at the same moment."""
    checks = Checks("enrolment burst")
    session_id = lab.session_id("burst")
    people = lab.staff
    checks.did(
        f"{len(people)} POST /sessions/{session_id}/enrol released together "
        f"(capacity {BURST_CAPACITY}), 3 gunicorn workers"
    )
    started = time.monotonic()
    results = enrol_together(people, session_id)
    checks.did(f"all answered in {time.monotonic() - started:.1f} s: {dict(Counter(results))}")
    checks.check(all(r == 302 for r in results), "every request answered 302 (no 5xx, no error)")
    seats = lab.seats("burst")
    checks.check(
        seats["enrolled"] == BURST_CAPACITY and seats["seats_taken"] == BURST_CAPACITY,
        f"enrolled {seats['enrolled']}, seats_taken {seats['seats_taken']} == capacity "
        f"{BURST_CAPACITY}",
    )
    checks.check(
        seats["waitlisted"] == len(people) - BURST_CAPACITY,
        f"waitlisted {seats['waitlisted']} == {len(people) - BURST_CAPACITY}",
    )
    checks.check(seats["duplicates"] == 0, "nobody holds two places in the session")
    return checks


def postgres_outage(lab: Lab) -> Checks:
    """PostgreSQL stopped for 30 s under load, with enrolments and an import in flight."""
    checks = Checks("PostgreSQL outage")
    portal = lab.portal
    session_id = lab.session_id("outage")
    enrollers = lab.staff[:120]
    outcomes: dict[str, list[int | None]] = {p.login: [] for p in enrollers}
    content = _roster_csv("R", IMPORT_ROWS, lab.data["department"])
    checks.did(f"uploading a {IMPORT_ROWS:,}-row roster file as the admin (not applied yet)")
    upload_id = upload_roster(lab.admin, content, "outage.csv")
    stop_enrolling = threading.Event()

    def keep_enrolling() -> None:
        rng = random.Random(7)
        waiting = list(enrollers)
        while waiting and not stop_enrolling.is_set():
            person = waiting.pop(rng.randrange(len(waiting)))
            try:
                status = enrol(person, session_id).status
            except OSError:
                status = None
            outcomes[person.login].append(status)
            if status != 302:
                waiting.append(person)  # tries again later, as a person would
            time.sleep(0.15)

    import_answer: list[Answer | str] = []

    def apply_import() -> None:
        try:
            import_answer.append(apply_roster(lab.admin, upload_id))
        except OSError as err:
            import_answer.append(type(err).__name__)

    with PageLoad(lab.staff[120:], threads=10) as load:
        enrolling = threading.Thread(target=keep_enrolling, daemon=True)
        enrolling.start()
        time.sleep(5)
        checks.did(
            "under load (10 page threads, one enrolling staff member at a time); "
            "applying the import, then stopping PostgreSQL mid-import"
        )
        with background(apply_import):
            time.sleep(1.0)
            down_at = time.monotonic()
            lab.postgres.stop("fast")
            checks.did("pg_ctl stop -m fast: PostgreSQL is down")
            ready_while_down = []
            while time.monotonic() - down_at < OUTAGE_SECONDS:
                ready_while_down.append(portal.get_status("/readyz"))
                time.sleep(1)
            lab.postgres.start()
            up_at = time.monotonic()
            checks.did(f"pg_ctl start after {up_at - down_at:.0f} s")
        recovered = wait_until(lambda: portal.get_status("/readyz") == 200, 60, 0.5)
        recovered_at = time.monotonic()
        checks.check(
            recovered,
            f"/readyz answered 200 again {recovered_at - up_at:.1f} s after PostgreSQL came back",
        )
        time.sleep(8)  # the page load goes on after recovery
        stop_enrolling.set()
        enrolling.join(timeout=60)
        during = load.between(down_at + 2, up_at)
        after = load.between(recovered_at + 2, time.monotonic())
        everything = load.between(0, time.monotonic())
    checks.check(
        all(status == 503 for status in ready_while_down),
        f"/readyz said not ready (503) for the whole outage ({len(ready_while_down)} probes)",
    )
    checks.did(f"page answers during the outage: {_statuses(during)}; after: {_statuses(after)}")
    failures = [a for a in during if a[2] != 200]
    checks.check(
        bool(during) and all(a[3] for a in failures),
        f"every failed page during the outage was the plain Korean 503 page "
        f"({len(failures)} of {len(during)}; no stack trace, no connection error)",
    )
    checks.check(
        bool(after) and all(a[2] == 200 for a in after),
        f"every page after recovery answered 200 ({len(after)} requests)",
    )
    checks.check(
        all(a[2] == 200 or a[3] for a in everything),
        f"from start to end, every page was 200 or the plain 503 page: {_statuses(everything)}",
    )
    answer = import_answer[0] if import_answer else "no answer"
    described = answer if isinstance(answer, str) else f"HTTP {answer.status}"
    checks.did(f"the import request interrupted by the outage answered {described}")
    checks.check(
        isinstance(answer, Answer) and answer.is_plain_unavailable(),
        "the interrupted import got the plain Korean 503 page",
    )
    counts = lab.counts("R")
    checks.check(
        counts["by_prefix"]["R"] == 0 and [upload_id, False] in counts["uploads"],
        f"no half-written import: {counts['by_prefix']['R']} of {IMPORT_ROWS:,} staff stored, "
        "the upload still unapplied",
    )
    checks.did("applying the same upload again, with PostgreSQL back")
    again = apply_roster(lab.admin, upload_id)
    counts = lab.counts("R")
    checks.check(
        again.status == 302 and counts["by_prefix"]["R"] == IMPORT_ROWS,
        f"the import applied once PostgreSQL was back: {counts['by_prefix']['R']:,} staff",
    )

    statuses = Counter(s for seen in outcomes.values() for s in seen)
    checks.did(f"enrol attempts: {dict(statuses)}")
    missing_retries = [login for login, seen in outcomes.items() if 302 not in seen]
    for login in missing_retries:  # those the loop had no time for enrol now
        outcomes[login].append(enrol(lab.people[login], session_id).status)
    seats = lab.seats("outage")
    holders = set(seats["holders"])
    answered_ok = {login for login, seen in outcomes.items() if 302 in seen}
    checks.check(
        set(statuses) <= {302, 503},
        "every enrol attempt answered 302 (done) or 503 (the Korean outage page), never 500",
    )
    checks.check(
        statuses.get(503, 0) > 0,
        f"enrolments were refused with 503 during the outage ({statuses.get(503, 0)} times)",
    )
    checks.check(
        answered_ok <= holders,
        f"no lost enrolment: all {len(answered_ok)} people told 'done' hold a place",
    )
    checks.check(
        seats["enrolled"] == len(enrollers) == seats["seats_taken"] and seats["duplicates"] == 0,
        f"no seat counted twice: enrolled {seats['enrolled']}, seats_taken "
        f"{seats['seats_taken']}, people {len(enrollers)}, duplicates {seats['duplicates']}",
    )
    traces = _tracebacks(portal.log_text())
    checks.check(not traces, f"no traceback in the server's log {traces[:3]}")
    return checks


def _tracebacks(log: str) -> list[str]:
    """A short line for each traceback in the server's log: the message and the error."""
    found = []
    for line in log.splitlines():
        if "Traceback" not in line:
            continue
        try:
            record = json.loads(line)
            last = record.get("exc", "").strip().splitlines()[-1]
            found.append(f"{record.get('msg')}: {last}")
        except (ValueError, IndexError, AttributeError):
            found.append(line[:200])
    return found


def redis_outage(lab: Lab) -> Checks:
    """Redis stopped under load, then started again."""
    checks = Checks("Redis outage")
    portal = lab.portal
    lab.staff[1].request("GET", "/auth/login")
    Person(portal.port, lab.staff[1].login, "10.99.0.9").log_in(portal_steps.PASSWORD)
    checks.did("one more login, so the login limits have counters in Redis")
    keys_before = _redis_keys(lab)
    checks.check(
        keys_before > 0, f"the rate limiter keeps its counters in Redis ({keys_before} keys)"
    )
    with PageLoad(lab.staff, threads=8) as load:
        time.sleep(3)
        lab.redis.stop()
        down_at = time.monotonic()
        checks.did("redis-server stopped (SIGTERM) under a page load of 8 threads")
        # Wrong passwords for one account from one address: the login limit must still hold.
        victim = Person(portal.port, lab.data["staff"][-1], "10.99.0.1")
        victim.request("GET", "/auth/login")
        answers = []
        for _attempt in range(40):
            answer = victim.request(
                "POST",
                "/auth/login",
                form={
                    "csrf_token": victim.token or "",
                    "login": victim.login,
                    "password": "wrong-password",
                },
            )
            answers.append(answer.status)
            if answer.status == 429:
                break
        time.sleep(10)
        during = load.between(down_at + 1, time.monotonic())
        lab.redis.start()
        up_at = time.monotonic()
        checks.did("redis-server started again on the same port")
        time.sleep(5)
        after = load.between(up_at + 1, time.monotonic())
    checks.did(f"wrong-password logins while Redis was down: {dict(Counter(answers))}")
    checks.check(
        429 in answers and 500 not in answers,
        f"login stayed protected: refused with 429 after {len(answers)} tries",
    )
    checks.check(
        bool(during) and all(a[2] == 200 for a in during),
        f"pages kept working while Redis was down: {_statuses(during)}",
    )
    checks.check(
        bool(after) and all(a[2] == 200 for a in after),
        f"pages after Redis came back: {_statuses(after)}",
    )
    checks.check(
        "falling back to in-memory storage" in portal.log_text(),
        "the fallback was logged as a warning in the portal's log",
    )
    # flask-limiter tries Redis again on a rate-limited request, waiting 1, 2, 4 … 32 s
    # between tries; a login attempt every 2 s gives it the chance.
    came_back_at = []

    def counting_in_redis() -> bool:
        knocking = Person(portal.port, "FAULTS-NOBODY", f"10.99.1.{len(came_back_at) + 1}")
        came_back_at.append(time.monotonic())
        knocking.request("GET", "/auth/login")
        knocking.post_form("/auth/login", login=knocking.login, password="wrong-password")
        return _redis_keys(lab) > 0

    came_back = wait_until(counting_in_redis, 90, 2)
    checks.check(
        came_back,
        f"the limiter counts in Redis again {time.monotonic() - up_at:.0f} s after Redis "
        "returned (it retries Redis after 1, 2, 4 … 32 s)",
    )
    return checks


def _redis_keys(lab: Lab) -> int:
    import redis

    client = redis.Redis.from_url(lab.redis.url(), socket_connect_timeout=2)
    try:
        return int(client.dbsize())
    finally:
        client.close()


def smtp_outage(lab: Lab) -> Checks:
    """The outbox worker runs while SMTP is down; the mail goes out when SMTP is back."""
    checks = Checks("SMTP outage")
    portal = lab.portal
    pending = lab.counts()["outbox_pending"]
    checks.did(f"{pending} e-mails wait in the outbox (the enrolments' confirmations)")
    checks.check(pending > 0, "there is mail to send")
    once = portal.flask("outbox", "send", check=False)
    checks.did(
        f"`flask outbox send` with SMTP down exited {once.returncode}: "
        f"{once.stdout.strip().splitlines()[-1] if once.stdout.strip() else ''}"
    )
    after_fail = lab.counts()
    checks.check(once.returncode == 1, "it exited 1, as a cron job or systemd would notice")
    checks.check(
        after_fail["outbox_pending"] == pending and not lab.smtp.received,
        f"the mail stayed in the outbox: {after_fail['outbox_pending']} pending, none lost",
    )
    checks.did(
        "starting `flask outbox send --loop --interval 5` (the systemd worker), "
        "then the SMTP server"
    )
    worker = subprocess.Popen(
        [str(BIN / "flask"), "outbox", "send", "--loop", "--interval", "5"],
        cwd=ROOT,
        env=portal.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(3)
        lab.smtp.start()
        started = time.monotonic()
        sent = wait_until(lambda: lab.counts()["outbox_pending"] == 0, 150, 3)
        checks.did(
            f"SMTP up; the outbox emptied {time.monotonic() - started:.0f} s later "
            "(the first retry waits 48-60 s, the backoff)"
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    final = lab.counts()
    checks.check(sent, f"every pending e-mail was sent: {final['outbox']}")
    checks.check(
        len(lab.smtp.received) == pending,
        f"the SMTP server received {len(lab.smtp.received)} messages == {pending} pending",
    )
    checks.check(
        worker.returncode == 0, f"the worker stopped cleanly on SIGTERM ({worker.returncode})"
    )
    del output
    return checks


def _chat(person: Person, draft_id: int, text: str) -> tuple[Answer, list[tuple[str, str]]]:
    """Send a question in the sandbox and read its answer's stream to the end."""
    posted = person.request("POST", f"/practice/w/{draft_id}/messages", payload={"text": text})
    if posted.status != 200:
        return posted, []
    stream_url = json.loads(posted.body)["stream_url"]
    _status, events = person.stream(stream_url)
    return posted, events


def _workspace(lab: Lab, index: int) -> tuple[Person, int]:
    login = sorted(lab.data["workspaces"])[index]
    person = lab.people[login]
    person.request("GET", f"/practice/w/{lab.data['workspaces'][login]}")  # fresh token
    return person, lab.data["workspaces"][login]


def model_faults(lab: Lab) -> Checks:
    """The model server down, slow, and sending garbage mid-stream; then a resend."""
    checks = Checks("model server faults")
    model = lab.model
    cases = [
        ("down", None),
        ("slow (answers after the 8 s timeout)", Reply.text(REPLY, hang=12)),
        ("garbage mid-stream", Reply.text(REPLY, pieces=12, malformed_after=3)),
        ("cut mid-stream", Reply.text(REPLY, pieces=12, cut_after=4)),
    ]
    for index, (what, reply) in enumerate(cases):
        person, draft_id = _workspace(lab, index)
        question = f"장애 시험 질문 {index}: 공유 자전거 보고서 개요를 잡아 주세요."
        if reply is None:
            model.stop()
        else:
            model.script(reply)
        checks.did(f"model {what}: sending a question as {person.login}")
        started = time.monotonic()
        posted, events = _chat(person, draft_id, question)
        took = time.monotonic() - started
        if reply is None:
            model.start()  # the same port again
        names = [name for name, _data in events]
        error = next((json.loads(data) for name, data in events if name == "error"), None)
        checks.did(
            f"model {what}: HTTP {posted.status}, events {names[:3]}…{names[-1:]} "
            f"in {took:.1f} s; message: {error and error['message']}"
        )
        checks.check(
            error is not None and bool(re.search(r"[가-힣]", error["message"])),
            f"model {what}: the stream ended with a clear Korean message ({error and error['code']})",
        )
        page = person.request("GET", f"/practice/w/{draft_id}")
        checks.check(question in page.text, f"model {what}: the question is still on the page")
        posted, events = _chat(person, draft_id, question)
        names = [name for name, _data in events]
        checks.check(
            names[-1:] == ["done"],
            f"model {what}: sending it again after recovery "
            f"got a whole answer ({len(names)} events, last {names[-1:]})",
        )
    stored = [m for m in lab.counts()["messages"] if m[1] == "user"]
    checks.check(
        all(any(f"장애 시험 질문 {i}" in m[4] for m in stored) for i in range(len(cases))),
        "every question typed is stored in the database",
    )
    return checks


def stream_disconnect(lab: Lab) -> Checks:
    """A browser that leaves mid-answer: the portal closes its call to the model."""
    checks = Checks("stream disconnect")
    model = lab.model
    model.stop()  # closes the idle keep-alive connections the workers hold
    model.start()
    person, draft_id = _workspace(lab, 4)
    slow = Reply.text(REPLY * 4, pieces=200, chunk_delay=0.2)  # 40 s of answer
    model.script(slow)
    checks.check(model.open_connections == 0, "the fake model server has no open connection")
    posted = person.request(
        "POST",
        f"/practice/w/{draft_id}/messages",
        payload={"text": "연결 끊김 시험: 긴 답변을 주세요."},
    )
    stream_url = json.loads(posted.body)["stream_url"]
    status, events = person.stream(stream_url, read_events=4)
    during = model.open_connections
    left_at = time.monotonic()
    checks.did(
        f"read {len(events)} events (HTTP {status}) of a 40 s answer, then closed the "
        f"socket; the model server had {during} open connection(s)"
    )
    checks.check(during == 1, "while streaming, the portal held one connection to the model")
    closed = wait_until(lambda: model.open_connections == 0, 10, 0.1)
    took = time.monotonic() - left_at
    checks.check(
        closed and took <= 5,
        f"the upstream connection was closed {took:.1f} s after the browser left (at most 5 s)",
    )
    checks.check(model.disconnects >= 1, "the model server saw its client leave mid-answer")
    stored = lab.counts()["messages"]
    last = stored[-1]
    checks.check(
        last[1] == "assistant" and last[2] == "interrupted" and last[4],
        f"the part received is stored, marked {last[2]} ({len(last[4])} characters)",
    )
    return checks


def worker_killed(lab: Lab) -> Checks:
    """SIGKILL a gunicorn worker during an enrolment burst, then during an import."""
    checks = Checks("worker killed")
    portal = lab.portal
    session_id = lab.session_id("killed")
    capacity = SESSIONS["killed"]
    people = lab.staff[:150]
    workers_before = portal.worker_pids()
    killed: list[int] = []

    def kill_the_busiest() -> None:
        killed.append(lab.busiest_worker(0.15))
        os.kill(killed[0], signal.SIGKILL)

    results = enrol_together(people, session_id, at_release=kill_the_busiest)
    victim = killed[0]
    checks.did(
        f"{len(people)} enrolments released together (capacity {capacity}); "
        f"SIGKILL to worker {victim} 0.15 s in"
    )
    checks.did(f"answers: {dict(Counter(results))}")
    seats = lab.seats("killed")
    checks.check(
        seats["seats_taken"] == seats["enrolled"] <= capacity and seats["duplicates"] == 0,
        f"capacity invariant holds: enrolled {seats['enrolled']}, seats_taken "
        f"{seats['seats_taken']}, capacity {capacity}, duplicates {seats['duplicates']}",
    )
    told_done = {people[i].login for i, r in enumerate(results) if r == 302}
    checks.check(
        told_done <= set(seats["holders"]), f"all {len(told_done)} answered 302 hold a place"
    )
    respawned = wait_until(
        lambda: (
            len(portal.worker_pids()) == len(workers_before) and victim not in portal.worker_pids()
        ),
        30,
    )
    checks.check(
        respawned, f"gunicorn replaced the killed worker ({len(portal.worker_pids())} workers)"
    )
    for index, result in enumerate(results):
        if result != 302:
            results[index] = enrol(people[index], session_id).status
    seats = lab.seats("killed")
    checks.check(
        seats["enrolled"] == capacity == seats["seats_taken"]
        and seats["waitlisted"] == len(people) - capacity
        and seats["duplicates"] == 0,
        f"after those without an answer tried again: enrolled {seats['enrolled']}, waitlisted "
        f"{seats['waitlisted']}, seats_taken {seats['seats_taken']}",
    )

    content = _roster_csv("K", IMPORT_ROWS, lab.data["department"])
    upload_id = upload_roster(lab.admin, content, "killed.csv")
    answer: list[object] = []

    def apply_import() -> None:
        try:
            answer.append(apply_roster(lab.admin, upload_id).status)
        except OSError as err:
            answer.append(type(err).__name__)

    with background(apply_import):
        time.sleep(0.7)
        victim = lab.busiest_worker(0.3)
        os.kill(victim, signal.SIGKILL)
    checks.did(
        f"applying a {IMPORT_ROWS:,}-row import; SIGKILL to worker {victim} 1 s in; "
        f"the admin's request got {answer[0] if answer else 'nothing'}"
    )
    counts = lab.counts("K")
    checks.check(
        counts["by_prefix"]["K"] == 0 and [upload_id, False] in counts["uploads"],
        f"no half-written import: {counts['by_prefix']['K']} staff stored, upload unapplied",
    )
    wait_until(lambda: len(portal.worker_pids()) == len(workers_before), 30)
    again = apply_roster(lab.admin, upload_id)
    counts = lab.counts("K")
    checks.check(
        again.status == 302 and counts["by_prefix"]["K"] == IMPORT_ROWS,
        f"applied again afterwards: {counts['by_prefix']['K']:,} staff, once",
    )
    return checks


SCENARIOS: dict[str, Callable[[Lab], Checks]] = {
    "burst": enrolment_burst,
    "postgres": postgres_outage,
    "redis": redis_outage,
    "smtp": smtp_outage,
    "model": model_faults,
    "disconnect": stream_disconnect,
    "kill": worker_killed,
}
