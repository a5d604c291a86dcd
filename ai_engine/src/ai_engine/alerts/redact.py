"""Keep secrets out of every outgoing message.

``Redactor(secrets)`` replaces each configured secret (API keys, the bot token, the engine token,
database passwords: anything shorter than 6 characters is ignored, it would blank ordinary words)
with ``[redacted]``, and also anything shaped like a Telegram bot token, a bearer token or a
password in a URL, so a key that reaches a message through an error text never leaves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[redacted]"
_PATTERNS = (
    re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}\b"),  # Telegram bot token
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(://[^:/@\s]+:)[^@\s]+(@)"),  # user:password@ in a URL
)


class Redactor:
    def __init__(self, secrets: Iterable[str | None]) -> None:
        found = {s for s in secrets if s and len(s) >= 6}
        self._secrets = sorted(found, key=len, reverse=True)  # longest first: no partial leaks

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _PATTERNS[0].sub(REDACTED, text)
        text = _PATTERNS[1].sub(lambda m: m.group(1) + REDACTED, text)
        return _PATTERNS[2].sub(lambda m: m.group(1) + REDACTED + m.group(2), text)
