"""The built-in practice coach as a backend: no model is called, so usage is zero and exact."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from portal.assistant.backends.interface import ChatStream, TextDelta, Usage
from portal.assistant.backends.specs import ModelSpec

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
