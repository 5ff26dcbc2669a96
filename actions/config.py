"""Settings of the action server, read from the environment when first needed."""

from __future__ import annotations

import os
from functools import lru_cache

from common.actions_token import shared_actions_token
from common.clock import Clock


def public_url() -> str:
    """Where customers open knowledge-base articles (the hub's address)."""
    return os.environ.get("CAROLINA_PUBLIC_URL", "http://localhost:8000").rstrip("/")


def hub_url() -> str:
    """The hub's API, which owns tickets (the action server keeps no state)."""
    return os.environ.get("CAROLINA_HUB_URL", "http://127.0.0.1:8000").rstrip("/")


def actions_token() -> str:
    return shared_actions_token()


def hub_timeout() -> float:
    return float(os.environ.get("CAROLINA_HUB_TIMEOUT", "10"))


def intake_keep_hours() -> float:
    """How long a stopped intake's answers wait for "let's continue"."""
    return float(os.environ.get("CAROLINA_INTAKE_KEEP_HOURS", "24"))


def rasa_url() -> str:
    """Rasa's HTTP API (`--enable-api`), for reading each part of a message that asks two things."""
    return os.environ.get("CAROLINA_RASA_URL", "http://127.0.0.1:5005").rstrip("/")


@lru_cache(maxsize=1)
def clock() -> Clock:
    """The action server's clock, made once from CAROLINA_CLOCK (common/clock.py)."""
    return Clock.from_env()
