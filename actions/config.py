"""Settings of the action server, read from the environment when first needed."""

from __future__ import annotations

import os
from functools import lru_cache

from common.clock import Clock


def public_url() -> str:
    """Where customers open knowledge-base articles (the hub's address)."""
    return os.environ.get("CAROLINA_PUBLIC_URL", "http://localhost:8000").rstrip("/")


def hub_url() -> str:
    """The hub's API, which owns tickets (the action server keeps no state)."""
    return os.environ.get("CAROLINA_HUB_URL", "http://127.0.0.1:8000").rstrip("/")


def hub_timeout() -> float:
    return float(os.environ.get("CAROLINA_HUB_TIMEOUT", "10"))


def intake_keep_hours() -> float:
    """How long a stopped intake's answers wait for "let's continue"."""
    return float(os.environ.get("CAROLINA_INTAKE_KEEP_HOURS", "24"))


def rasa_url() -> str:
    """Rasa, whose hub channel reads each part of a message that asks two things (channels/hub.py)."""
    return os.environ.get("CAROLINA_RASA_URL", "http://127.0.0.1:5005").rstrip("/")


def rasa_token() -> str:
    """RASA_TOKEN: the hub channel's token, when Rasa requires one (production)."""
    return os.environ.get("RASA_TOKEN", "")


@lru_cache(maxsize=1)
def clock() -> Clock:
    """The action server's clock, made once from CAROLINA_CLOCK (common/clock.py)."""
    return Clock.from_env()
