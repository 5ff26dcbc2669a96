"""Where socket.io events go. Customers are in the default namespace, in a
room named after their conversation (bot/realtime/widget.py). Analysts connect
to the `/agent` namespace with their session (bot/realtime/agents.py); they are
in a room per queue they serve (new and taken handoffs) and one per chat they
hold (the customer's messages as they arrive)."""

from __future__ import annotations

AGENTS = "/agent"


def customer(conversation_id: str) -> str:
    return conversation_id


def queue(name: str) -> str:
    return f"queue:{name}"


def held(conversation_id: str) -> str:
    return f"conv:{conversation_id}"
