"""How logs name a conversation, a resume token or a socket: by a short hash.

A conversation id is Rasa's sender id and the analysts' handle on a chat, and a
resume token lets a browser back into one; neither belongs in a log file that
operators copy around. The same id always gives the same short name, so the
lines of one conversation (the hub's, the action server's, the access log's)
still go together; the name cannot be turned back into the id."""

from __future__ import annotations

import hashlib
from typing import Optional

LENGTH = 10


def short_id(value: Optional[object]) -> str:
    """`value`'s short name for a log line: ten hex digits of its SHA-256 ("-" for none)."""
    if value is None or value == "":
        return "-"
    return hashlib.sha256(str(value).encode("utf-8", "replace")).hexdigest()[:LENGTH]
