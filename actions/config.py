"""Settings of the action server, read from the environment when first needed."""

from __future__ import annotations

import os


def public_url() -> str:
    """Where customers open knowledge-base articles (the hub's address)."""
    return os.environ.get("CAROLINA_PUBLIC_URL", "http://localhost:8000").rstrip("/")
