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


def agent(agent_id: int) -> str:
    """Every console of one analyst (an administrator disables them, a password reset ends them)."""
    return f"agent:{agent_id}"


def agent_session(token_hash: str) -> str:
    """The consoles of one session (logging out ends them)."""
    return f"session:{token_hash}"


def contact(contact_id: int) -> str:
    """Every widget of one logged-in customer, in whichever conversation (news on their tickets)."""
    return f"contact:{contact_id}"
