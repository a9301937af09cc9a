"""A fake OpenAI-compatible server on loopback: real HTTP/1.1, real SSE, scriptable faults.

It speaks just enough of the Chat Completions API for the real ``openai`` client:

- ``POST /v1/chat/completions`` (OpenAI and OpenAI-compatible servers);
- ``POST /openai/deployments/<name>/chat/completions?api-version=...`` (Azure OpenAI);
- ``GET /v1/models`` (and ``/models``).

Streams are sent with ``Transfer-Encoding: chunked`` as ``data: {...}`` events ending with
``data: [DONE]``, like the real service. Each request takes the next scripted :class:`Reply`
(``fake.script(...)``) or, when the queue is empty, ``fake.default``.

In tests::

    with FakeOpenAI() as fake:
        fake.script(Reply.text("안녕하세요."), Reply.error(429, retry_after=7))
        client = OpenAI(base_url=fake.base_url, api_key="k")

Standalone (browser tests, benchmarks); the first line on stdout is the base URL::

    python -m tests.fakes.openai_server --port 0 --reply-text "..." --chunks 20 --chunk-delay 0.01
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

_DISCONNECT_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


@dataclass
class Reply:
    """One scripted answer (or failure) of the fake server."""

    chunks: list[str] = field(default_factory=lambda: ["안녕하세요. ", "테스트 답변입니다."])
    include_usage: bool = True  # honour stream_options.include_usage; False: never send usage
    first_delay: float = 0.0  # seconds between the response headers and the first chunk
    chunk_delay: float = 0.0  # seconds between chunks
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None  # error JSON for status >= 400 (a default is built)
    cut_after: int | None = None  # close the socket after N text chunks, without [DONE]
    malformed_after: int | None = None  # send ``data: {not json`` after N text chunks
    hang: float = 0.0  # sleep before answering at all (provokes client timeouts)
    finish_reason: str | None = "stop"  # None: never send a finish reason
    prompt_tokens: int | None = None  # reported usage; None: computed from the request
    completion_tokens: int | None = None  # None: the number of text chunks

    @classmethod
    def text(cls, text: str, *, pieces: int | None = None, **kwargs: Any) -> Reply:
        """A reply streaming ``text`` in ``pieces`` roughly equal chunks (default: by word)."""
        return cls(chunks=split_text(text, pieces), **kwargs)

    @classmethod
    def error(
        cls,
        status: int,
        *,
        retry_after: int | str | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """An HTTP error in the OpenAI error format, optionally with ``Retry-After``."""
        all_headers = dict(headers or {})
        if retry_after is not None:
            all_headers["Retry-After"] = str(retry_after)
        body = {
            "error": {
                "message": message or f"fake error {status}",
                "type": "rate_limit_exceeded" if status == 429 else "fake_error",
                "param": None,
                "code": str(status),
            }
        }
        return cls(chunks=[], status=status, headers=all_headers, body=body)

    @property
    def full_text(self) -> str:
        return "".join(self.chunks)


def split_text(text: str, pieces: int | None = None) -> list[str]:
    """Split ``text`` into chunks that join back to it exactly."""
    if not text:
        return []
    if pieces is None:
        words: list[str] = []
        for part in text.split(" "):
            words.append(part + " ")
        words[-1] = words[-1][:-1]
        return [w for w in words if w]
    count = max(1, min(pieces, len(text)))
    size, extra = divmod(len(text), count)
    chunks: list[str] = []
    start = 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        chunks.append(text[start:end])
        start = end
    return chunks


@dataclass
class RecordedRequest:
    """What the fake server received (for assertions)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any] | None
    client_port: int  # tells whether the client reused a connection


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    fake: FakeOpenAI

    def process_request(self, request: Any, client_address: Any) -> None:
        self.fake._track(request, add=True)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.fake._track(request, add=False)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients vanishing is part of the script; anything else is reported on stderr.
        exc = sys.exc_info()[1]
        if isinstance(exc, _DISCONNECT_ERRORS) or self.fake._stopping.is_set():
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    # -- plumbing -------------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.fake.verbose:
            super().log_message(format, *args)

    def _send_json(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            body = json.loads(raw)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _record(self, body: dict[str, Any] | None) -> RecordedRequest:
        parts = urlsplit(self.path)
        recorded = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            client_port=int(self.client_address[1]),
        )
        self.server.fake._add_request(recorded)
        return recorded

    def _authorised(self, request: RecordedRequest, *, azure: bool) -> bool:
        auth = request.headers.get("authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        if azure and token is None:
            token = request.headers.get("api-key")
        if not token:
            self._send_json(401, _error_body("Missing bearer token", "invalid_request_error"))
            return False
        required = self.server.fake.api_key
        if required is not None and token != required:
            self._send_json(401, _error_body("Incorrect API key provided", "invalid_api_key"))
            return False
        return True

    # -- routes ---------------------------------------------------------------------------------

    def do_GET(self) -> None:
        request = self._record(None)
        if request.path not in ("/v1/models", "/models"):
            self._send_json(404, _error_body("Not found", "not_found"))
            return
        if not self._authorised(request, azure=False):
            return
        models = [
            {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "fake"}
            for name in self.server.fake.models
        ]
        self._send_json(200, {"object": "list", "data": models})

    def do_POST(self) -> None:
        body = self._read_body()
        request = self._record(body)
        path = request.path
        azure = path.startswith("/openai/deployments/") and path.endswith("/chat/completions")
        if not (azure or path in ("/v1/chat/completions", "/chat/completions")):
            self._send_json(404, _error_body("Not found", "not_found"))
            return
        if azure and not request.query.get("api-version"):
            self._send_json(404, _error_body("Missing api-version", "invalid_request_error"))
            return
        if not self._authorised(request, azure=azure):
            return
        if body is None or not isinstance(body.get("messages"), list):
            self._send_json(400, _error_body("messages is required", "invalid_request_error"))
            return
        model = path.split("/")[3] if azure else str(body.get("model", ""))
        reply = self.server.fake._next_reply()
        fake = self.server.fake
        if reply.hang and fake._stopping.wait(reply.hang):
            return
        if reply.status >= 400:
            payload = reply.body or Reply.error(reply.status).body or {}
            self._send_json(reply.status, payload, reply.headers)
            return
        prompt_tokens = (
            reply.prompt_tokens
            if reply.prompt_tokens is not None
            else sum(len(str(m.get("content", ""))) for m in body["messages"])
        )
        completion_tokens = (
            reply.completion_tokens if reply.completion_tokens is not None else len(reply.chunks)
        )
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if body.get("stream"):
            stream_options = body.get("stream_options") or {}
            with_usage = reply.include_usage and bool(stream_options.get("include_usage"))
            self._stream(reply, model, usage if with_usage else None)
        else:
            self._complete(reply, model, usage)

    def _complete(self, reply: Reply, model: str, usage: dict[str, int]) -> None:
        if reply.first_delay and self.server.fake._stopping.wait(reply.first_delay):
            return
        payload: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.full_text},
                    "finish_reason": reply.finish_reason,
                }
            ],
        }
        if reply.include_usage:
            payload["usage"] = usage
        self._send_json(200, payload, reply.headers)

    def _stream(self, reply: Reply, model: str, usage: dict[str, int] | None) -> None:
        fake = self.server.fake
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()

        created = int(time.time())

        def event(delta: dict[str, Any], finish: str | None) -> bytes:
            chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return _sse(chunk)

        try:
            self._write_chunk(event({"role": "assistant", "content": ""}, None))
            if reply.first_delay and fake._stopping.wait(reply.first_delay):
                return
            for index, text in enumerate(reply.chunks):
                if index == reply.cut_after:
                    self._cut()
                    return
                if index == reply.malformed_after:
                    self._write_chunk(b"data: {not json\n\n")
                if index and reply.chunk_delay and fake._stopping.wait(reply.chunk_delay):
                    return
                self._write_chunk(event({"content": text}, None))
            if reply.cut_after is not None and reply.cut_after >= len(reply.chunks):
                self._cut()
                return
            if reply.malformed_after is not None and reply.malformed_after >= len(reply.chunks):
                self._write_chunk(b"data: {not json\n\n")
            if reply.finish_reason is not None:
                self._write_chunk(event({}, reply.finish_reason))
            if usage is not None:
                tail = {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": usage,
                }
                self._write_chunk(_sse(tail))
            self._write_chunk(b"data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")
        except _DISCONNECT_ERRORS:
            fake._note_disconnect()
            self.close_connection = True
        except OSError:
            # The socket was shut down by stop() or by a cut.
            self.close_connection = True

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def _cut(self) -> None:
        """Drop the connection mid-body: no terminating chunk, no [DONE]."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


def _error_body(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": code, "param": None, "code": code}}


class FakeOpenAI:
    """A threaded fake OpenAI-compatible HTTP server bound to 127.0.0.1."""

    def __init__(
        self,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        api_key: str | None = None,
        default: Reply | None = None,
        models: list[str] | None = None,
        verbose: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.api_key = api_key  # None: any bearer token is accepted (but one must be sent)
        self.default = default or Reply()
        self.models = models or ["fake-model"]
        self.verbose = verbose
        self.requests: list[RecordedRequest] = []
        self.disconnected = threading.Event()
        self._disconnects = 0
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        server = _Server((self.host, self.port), _Handler)
        server.fake = self
        self._server = server
        self.port = server.server_address[1]
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"{self.root_url}/v1"

    @property
    def root_url(self) -> str:
        """The bare origin, used as the Azure endpoint."""
        return f"http://{self.host}:{self.port}"

    # -- scripting ------------------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next requests, in order."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def disconnects(self) -> int:
        """How many streams the client abandoned while the server was still writing."""
        with self._lock:
            return self._disconnects

    @property
    def open_connections(self) -> int:
        """Client connections open right now (a stream the portal still holds counts)."""
        with self._lock:
            return len(self._connections)

    def wait_for_disconnect(self, timeout: float = 2.0) -> bool:
        return self.disconnected.wait(timeout)

    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # -- used by the handler --------------------------------------------------------------------

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def _add_request(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _note_disconnect(self) -> None:
        with self._lock:
            self._disconnects += 1
        self.disconnected.set()

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible server (loopback).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--reply-text",
        default="□ 추진배경\n ○ 테스트용 가짜 모델의 답변입니다.\n  - 실제 모델은 호출되지 않았습니다.",
    )
    parser.add_argument("--chunks", type=int, default=None, help="split the reply into N chunks")
    parser.add_argument("--first-delay", type=float, default=0.0)
    parser.add_argument("--chunk-delay", type=float, default=0.0)
    parser.add_argument("--no-usage", action="store_true", help="never send a usage chunk")
    parser.add_argument("--api-key", default=None, help="require this bearer token")
    parser.add_argument("--verbose", action="store_true", help="log each request on stderr")
    args = parser.parse_args(argv)

    default = Reply.text(
        args.reply_text,
        pieces=args.chunks,
        first_delay=args.first_delay,
        chunk_delay=args.chunk_delay,
        include_usage=not args.no_usage,
    )
    fake = FakeOpenAI(
        host=args.host, port=args.port, api_key=args.api_key, default=default, verbose=args.verbose
    )
    fake.start()
    print(fake.base_url, flush=True)

    done = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    done.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
