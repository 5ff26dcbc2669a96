"""The token the action server shows the hub's API, known to both processes."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path
from typing import Mapping

from common.private_files import stored_secret

TOKEN_FILE = Path(__file__).resolve().parent.parent / "var" / "actions.token"


def shared_actions_token(env: Mapping[str, str] = os.environ, path: Path = TOKEN_FILE) -> str:
    """The token the action server shows the hub's API: CAROLINA_ACTIONS_TOKEN, or
    one made on first use in var/actions.token, which both processes read, so a
    single machine needs no configuration and nothing secret is in the repository."""
    return env.get("CAROLINA_ACTIONS_TOKEN") or stored_secret(path, 24)


# The metadata key under which the hub sends Rasa, with every customer message,
# the conversation's own token for the hub's actions API (conversation_token).
METADATA_KEY = "hub_token"


def conversation_token(secret: str, conversation_id: str) -> str:
    """The action server's key to one conversation in the hub's API:
    HMAC-SHA256(actions token, conversation id). The hub derives it; the action
    server only passes on what came with the message, so it holds no master key,
    and a token (kept in Rasa's tracker store with the message's metadata) opens
    that one conversation only: its record, its customer's tickets, escalating it."""
    return hmac.new(secret.encode(), conversation_id.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
