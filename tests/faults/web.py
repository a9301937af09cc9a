"""HTTP as the scenarios need it: one person's cookies, and no silent retries.

Every request goes as if through the reverse proxy (X-Forwarded-For with the person's
own address; the portal runs with TRUSTED_PROXY_COUNT=1), so per-address login limits
apply to each person, as they would in production. A request is sent once: after a
worker is killed, a client that quietly retried a POST would hide what happened.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from tests.faults.stack import LOOPBACK

UNAVAILABLE_TITLE = "서비스를 잠시 이용할 수 없습니다"
_TOKEN = re.compile(rb'name="csrf[-_]token"[^>]*(?:value|content)="([^"]+)"')


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def is_plain_unavailable(self) -> bool:
        """The portal's Korean 503 page (or JSON), with nothing of a traceback in it."""
        return (
            self.status == 503
            and UNAVAILABLE_TITLE in self.text
            and "Traceback" not in self.text
            and "sqlalchemy" not in self.text.lower()
            and "psycopg" not in self.text.lower()
        )


def page_token(body: bytes) -> str | None:
    match = _TOKEN.search(body)
    return match.group(1).decode() if match else None


@dataclass
class Person:
    port: int
    login: str
    address: str
    cookies: dict[str, str] = field(default_factory=dict)
    token: str | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        payload: object | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        timeout: float = 60,
        extra: dict[str, str] | None = None,
    ) -> Answer:
        headers = {
            "Host": f"{LOOPBACK}:{self.port}",
            "Accept-Language": "ko",
            "X-Forwarded-For": self.address,
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{LOOPBACK}:{self.port}/",  # checked by CSRF over HTTPS
            "Connection": "close",
        }
        if form is not None:
            body = urlencode(form).encode()
            content_type = "application/x-www-form-urlencoded"
        elif payload is not None:
            body = json.dumps(payload, ensure_ascii=False).encode()
            content_type = "application/json"
            headers["Accept"] = "application/json"
            if self.token:
                headers["X-CSRFToken"] = self.token
        if content_type:
            headers["Content-Type"] = content_type
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            answer = Answer(raw.status, {k.lower(): v for k, v in raw.getheaders()}, raw.read())
            for header in raw.headers.get_all("Set-Cookie") or []:
                jar: SimpleCookie = SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        finally:
            conn.close()
        token = page_token(answer.body) if answer.status == 200 else None
        if token:
            self.token = token
        return answer

    def log_in(self, password: str) -> None:
        page = self.request("GET", "/auth/login")
        if page.status != 200 or not self.token:
            raise RuntimeError(f"login page for {self.login} answered {page.status}")
        answer = self.request(
            "POST",
            "/auth/login",
            form={"csrf_token": self.token, "login": self.login, "password": password},
        )
        if answer.status != 302 or answer.location.rstrip("/").endswith("/auth/login"):
            raise RuntimeError(f"logging in as {self.login} failed (HTTP {answer.status})")
        home = self.request("GET", "/")
        if home.status != 200:
            raise RuntimeError(f"home page after login answered {home.status}")

    def post_form(self, path: str, **fields: str) -> Answer:
        return self.request("POST", path, form={"csrf_token": self.token or "", **fields})

    def stream(self, path: str, *, read_events: int | None = None, timeout: float = 60):
        """POST to a stream URL; returns (status, [(event, data)]) read to the end, or only
        the first read_events events before the socket is closed (a browser that left)."""
        sock = socket.create_connection((LOOPBACK, self.port), timeout=timeout)
        try:
            cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {LOOPBACK}:{self.port}\r\n"
                f"Accept: text/event-stream\r\nAccept-Language: ko\r\n"
                f"X-Forwarded-For: {self.address}\r\nX-Forwarded-Proto: https\r\n"
                f"Referer: https://{LOOPBACK}:{self.port}/\r\n"
                f"X-CSRFToken: {self.token}\r\nCookie: {cookie}\r\n"
                "Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            sock.sendall(head.encode("latin-1"))
            buffer = b""
            events: list[tuple[str, str]] = []
            status = None
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                buffer += chunk
                if status is None and b"\r\n" in buffer:
                    status = int(buffer.split(b"\r\n", 1)[0].split()[1])
                events = _events(buffer)
                if read_events is not None and len(events) >= read_events:
                    break
            return status, events
        finally:
            sock.close()


def _events(raw: bytes) -> list[tuple[str, str]]:
    """The SSE events in a (chunked) HTTP answer read so far; chunk sizes are skipped."""
    text = raw.split(b"\r\n\r\n", 1)[-1].decode("utf-8", errors="replace")
    found = []
    for block in text.split("\n\n"):
        name, data = None, []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if name:
            found.append((name, "\n".join(data)))
    return found
