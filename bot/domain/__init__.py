"""The domain: conversations, handoffs, tickets, escalation, hours, analysts,
identity, transcripts. Plain functions and classes over the database; no web,
no socket.io (tests/test_layers.py)."""
