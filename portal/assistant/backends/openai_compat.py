"""The backend for OpenAI, Azure OpenAI and any OpenAI-compatible server (vLLM, Ollama, LiteLLM).

This is the only module that imports ``openai``. The provider-independent parts live beside
it: the interface and its errors in :mod:`.interface`, configured endpoints in :mod:`.specs`,
token estimates in :mod:`.usage`, the offline coach in :mod:`.offline`;
:func:`.registry.make_backend` picks the backend for a model.

TLS: the SDK's HTTP client (httpx2) verifies a server against the system's CA store, or
against the bundle named by ``SSL_CERT_FILE`` (or the directory ``SSL_CERT_DIR``) when that
is set in the process environment; a city's internal CA goes there (docs/deployment.md,
"A model server behind an internal CA"; tests/functional/test_model_ca_tls.py holds the
installed versions to it). The variable is read when an endpoint's client is first built.
A bundle that cannot be read fails that call as ``connection``, and the preflight refuses it.

Calls never retry (``max_retries=0``): the portal reports each failure itself. ``timeout`` is
applied per call to connecting and to every wait for data, so a server that stalls mid-answer
fails with ``timeout`` after at most ``timeout`` seconds of silence.

SDK exceptions become :class:`BackendError` with one of the codes listed in
:mod:`.interface`; a stream raises only after its last good
:class:`TextDelta`, so the partial answer is kept.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
import math
import socket
import threading
from collections.abc import Iterator
from typing import Any

import openai

from portal.assistant.backends.interface import BackendError, ChatStream, TextDelta, Usage
from portal.assistant.backends.specs import ModelSpec
from portal.assistant.backends.usage import (
    estimate_usage,
)

log = logging.getLogger(__name__)

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

    def _client(self, timeout: float) -> openai.OpenAI:
        try:
            return _client_for(self.spec)
        except OSError as exc:  # SSL_CERT_FILE names a missing file, or one with no PEM (SSLError)
            setup = BackendError("connection", detail=f"tls setup: {type(exc).__name__}")
            raise self._failed(setup, timeout=timeout, mid_stream=False) from exc

    def stream_chat(self, messages: list[dict[str, str]], *, timeout: float) -> ChatStream:
        """Start a streamed answer; raises BackendError if the server refuses outright."""
        client = self._client(timeout)
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
        client = self._client(timeout)
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
