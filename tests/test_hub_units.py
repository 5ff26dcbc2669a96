"""Unit tests of the hub's plain modules: input checks, routing, identity, rate limit, settings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.adapters.ratelimit import RateLimiter
from bot.db.models import Conversation
from bot.domain.conversations import InputError, clean_text, route
from bot.domain.identity import Identity, IdentityError, sign, verify
from bot.settings import Settings


def test_clean_text():
    assert clean_text("  oi  ", 10) == "oi"
    for raw, key in [("   ", "empty"), ("x" * 11, "too_long"), (None, "bad_request"), ("\ud800", "bad_request")]:
        with pytest.raises(InputError) as problem:
            clean_text(raw, 10)
        assert problem.value.key == key


def test_routing_follows_the_conversation_mode():
    assert route(Conversation(mode="bot")) == "bot"
    assert route(Conversation(mode="queued")) == "analyst"
    assert route(Conversation(mode="agent")) == "analyst"


def test_identity_round_trip_and_refusals():
    # More refusals (audience, issuer, lifetime, e-mail): tests/security/test_identity_tokens.py.
    ours = replace(Settings(), identity_secret="s3cret")
    token = sign(Identity("c-1", name="Ana", company_code="123"), "s3cret")
    assert verify(token, ours).company_code == "123"
    with pytest.raises(IdentityError):
        verify(token, replace(ours, identity_secret="other"))
    with pytest.raises(IdentityError):
        verify(sign(Identity("c-1"), "s3cret", ttl_seconds=-5), ours)
    with pytest.raises(IdentityError):
        verify(token, replace(ours, identity_secret=None))


def test_rate_limiter_refills():
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")
    assert limiter.allow("b")
    now[0] = 1.0
    assert limiter.allow("a") and not limiter.allow("a")


def test_settings_from_environment():
    settings = Settings.from_env({"CAROLINA_PORT": "9000", "DATABASE_URL": "postgresql+asyncpg://x/y"})
    assert settings.port == 9000 and settings.database_url.startswith("postgresql")
    assert settings.allowed_origins == ("http://localhost:9000", "http://127.0.0.1:9000")
    assert Settings.from_env({"CAROLINA_ALLOWED_ORIGINS": "https://a, https://b"}).allowed_origins == (
        "https://a",
        "https://b",
    )
