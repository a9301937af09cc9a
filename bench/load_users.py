"""The people of the load test (bench/load_test.py): staff, coordinators and the room screen.

Each person is a thread with a browser-like client: one keep-alive connection with its own
cookies (bench.harness.Client), plus a raw socket for the sandbox's Server-Sent Events
(bench.stream_bench.RawConnection). Every request comes "through the reverse proxy" of
docs/deployment.md §4: `X-Forwarded-For` with the person's own intranet address and
`X-Forwarded-Proto: https` (the server runs with PORTAL_TRUSTED_PROXY_COUNT=1), and every
POST carries the CSRF token of the page it was made from plus the `Referer` a browser sends
under the portal's `Referrer-Policy: same-origin` (Flask-WTF checks it on HTTPS).

What a person does, and in what proportions, is below (STAFF_MIX, COORDINATOR_MIX); every
request is timed and sorted into a kind (KINDS). An answer a real user would see as broken
(an unexpected status, a login page instead of the page, a refused check-in code, a stream
that did not reach its `done` event) is recorded as an error and ends that action; the
person thinks and goes on.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import json
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from bench import harness, stream_bench
from bench.harness import LOOPBACK

REQUEST_TIMEOUT_S = 60.0  # one request (or one read of a stream) before it counts as failed
CODE_WAIT_S = 15.0  # how long someone looks at the room screen for a readable code

# Kinds of request, in the order of the printed table.
PAGE = "page"  # a staff HTML page (a GET, redirects followed like a browser)
ENROL = "enrol_post"
CANCEL = "cancel_post"
CHECKIN = "checkin_post"
PRACTICE = "practice_post"  # accepting the AI-use policy, starting a workspace
CHAT = "chat_post"  # posting a question (JSON)
STREAM_TTFB = "stream_ttfb"  # stream POST sent -> first answer text (delta event)
STREAM = "stream_total"  # stream POST sent -> `done` event
DASHBOARD = "dashboard"  # coordinators' dashboards and the exports page
EXPORT = "export"  # CSV / XLSX downloads
SCREEN = "checkin_screen"  # the room screen (live code fragment), opening and closing check-in
KINDS = (PAGE, ENROL, CANCEL, CHECKIN, PRACTICE, CHAT, STREAM_TTFB, STREAM, DASHBOARD, EXPORT,
         SCREEN)  # fmt: skip
# A time to first byte is a part of a stream request, not a request of its own.
NOT_A_REQUEST = frozenset({STREAM_TTFB})

# What staff do, by weight; check-in happens once per person per run while the room's
# check-in is open (it replaces a browse when it is due).
STAFF_MIX = (("browse", 45), ("enrolment", 20), ("sandbox", 25), ("checkin", 10))
COORDINATOR_MIX = (("dashboards", 60), ("exports", 40))
DASHBOARDS = ("adoption", "departments", "sessions", "sandbox")
EXPORT_KINDS = ("completions", "hours", "compliance", "usage")
SEARCH_WORDS = ("챗GPT", "보고서", "번역", "데이터", "생성형")
ANSWERS_PER_WORKSPACE = 3  # then the person starts a new document
CHATS_PER_RUN = 8  # at most, per person: the default daily limit is 40 messages a day

_META_CSRF = re.compile(rb'<meta name="csrf-token" content="([^"]+)"')
_SCREEN_CODE = re.compile(rb'checkin-screen-code">(\d{3})<span[^>]*>[^<]*</span>(\d{3})<')
_SECONDS_LEFT = re.compile(rb'data-seconds-left="(\d+)"')
_DASHBOARD_LINK = re.compile(
    rb'href="(/manage/dashboards/(?:' + "|".join(DASHBOARDS).encode() + rb')(?:\?[^"]*)?)"'
)
_CHECKIN_ERROR = re.compile(rb'class="[^"]*checkin-error[^"]*"[^>]*><p>([^<]+)</p>')


# --------------------------------------------------------------------------- recording


@dataclass(frozen=True)
class Sample:
    kind: str
    at: float  # time.monotonic() when the request was sent
    ms: float
    error: str | None  # None: the answer a real user expects


class Recorder:
    """Every timed request of one run; list.append is atomic, so threads share it."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.answers: list[tuple[int, bool]] = []  # (answer id, the stream reached `done`)
        self.checkins = 0  # check-in POSTs answered with the redirect of a success
        self.client_bugs: list[str] = []  # exceptions in this script, not answers
        self._lock = threading.Lock()

    def checked_in(self) -> None:
        with self._lock:
            self.checkins += 1

    def add(self, kind: str, at: float, ms: float, error: str | None = None) -> None:
        self.samples.append(Sample(kind, at, ms, error))


class Failed(Exception):
    """The person met a broken answer (already recorded); the action ends here."""


class Stopped(Exception):
    """The run's time is up; the person stops before the next request."""


# --------------------------------------------------------------------------- the world


class Screen:
    """What the room screen shows: the current check-in code and when it rotates."""

    def __init__(self) -> None:
        self._state: tuple[str, float, int] | None = None  # code, read at, seconds left

    def show(self, code: str | None, seconds_left: int) -> None:
        self._state = (code, time.monotonic(), seconds_left) if code else None

    def code(self) -> str | None:
        """The code on the screen if it has more than a second to live (else look again)."""
        state = self._state
        if state is None:
            return None
        code, read_at, left = state
        return code if left - (time.monotonic() - read_at) > 1.0 else None


@dataclass
class World:
    """What one run's people share."""

    port: int
    recorder: Recorder
    deadline: float  # time.monotonic(): nobody starts a request after it
    think_s: tuple[float, float]
    year: int
    course_slugs: list[str]
    sessions: list[dict]  # the enrolment sessions: {id, slug}
    checkin_session: int
    checkin_day: str
    model_key: str
    doc_type: str
    reply_chunks: int
    screen: Screen = field(default_factory=Screen)
    checkin_open: threading.Event = field(default_factory=threading.Event)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def think(self, rng: random.Random, low: float | None = None, high: float | None = None):
        pause = rng.uniform(low or self.think_s[0], high or self.think_s[1])
        time.sleep(max(0.0, min(pause, self.left())))


# --------------------------------------------------------------------------- a browser


def _path(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Browser:
    """One person's browser behind the reverse proxy: cookies, the page it is on, CSRF."""

    def __init__(self, port: int, address: str) -> None:
        self.port = port
        self.address = address
        self.client = harness.Client(port, timeout=REQUEST_TIMEOUT_S)
        self.here = "/"
        self.recorder: Recorder | None = None
        self.world: World | None = None

    @property
    def origin(self) -> str:
        return f"https://{LOOPBACK}:{self.port}"

    def proxy_headers(self) -> dict[str, str]:
        return {"X-Forwarded-For": self.address, "X-Forwarded-Proto": "https"}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.client.cookies.items())

    def close(self) -> None:
        self.client.close()

    def request(
        self,
        kind: str | None,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200,),
        check: Callable[[harness.Response], str | None] | None = None,
    ) -> harness.Response:
        """One timed request; raises Failed (after recording it) on an unexpected answer."""
        if self.world is not None and self.world.left() <= 0:
            raise Stopped
        headers = self.proxy_headers()
        if method == "POST":
            headers["Referer"] = self.origin + self.here
        started = time.monotonic()
        response = None
        error = None
        try:
            response = self.client.request(method, path, form=form, extra_headers=headers)
        except (OSError, http.client.HTTPException) as err:  # a timeout is an OSError
            self.client.close()
            error = f"{type(err).__name__} ({method} {_route(path)})"
        ms = (time.monotonic() - started) * 1000
        if response is not None:
            location = _path(response.location)
            if response.status not in expect:
                error = f"HTTP {response.status} ({method} {_route(path)})"
            elif location.startswith("/auth/login"):
                error = f"sent to the login page ({method} {_route(path)})"
            elif check is not None:
                error = check(response)
        if kind is not None and self.recorder is not None:
            self.recorder.add(kind, started, ms, error)
        if error is not None:
            raise Failed(error)
        assert response is not None
        if method == "GET" and response.status == 200:
            self.here = path
        return response

    def page(
        self, path: str, check: Callable[[harness.Response], str | None] | None = None
    ) -> harness.Response:
        return self.request(PAGE, "GET", path, check=check or _is_html)

    def follow(self, response: harness.Response, check=None) -> harness.Response:
        """The GET a browser makes after a POST answered with a redirect."""
        return self.page(_path(response.location), check)

    def token(self, response: harness.Response) -> str:
        found = _META_CSRF.search(response.body)
        if not found:
            raise Failed("no CSRF token on the page")
        return html.unescape(found[1].decode())


def _route(path: str) -> str:
    """The path with numbers as <id>, for error messages that group well."""
    return re.sub(r"/\d+", "/<id>", path.split("?", 1)[0])


def _is_html(response: harness.Response) -> str | None:
    if "text/html" not in response.headers.get("Content-Type", ""):
        return f"not an HTML page ({response.headers.get('Content-Type')})"
    return None


def log_in(browser: Browser, login: str, password: str) -> float:
    """The login form, as a person fills it in; returns the POST's milliseconds."""
    page = browser.request(None, "GET", "/auth/login")
    token = browser.token(page)
    started = time.monotonic()
    answer = browser.request(
        None,
        "POST",
        "/auth/login",
        form={"csrf_token": token, "login": login, "password": password},
        expect=(302,),
    )
    ms = (time.monotonic() - started) * 1000
    if urlsplit(answer.location).path != "/":
        raise Failed(f"login {login} was sent to {answer.location!r}")
    browser.page("/")
    return ms


# --------------------------------------------------------------------------- staff


@dataclass
class Staff:
    login: str
    browser: Browser
    enrolment: tuple[int, int, str] | None = None  # (session id, enrolment id, course slug)
    policy_accepted: bool = False
    draft_id: int | None = None
    answers_in_draft: int = 0
    chats_this_run: int = 0
    checked_in_run: str | None = None
    stream_connection: stream_bench.RawConnection | None = None


@dataclass(frozen=True)
class ProxiedPerson(stream_bench.Person):
    """stream_bench's Person (cookie + CSRF token) with the reverse proxy's headers."""

    address: str = ""
    referer: str = ""

    def headers(self, **extra: str) -> dict[str, str]:
        proxied = {
            "X-Forwarded-For": self.address,
            "X-Forwarded-Proto": "https",
            "Referer": self.referer,
        }
        return super().headers(**proxied, **extra)


def run_staff(person: Staff, world: World, run: str, rng: random.Random, delay: float) -> None:
    """One member of staff until the deadline: an action, a pause, the next action."""
    browser = person.browser
    browser.world, browser.recorder = world, world.recorder
    person.chats_this_run = 0
    time.sleep(delay)
    actions = {
        "browse": _browse,
        "enrolment": _enrolment,
        "sandbox": _sandbox,
        "checkin": _checkin,
    }
    names = [name for name, _ in STAFF_MIX]
    weights = [weight for _, weight in STAFF_MIX]
    while world.left() > 0:
        name = rng.choices(names, weights)[0]
        due = world.checkin_open.is_set() and person.checked_in_run != run
        if name == "checkin" and not due:
            name = "browse"
        try:
            actions[name](person, world, run, rng)
        except (Failed, Stopped):
            pass
        except Exception as err:  # noqa: BLE001 - a bug in this script: reported, not hidden
            world.recorder.client_bugs.append(f"{name}: {type(err).__name__}: {err}")
        world.think(rng)
    browser.close()
    if person.stream_connection is not None:
        person.stream_connection.close()


def _browse(person: Staff, world: World, run: str, rng: random.Random) -> None:
    """Two to four of: home, catalogue (sometimes a search), a course page, My learning,
    notifications."""
    browser = person.browser
    pages = ["/", "/courses/", "course", "/my/learning", "/notifications/"]
    for choice in rng.sample(pages, rng.randint(2, 4)):
        if choice == "course":
            path = f"/courses/{rng.choice(world.course_slugs)}"
        elif choice == "/courses/" and rng.random() < 0.3:
            path = f"/courses/?q={quote(rng.choice(SEARCH_WORDS))}"
        else:
            path = choice
        browser.page(path)
        world.think(rng)


def _session_cancel_form(body: bytes, session_id: int) -> int | None:
    """The enrolment id in the cancel form of one session's row on a course page."""
    anchor = body.find(f'id="session-{session_id}-label"'.encode())
    if anchor < 0:
        return None
    found = re.search(rb'action="/enrollments/(\d+)/cancel"', body[anchor : anchor + 3000])
    return int(found[1]) if found else None


def _enrolment(person: Staff, world: World, run: str, rng: random.Random) -> None:
    """Enrol in a session from its course page, or cancel the place from My learning."""
    browser = person.browser
    if person.enrolment is None:
        session = rng.choice(world.sessions)
        course_path = f"/courses/{session['slug']}"
        page = browser.page(course_path)
        action = f"/sessions/{session['id']}/enrol"
        if action.encode() not in page.body:
            held = _session_cancel_form(page.body, session["id"])
            if held is not None:  # already holds it (a step of an earlier run failed)
                person.enrolment = (session["id"], held, session["slug"])
            return
        token = browser.token(page)
        world.think(rng)
        form = {"csrf_token": token, "next": course_path}
        answer = browser.request(ENROL, "POST", action, form=form, expect=(302, 200))
        if answer.status == 200:
            # The overlap warning: the person reads it and confirms.
            if b'name="confirm_overlap"' not in answer.body:
                raise Failed("enrol answered 200 without the overlap warning")
            world.think(rng)
            form = {
                "csrf_token": browser.token(answer),
                "next": course_path,
                "confirm_overlap": "y",
            }
            answer = browser.request(ENROL, "POST", action, form=form, expect=(302,))
        found: list[int] = []

        def shows_place(response: harness.Response) -> str | None:
            enrolment_id = _session_cancel_form(response.body, session["id"])
            if enrolment_id is None:
                return "the course page after enrolling shows no place to cancel"
            found.append(enrolment_id)
            return None

        browser.follow(answer, shows_place)
        person.enrolment = (session["id"], found[0], session["slug"])
        return
    _session_id, enrolment_id, _slug = person.enrolment
    action = f"/enrollments/{enrolment_id}/cancel"

    def shows_cancel(response: harness.Response) -> str | None:
        return None if action.encode() in response.body else "My learning shows no cancel button"

    page = browser.page("/my/learning", shows_cancel)
    world.think(rng)
    form = {"csrf_token": browser.token(page), "next": "/my/learning"}
    answer = browser.request(CANCEL, "POST", action, form=form, expect=(302,))
    person.enrolment = None
    browser.follow(answer)


def _checkin(person: Staff, world: World, run: str, rng: random.Random) -> None:
    """Type the six digits from the room screen on /checkin, once per run."""
    browser = person.browser
    page = browser.page("/checkin")
    token = browser.token(page)
    world.think(rng)  # finding the screen, typing
    waited = 0.0
    code = world.screen.code()
    while code is None and waited < CODE_WAIT_S and world.left() > 0:
        time.sleep(0.5)
        waited += 0.5
        code = world.screen.code()
    if code is None:
        return  # the screen showed nothing readable (its own requests record why)

    def accepted(response: harness.Response) -> str | None:
        if response.status == 302:
            return None
        refused = _CHECKIN_ERROR.search(response.body)
        reason = html.unescape(refused[1].decode()).strip() if refused else "no reason shown"
        return f"check-in code refused: {reason}"

    answer = browser.request(
        CHECKIN,
        "POST",
        "/checkin",
        form={"csrf_token": token, "code": code},
        expect=(302, 200),
        check=accepted,
    )
    world.recorder.checked_in()
    person.checked_in_run = run
    browser.follow(answer)


def _sandbox(person: Staff, world: World, run: str, rng: random.Random) -> None:
    """Open the sandbox, accept the policy on the first visit, start a document when the
    last one has a few answers, and ask a question, reading the streamed answer to its end."""
    browser = person.browser
    browser.page("/practice/")
    world.think(rng)
    if not person.policy_accepted:
        page = browser.page("/practice/policy")
        world.think(rng)
        form = {"csrf_token": browser.token(page), "no_personal_data": "y", "verify_outputs": "y"}
        answer = browser.request(PRACTICE, "POST", "/practice/policy", form=form, expect=(302,))
        person.policy_accepted = True
        browser.follow(answer)
        world.think(rng)
    if person.draft_id is None or person.answers_in_draft >= ANSWERS_PER_WORKSPACE:
        new_path = f"/practice/new?doctype={world.doc_type}"
        page = browser.page(new_path)
        world.think(rng)
        form = {
            "csrf_token": browser.token(page),
            "title": f"부하 시험 문서 {person.login} {rng.randint(1, 10**6)}",
            "doc_type": world.doc_type,
            "grade": "public",
            "model": world.model_key,
            "exercise": "",
        }
        answer = browser.request(PRACTICE, "POST", new_path, form=form, expect=(302,))
        found = re.match(r"/practice/w/(\d+)$", urlsplit(answer.location).path)
        if not found:
            raise Failed(f"a new workspace went to {answer.location!r}")
        person.draft_id, person.answers_in_draft = int(found[1]), 0
        workspace = browser.follow(answer)
    else:
        workspace = browser.page(f"/practice/w/{person.draft_id}")
    if person.chats_this_run >= CHATS_PER_RUN:
        return
    world.think(rng)  # typing the question
    if world.left() <= 0:
        raise Stopped
    _chat(person, world, browser.token(workspace))


def _chat(person: Staff, world: World, token: str) -> None:
    """POST the question (JSON), then POST its stream and read the events to `done`."""
    browser = person.browser
    recorder = world.recorder
    who = ProxiedPerson(
        browser.cookie_header(),
        token,
        address=browser.address,
        referer=f"{browser.origin}/practice/w/{person.draft_id}",
    )
    if person.stream_connection is None:
        person.stream_connection = stream_bench.RawConnection(world.port, REQUEST_TIMEOUT_S)
    connection = person.stream_connection
    person.chats_this_run += 1
    started = time.monotonic()
    try:
        answer_id, stream_path = stream_bench.post_question(connection, who, person.draft_id)
    except (OSError, EOFError, RuntimeError, ValueError, KeyError) as err:
        connection.close()
        recorder.add(CHAT, started, (time.monotonic() - started) * 1000, _short(err))
        raise Failed("posting the question failed") from None
    recorder.add(CHAT, started, (time.monotonic() - started) * 1000)
    person.answers_in_draft += 1
    error = None
    first_delta = None
    deltas = 0
    try:
        reply = connection.request("POST", stream_path, who.headers(Accept="text/event-stream"))
        sent = reply.sent_at
        ended = reply.events[-1][0] if reply.events else time.monotonic()
        names = [name for _at, name, _data in reply.events]
        deltas = names.count("delta")
        first_delta = next((at for at, name, _ in reply.events if name == "delta"), None)
        if reply.status != 200:
            error = f"stream HTTP {reply.status}"
        elif "done" not in names:
            last = reply.events[-1] if reply.events else (0.0, "nothing", "")
            code = ""
            if last[1] == "error":
                with contextlib.suppress(ValueError, AttributeError):
                    code = f" ({json.loads(last[2]).get('code')})"
            error = f"stream ended with {last[1]!r}{code}, not 'done'"
        elif deltas != world.reply_chunks:
            error = f"stream done after {deltas} of {world.reply_chunks} deltas"
    except (OSError, EOFError, ValueError) as err:
        connection.close()
        sent, ended, error = started, time.monotonic(), _short(err)
    recorder.add(STREAM, sent, (ended - sent) * 1000, error)
    if first_delta is not None:
        recorder.add(STREAM_TTFB, sent, (first_delta - sent) * 1000)
    recorder.answers.append((answer_id, error is None))
    if error is not None:
        raise Failed(error)


def _short(err: BaseException) -> str:
    return f"{type(err).__name__}: {' '.join(str(err).split())[:120]}"


# --------------------------------------------------------------------------- coordinators


def run_coordinator(browser: Browser, world: World, rng: random.Random, delay: float) -> None:
    """A coordinator until the deadline: dashboards, or the exports page and a download."""
    browser.world, browser.recorder = world, world.recorder
    time.sleep(delay)
    names = [name for name, _ in COORDINATOR_MIX]
    weights = [weight for _, weight in COORDINATOR_MIX]
    while world.left() > 0:
        name = rng.choices(names, weights)[0]
        try:
            if name == "dashboards":
                _dashboards(browser, world, rng)
            else:
                _exports(browser, world, rng)
        except (Failed, Stopped):
            pass
        except Exception as err:  # noqa: BLE001 - a bug in this script: reported, not hidden
            world.recorder.client_bugs.append(f"{name}: {type(err).__name__}: {err}")
        world.think(rng, world.think_s[0] * 2, world.think_s[1] * 2)
    browser.close()


def _dashboards(browser: Browser, world: World, rng: random.Random) -> None:
    index = browser.request(DASHBOARD, "GET", "/manage/dashboards/", check=_is_html)
    links = sorted({html.unescape(m.decode()) for m in _DASHBOARD_LINK.findall(index.body)})
    if not links:
        raise Failed("the dashboards page links to no dashboard")
    for path in rng.sample(links, min(len(links), rng.randint(1, 2))):
        world.think(rng)
        browser.request(DASHBOARD, "GET", path, check=_is_html)


def _attachment(response: harness.Response) -> str | None:
    if "attachment" not in response.headers.get("Content-Disposition", ""):
        return "the export is not a file download"
    if not response.body:
        return "the export file is empty"
    return None


def _exports(browser: Browser, world: World, rng: random.Random) -> None:
    browser.request(DASHBOARD, "GET", "/manage/exports", check=_is_html)
    world.think(rng)
    file_format = rng.choice(("csv", "xlsx"))
    if rng.random() < 0.2:  # a session's attendance, from the session's page
        path = (
            f"/manage/sessions/{world.checkin_session}/export/session-attendance"
            f"?format={file_format}"
        )
    else:  # the exports page's form: year, all departments, all courses, a format
        kind = rng.choice(EXPORT_KINDS)
        path = f"/manage/exports/{kind}?year={world.year}&department=&course=&format={file_format}"
    browser.request(EXPORT, "GET", path, check=_attachment)


# --------------------------------------------------------------------------- the room screen

SCREEN_REFRESH_S = 5  # checkin-screen.js: fetch every 5 s, and when the code runs out


def run_screen(browser: Browser, world: World, stop: threading.Event) -> None:
    """The room PC: open today's check-in, show the screen and refresh it like
    checkin-screen.js does until `stop`, then close check-in."""
    browser.world, browser.recorder = None, world.recorder  # runs past the deadline to close
    session, day = world.checkin_session, world.checkin_day
    manage = f"/checkin/manage/{session}"
    try:
        page = browser.request(SCREEN, "GET", manage, check=_is_html)
        browser.request(
            SCREEN,
            "POST",
            f"{manage}/{day}/open",
            form={"csrf_token": browser.token(page)},
            expect=(302,),
        )
        browser.request(SCREEN, "GET", f"{manage}/{day}/screen", check=_is_html)
    except Failed as err:
        world.recorder.client_bugs.append(f"room screen: check-in not opened: {err}")
        return
    world.checkin_open.set()
    seconds_left, since_fetch = 0, SCREEN_REFRESH_S
    while not stop.is_set():
        if seconds_left <= 0 or since_fetch >= SCREEN_REFRESH_S:
            try:
                live = browser.request(
                    SCREEN, "GET", f"{manage}/{day}/screen/live", check=_live_fragment
                )
            except Failed:
                world.screen.show(None, 0)
            else:
                code = _SCREEN_CODE.search(live.body)
                left = _SECONDS_LEFT.search(live.body)
                seconds_left = int(left[1]) if left else 0
                world.screen.show(
                    code[1].decode() + code[2].decode() if code else None, seconds_left
                )
            since_fetch = 0
        stop.wait(1.0)
        since_fetch += 1
        seconds_left -= 1
    world.checkin_open.clear()
    world.screen.show(None, 0)
    try:
        page = browser.request(SCREEN, "GET", manage, check=_is_html)
        browser.request(
            SCREEN,
            "POST",
            f"{manage}/{day}/close",
            form={"csrf_token": browser.token(page)},
            expect=(302,),
        )
    except Failed as err:
        world.recorder.client_bugs.append(f"room screen: check-in not closed: {err}")
    browser.close()


def _live_fragment(response: harness.Response) -> str | None:
    if response.headers.get("X-Checkin-Live") != "1":
        return "the room screen's live fragment is missing"
    if not _SCREEN_CODE.search(response.body):
        return "the room screen shows no code"
    return None
