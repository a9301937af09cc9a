"""The sandbox's refusal: a rule said no, with a message for the user."""

from __future__ import annotations


class SandboxError(Exception):
    """A rule refused the action; ``message`` is for the user, in their language."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
