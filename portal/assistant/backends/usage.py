"""Token estimates for servers that report no usage; estimates are always marked as such."""

from __future__ import annotations

import math
import re

from portal.assistant.backends.interface import Usage

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
