"""The interface every model backend offers, and its errors.

Everything above the backends sees :class:`Backend`, :class:`ChatStream` (``TextDelta``
pieces, then one final :class:`Usage`) and :class:`BackendError` (a ``code`` plus a Korean
``user_message``). This module never imports ``openai``: the OpenAI client code lives in
:mod:`.openai_compat`.

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
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from flask_babel import gettext as _

from portal.assistant.backends.specs import ModelSpec

# ---------------------------------------------------------------------------------------------
# Configuration


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
