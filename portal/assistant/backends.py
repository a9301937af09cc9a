"""Model backends of the practice sandbox: OpenAI, Azure OpenAI, any OpenAI-compatible server,
and the built-in offline coach.

This is the only module that imports ``openai``. Everything above it sees :class:`ModelSpec`,
:class:`Backend`, :class:`ChatStream` (``TextDelta`` pieces, then one final :class:`Usage`)
and :class:`BackendError` (a ``code`` plus a Korean ``user_message``).

Calls never retry (``max_retries=0``): the portal reports each failure itself. ``timeout`` is
applied per call to connecting and to every wait for data, so a server that stalls mid-answer
fails with ``timeout`` after at most ``timeout`` seconds of silence.

Error codes:

- ``connection``: the server could not be reached (refused, DNS, TLS); ``refused`` tells
  whether it was a refused connection.
- ``timeout``: connecting or waiting for data took longer than ``timeout`` (also mid-stream).
- ``auth``: 401 or 403.
- ``rate_limit``: 429; ``retry_after`` in seconds from ``Retry-After`` / ``retry-after-ms``.
- ``server``: 5xx.
- ``rejected``: any other 4xx (bad request, unknown model or deployment, input too long).
- ``stream_cut``: the answer stopped before its end (connection closed before ``[DONE]``, an
  error event mid-stream, or a stream that ended without a finish reason or usage).
- ``bad_response``: the server sent something that is not the API's format (malformed SSE
  JSON, an unparsable body). Raised mid-stream too; the text received so far stays valid.

A stream raises :class:`BackendError` only after the last good :class:`TextDelta`, so callers
that accumulate deltas keep the partial answer; ``BackendError.usage`` then carries an
estimate for what was sent and received.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
import math
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from types import TracebackType
from typing import Any, Protocol

import openai
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

BACKENDS = ("openai", "azure", "offline")

# ---------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class ModelSpec:
    """One configured model endpoint (from ``ASSISTANT_MODELS``), or the offline coach."""

    key: str  # stable id used in the DB, e.g. "offline", "sejong-llm"
    backend: str  # "openai" | "azure" | "offline"
    label: str  # shown to users
    model: str = ""  # model name; the deployment name for Azure
    base_url: str | None = None
    api_key: str | None = None  # openai backend: "not-needed" is sent when None
    azure_endpoint: str | None = None
    api_version: str | None = None
    internal: bool = False  # the configuration's hint; admins decide in the DB

    def __repr__(self) -> str:  # never print the API key
        return f"ModelSpec(key={self.key!r}, backend={self.backend!r}, model={self.model!r})"


OFFLINE = ModelSpec(
    key="offline",
    backend="offline",
    label=_l("연습 코치(오프라인, AI 모델 아님)"),  # type: ignore[arg-type]
    internal=True,
)

_FIELDS = tuple(f.name for f in fields(ModelSpec))
_STR_FIELDS = frozenset(_FIELDS) - {"internal"}
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_REQUIRED = {
    "openai": ("model",),
    "azure": ("model", "azure_endpoint", "api_version", "api_key"),
}


def parse_model_specs(raw: list[dict[str, Any]]) -> dict[str, ModelSpec]:
    """Validate ``ASSISTANT_MODELS`` and return the specs by key, the offline coach first.

    Raises ``ValueError`` naming the entry and the problem (unknown field or backend, missing
    or mistyped field, bad key, duplicate key).
    """
    if not isinstance(raw, list):
        raise ValueError("ASSISTANT_MODELS must be a list of objects")
    specs: dict[str, ModelSpec] = {OFFLINE.key: OFFLINE}
    for index, entry in enumerate(raw):
        where = f"ASSISTANT_MODELS[{index}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: each model must be an object, not {type(entry).__name__}")
        unknown = sorted(set(entry) - set(_FIELDS))
        if unknown:
            raise ValueError(
                f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; "
                f"allowed: {', '.join(_FIELDS)}"
            )
        for name in ("key", "backend", "label"):
            if not entry.get(name):
                raise ValueError(f"{where}: missing required field {name!r}")
        for name, value in entry.items():
            if name in _STR_FIELDS and value is not None and not isinstance(value, str):
                raise ValueError(f"{where}: field {name!r} must be a string")
        if "internal" in entry and not isinstance(entry["internal"], bool):
            raise ValueError(f"{where}: field 'internal' must be true or false")
        key, backend = entry["key"], entry["backend"]
        where = f"{where} ({key!r})"
        if backend not in _REQUIRED:
            hint = " (the offline coach is built in)" if backend == "offline" else ""
            raise ValueError(f"{where}: unknown backend {backend!r}; use 'openai' or 'azure'{hint}")
        if not _KEY_RE.match(key):
            raise ValueError(
                f"{where}: key must be 1-64 characters of a-z, 0-9, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        if key in specs:
            reason = "is reserved for the offline coach" if key == OFFLINE.key else "is repeated"
            raise ValueError(f"{where}: key {key!r} {reason}")
        for name in _REQUIRED[backend]:
            if not entry.get(name):
                raise ValueError(f"{where}: backend {backend!r} needs field {name!r}")
        for name in ("base_url", "azure_endpoint"):
            url = entry.get(name)
            if url and not url.startswith(("http://", "https://")):
                raise ValueError(f"{where}: {name} must start with http:// or https://")
        if backend == "azure" and entry.get("base_url"):
            raise ValueError(f"{where}: azure uses azure_endpoint, not base_url")
        specs[key] = ModelSpec(**entry)
    return specs


# ---------------------------------------------------------------------------------------------
# Stream items and errors


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer's text."""

    text: str


@dataclass(frozen=True)
class Usage:
    """Tokens of one call; ``estimated`` when the server reported none (see estimate_tokens)."""

    prompt_tokens: int
    completion_tokens: int
    estimated: bool

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class BackendError(Exception):
    """A model call failed; ``code`` says how, ``user_message`` says it in Korean."""

    CODES = (
        "connection",
        "timeout",
        "auth",
        "rate_limit",
        "server",
        "rejected",
        "stream_cut",
        "bad_response",
    )

    def __init__(
        self,
        code: str,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        timeout: float | None = None,
        refused: bool = False,
        usage: Usage | None = None,
        detail: str = "",
    ) -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown backend error code {code!r}")
        super().__init__(
            f"{code}" + (f" ({status})" if status else "") + (f": {detail}" if detail else "")
        )
        self.code = code
        self.status = status
        self.retry_after = retry_after
        self.timeout = timeout
        self.refused = refused
        self.usage = usage  # set for mid-stream failures: an estimate of what was used
        self.detail = detail  # technical, for logs (never shown to users)

    @property
    def partial(self) -> bool:
        """True when the error came mid-stream (the caller may hold partial text)."""
        return self.usage is not None

    @property
    def user_message(self) -> str:
        """A clear Korean message (translated through gettext)."""
        code = self.code
        if code == "connection":
            if self.refused:
                return _(
                    "모델 서버에 연결할 수 없습니다(연결 거부). 잠시 후 다시 시도하고, "
                    "계속되면 관리자에게 알려 주세요."
                )
            return _(
                "모델 서버에 연결할 수 없습니다. 관리자에게 네트워크와 서버 주소 설정을 "
                "확인해 달라고 요청하세요."
            )
        if code == "timeout":
            return _(
                "응답 시간이 초과되었습니다(%(seconds)s초). 잠시 후 다시 시도하세요.",
                seconds=_format_seconds(self.timeout),
            )
        if code == "auth":
            return _(
                "모델 서버 인증에 실패했습니다(%(status)s). 관리자에게 API 키 설정을 확인해 "
                "달라고 요청하세요.",
                status=self.status or 401,
            )
        if code == "rate_limit":
            if self.retry_after is not None:
                return _(
                    "요청이 너무 많습니다(429). %(seconds)s초 후 다시 시도하세요.",
                    seconds=self.retry_after,
                )
            return _("요청이 너무 많습니다(429). 잠시 후 다시 시도하세요.")
        if code == "server":
            return _(
                "모델 서버 오류입니다(%(status)s). 잠시 후 다시 시도하고, 계속되면 관리자에게 "
                "알려 주세요.",
                status=self.status or 500,
            )
        if code == "rejected":
            return _(
                "모델 서버가 요청을 거절했습니다(%(status)s). 입력을 줄여 보고, 계속되면 "
                "관리자에게 모델 설정을 확인해 달라고 요청하세요.",
                status=self.status or 400,
            )
        if code == "stream_cut":
            return _("답변이 도중에 끊겼습니다. 받은 부분까지 저장했습니다.")
        return _("모델 서버의 응답 형식이 올바르지 않습니다. 계속되면 관리자에게 알려 주세요.")


def _format_seconds(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# ---------------------------------------------------------------------------------------------
# Token estimates

_TOKEN_RE = re.compile(
    r"(?P<hangul>[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3])"
    r"|(?P<cjk>[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])"
    r"|(?P<word>[A-Za-z0-9]+)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)",
    re.DOTALL,
)

MESSAGE_OVERHEAD_TOKENS = 4  # role and separators of each chat message
REPLY_PRIMING_TOKENS = 3  # the assistant turn the server opens for the answer


def estimate_tokens(text: str) -> int:
    """Roughly count the tokens of ``text`` for current GPT-style tokenizers.

    Heuristic (errs slightly high, which is the safe side for quotas):

    - each Hangul syllable or jamo: 1 token (o200k-style tokenizers average a little under
      one token per syllable; older ones more);
    - each Han / kana character: 1 token;
    - each run of ASCII letters and digits: 1 token per 4 characters, rounded up;
    - whitespace: free; any other character (punctuation, symbols such as □ ○): 1 token.
    """
    count = 0
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup
        if kind == "space":
            continue
        if kind == "word":
            count += math.ceil(len(match.group()) / 4)
        else:
            count += 1
    return count


def estimate_prompt_tokens(messages: list[dict[str, str]]) -> int:
    """Estimate the prompt tokens of a chat request (content plus per-message overhead)."""
    total = REPLY_PRIMING_TOKENS
    for message in messages:
        total += MESSAGE_OVERHEAD_TOKENS + estimate_tokens(str(message.get("content") or ""))
    return total


def estimate_usage(messages: list[dict[str, str]], completion: str) -> Usage:
    return Usage(
        prompt_tokens=estimate_prompt_tokens(messages),
        completion_tokens=estimate_tokens(completion),
        estimated=True,
    )


# ---------------------------------------------------------------------------------------------
# Streams


class ChatStream:
    """An answer being streamed: iterate for ``TextDelta`` items, then exactly one ``Usage``.

    Iteration raises :class:`BackendError` after the last good delta when the call fails.
    ``close()`` (or leaving the ``with`` block) stops the stream and closes the upstream
    HTTP connection; it may be called from another thread, and iteration then ends quietly.
    """

    def __init__(
        self, events: Iterator[TextDelta | Usage], *, on_close: Callable[[], None] | None = None
    ) -> None:
        self._events = events
        self._on_close = on_close
        self._lock = threading.Lock()
        self._closed = False
        self._parts: list[str] = []

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def received_text(self) -> str:
        """The text received so far."""
        return "".join(self._parts)

    def __iter__(self) -> Iterator[TextDelta | Usage]:
        while not self._closed:
            try:
                item = next(self._events)
            except StopIteration:
                return
            except BackendError:
                if self._closed:
                    return
                raise
            if isinstance(item, TextDelta):
                self._parts.append(item.text)
            yield item

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._on_close is not None:
            self._on_close()
        close_events = getattr(self._events, "close", None)
        if close_events is not None:
            # ValueError: another thread is inside next(); the shut socket ends that read.
            with contextlib.suppress(ValueError):
                close_events()

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Backend(Protocol):
    spec: ModelSpec

    def stream_chat(self, messages: list[dict[str, str]], *, timeout: float) -> ChatStream: ...

    def complete(
        self, messages: list[dict[str, str]], *, timeout: float, json_mode: bool = False
    ) -> tuple[str, Usage]: ...


# ---------------------------------------------------------------------------------------------
# Offline coach


_PIECE_RE = re.compile(r"[^\n.!?。]*(?:[.!?。]+[ \t]*|\n|$)")


def split_for_streaming(text: str) -> list[str]:
    """Split text into sentence- or line-sized pieces that join back to it exactly."""
    return [piece for piece in _PIECE_RE.findall(text) if piece]


class OfflineBackend:
    """The built-in practice coach: no model is called, so usage is zero and exact."""

    def __init__(self, spec: ModelSpec, responder: Callable[[list[dict[str, str]]], str]) -> None:
        self.spec = spec
        self._responder = responder

    def stream_chat(self, messages: list[dict[str, str]], *, timeout: float) -> ChatStream:
        text = self._responder(messages)

        def events() -> Iterator[TextDelta | Usage]:
            for piece in split_for_streaming(text):
                yield TextDelta(piece)
            yield Usage(0, 0, estimated=False)

        return ChatStream(events())

    def complete(
        self, messages: list[dict[str, str]], *, timeout: float, json_mode: bool = False
    ) -> tuple[str, Usage]:
        return self._responder(messages), Usage(0, 0, estimated=False)


# ---------------------------------------------------------------------------------------------
# OpenAI / Azure OpenAI

_clients: dict[tuple[str | None, ...], openai.OpenAI] = {}
_clients_lock = threading.Lock()


def _client_key(spec: ModelSpec) -> tuple[str | None, ...]:
    return (spec.backend, spec.base_url, spec.api_key, spec.azure_endpoint, spec.api_version)


def _client_for(spec: ModelSpec) -> openai.OpenAI:
    """One SDK client (and connection pool) per endpoint and credentials, shared by threads."""
    key = _client_key(spec)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _make_client(spec)
            _clients[key] = client
        return client


def _make_client(spec: ModelSpec) -> openai.OpenAI:
    http_client = openai.DefaultHttpx2Client()
    if spec.backend == "azure":
        return openai.AzureOpenAI(
            azure_endpoint=spec.azure_endpoint or "",
            api_version=spec.api_version,
            api_key=spec.api_key,
            max_retries=0,
            http_client=http_client,
        )
    return openai.OpenAI(
        base_url=spec.base_url,
        api_key=spec.api_key or "not-needed",
        max_retries=0,
        http_client=http_client,
    )


def close_clients() -> None:
    """Close every cached SDK client and its connections (tests, shutdown)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()


def _parse_retry_after(headers: Any) -> int | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0, math.ceil(float(millis) / 1000))
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0, math.ceil(float(value)))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0, math.ceil((when - dt.datetime.now(dt.UTC)).total_seconds()))


def _was_refused(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ConnectionRefusedError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _map_error(
    exc: Exception, *, timeout: float, mid_stream: bool, usage: Usage | None = None
) -> BackendError:
    """Translate an SDK (or decoding) exception into a BackendError."""
    detail = type(exc).__name__
    if isinstance(exc, BackendError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return BackendError("timeout", timeout=timeout, usage=usage, detail=detail)
    if isinstance(exc, openai.APIConnectionError):
        if mid_stream:
            return BackendError("stream_cut", usage=usage, detail=detail)
        return BackendError("connection", refused=_was_refused(exc), detail=detail)
    if isinstance(exc, openai.APIResponseValidationError):
        return BackendError("bad_response", status=exc.status_code, usage=usage, detail=detail)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in (401, 403):
            return BackendError("auth", status=status, detail=detail)
        if status == 429:
            retry_after = _parse_retry_after(exc.response.headers)
            return BackendError("rate_limit", status=status, retry_after=retry_after, detail=detail)
        if status >= 500:
            return BackendError("server", status=status, detail=detail)
        return BackendError("rejected", status=status, detail=detail)
    if isinstance(exc, openai.APIError):
        # An error event in the middle of a stream, or an error without an HTTP status.
        code = "stream_cut" if mid_stream else "server"
        return BackendError(code, usage=usage, detail=detail)
    if isinstance(exc, ValueError):  # malformed JSON, undecodable bytes
        return BackendError("bad_response", usage=usage, detail=detail)
    raise exc


class OpenAIBackend:
    """OpenAI, Azure OpenAI (``model`` is the deployment) or any OpenAI-compatible server."""

    def __init__(self, spec: ModelSpec) -> None:
        if spec.backend not in ("openai", "azure"):
            raise ValueError(f"OpenAIBackend cannot serve backend {spec.backend!r}")
        self.spec = spec

    def stream_chat(self, messages: list[dict[str, str]], *, timeout: float) -> ChatStream:
        """Start a streamed answer; raises BackendError if the server refuses outright."""
        client = _client_for(self.spec)
        try:
            sdk_stream = client.chat.completions.create(
                model=self.spec.model,
                messages=messages,  # type: ignore[arg-type]
                stream=True,
                stream_options={"include_usage": True},
                timeout=timeout,
            )
        except Exception as exc:
            raise self._failed(exc, timeout=timeout, mid_stream=False) from exc
        state = _StreamState()
        events = self._events(sdk_stream, messages, timeout, state)
        return ChatStream(events, on_close=lambda: _abort(sdk_stream, state))

    def _events(
        self,
        sdk_stream: openai.Stream[Any],
        messages: list[dict[str, str]],
        timeout: float,
        state: _StreamState,
    ) -> Iterator[TextDelta | Usage]:
        parts: list[str] = []
        usage: Any = None
        finish_reason: str | None = None
        try:
            for chunk in sdk_stream:
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices or ():
                    if choice.index != 0:
                        continue
                    if choice.finish_reason:
                        finish_reason = choice.finish_reason
                    text = choice.delta.content if choice.delta is not None else None
                    if text:
                        parts.append(text)
                        yield TextDelta(text)
        except Exception as exc:
            if state.aborted.is_set():
                return  # our own close() ended the read: not a backend failure
            partial = estimate_usage(messages, "".join(parts))
            raise self._failed(exc, timeout=timeout, mid_stream=True, usage=partial) from exc
        finally:
            state.finished.set()
            sdk_stream.close()
        if finish_reason is None and usage is None:
            # The body ended cleanly but the answer did not: a proxy or server gave up.
            partial = estimate_usage(messages, "".join(parts))
            raise self._failed(None, timeout=timeout, mid_stream=True, usage=partial)
        if usage is not None:
            yield Usage(
                prompt_tokens=int(usage.prompt_tokens or 0),
                completion_tokens=int(usage.completion_tokens or 0),
                estimated=False,
            )
        else:
            yield estimate_usage(messages, "".join(parts))

    def complete(
        self, messages: list[dict[str, str]], *, timeout: float, json_mode: bool = False
    ) -> tuple[str, Usage]:
        """A whole answer at once (rubric scoring); ``json_mode`` asks for a JSON object."""
        client = _client_for(self.spec)
        extra: dict[str, Any] = {}
        if json_mode:
            extra["response_format"] = {"type": "json_object"}
        try:
            completion = client.chat.completions.create(
                model=self.spec.model,
                messages=messages,  # type: ignore[arg-type]
                timeout=timeout,
                **extra,
            )
            choices = completion.choices
        except Exception as exc:
            raise self._failed(exc, timeout=timeout, mid_stream=False) from exc
        if not choices or choices[0].message is None:
            raise self._failed(ValueError("no choices"), timeout=timeout, mid_stream=False)
        text = choices[0].message.content or ""
        if completion.usage is not None:
            usage = Usage(
                prompt_tokens=int(completion.usage.prompt_tokens or 0),
                completion_tokens=int(completion.usage.completion_tokens or 0),
                estimated=False,
            )
        else:
            usage = estimate_usage(messages, text)
        return text, usage

    def _failed(
        self,
        exc: Exception | None,
        *,
        timeout: float,
        mid_stream: bool,
        usage: Usage | None = None,
    ) -> BackendError:
        if exc is None:
            error = BackendError("stream_cut", usage=usage, detail="ended without finish_reason")
        else:
            error = _map_error(exc, timeout=timeout, mid_stream=mid_stream, usage=usage)
        # Only technical facts: no message text, no key.
        log.warning(
            "assistant backend error: model=%s backend=%s code=%s status=%s detail=%s",
            self.spec.key,
            self.spec.backend,
            error.code,
            error.status,
            error.detail,
        )
        return error


class _StreamState:
    def __init__(self) -> None:
        self.finished = threading.Event()  # the SDK stream was read to its end (or failed)
        self.aborted = threading.Event()  # ChatStream.close() was called


def _abort(sdk_stream: openai.Stream[Any], state: _StreamState) -> None:
    """Close an unfinished stream's connection, waking a reader blocked in another thread."""
    state.aborted.set()
    if not state.finished.is_set():
        network_stream = sdk_stream.response.extensions.get("network_stream")
        sock = network_stream.get_extra_info("socket") if network_stream is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
    sdk_stream.close()


# ---------------------------------------------------------------------------------------------


def make_backend(
    spec: ModelSpec,
    *,
    offline_responder: Callable[[list[dict[str, str]]], str] | None = None,
) -> Backend:
    """The backend for ``spec``; the offline coach needs its ``offline_responder``."""
    if spec.backend == "offline":
        if offline_responder is None:
            raise ValueError("the offline backend needs an offline_responder")
        return OfflineBackend(spec, offline_responder)
    return OpenAIBackend(spec)
