"""Signed reply addresses and e-mailed links (bot/domain/signing.py): only the
hub's secret makes them, a forged or altered one is refused, links expire."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from bot.domain import signing
from bot.domain.errors import DomainError
from bot.settings import Settings

SETTINGS = replace(Settings(), signing_secret="test-secret", reply_domain="reply.example.com")
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)


def test_a_reply_address_names_its_ticket_and_carries_at_least_80_bits():
    address = signing.reply_address("2026-000123", SETTINGS)
    local, domain = address.split("@")
    assert domain == "reply.example.com"
    assert local.startswith("reply+2026-000123.")
    sig = local.split(".", 1)[1]
    assert len(sig) * 5 >= 80 and sig == sig.lower()
    assert signing.ticket_of_address(address, SETTINGS) == "2026-000123"
    # As SMTP and headers give it: in angle brackets, with a name, another case.
    assert signing.ticket_of_address(f"<{address}>", SETTINGS) == "2026-000123"
    assert signing.ticket_of_address(f"Suporte <{address.upper()}>", SETTINGS) == "2026-000123"


def test_forged_unsigned_and_foreign_addresses_are_refused():
    address = signing.reply_address("2026-000123", SETTINGS)
    sig = address.split("@")[0].split(".", 1)[1]
    other_secret = replace(SETTINGS, signing_secret="another-secret")
    refused = [
        "reply+2026-000123@reply.example.com",  # unsigned
        f"reply+2026-000124.{sig}@reply.example.com",  # another ticket, same signature
        address.replace(sig, ("a" if sig[0] != "a" else "b") + sig[1:]),  # one character changed
        f"reply+2026-000123.{sig}@evil.example.com",  # another domain
        f"replyx+2026-000123.{sig}@reply.example.com",
        signing.reply_address("2026-000123", other_secret),  # another hub's secret
        "",
        "not an address",
        f"reply+2026-000123.{sig}@reply.example.com@x",
    ]
    for address in refused:
        assert signing.ticket_of_address(address, SETTINGS) is None, address


def test_a_link_token_reads_back_until_it_expires():
    token = signing.link_token("2026-000123", "validate", SETTINGS, expires_days=30, now=NOW)
    assert token.replace("-", "").replace(".", "").isalnum()  # safe in a URL as it is
    assert signing.read_link(token, SETTINGS, NOW) == ("2026-000123", "validate")
    assert signing.read_link(token, SETTINGS, NOW + timedelta(days=29)) == ("2026-000123", "validate")
    with pytest.raises(DomainError) as expired:
        signing.read_link(token, SETTINGS, NOW + timedelta(days=32))
    assert expired.value.status == 410
    survey = signing.link_token("2026-000123", "survey", SETTINGS, now=NOW)
    assert signing.read_link(survey, SETTINGS, NOW) == ("2026-000123", "survey")


def test_forged_or_altered_links_are_not_found():
    token = signing.link_token("2026-000123", "validate", SETTINGS, now=NOW)
    number, letter, until, sig = token.split(".")
    forged = [
        f"2026-000124.{letter}.{until}.{sig}",  # another ticket
        f"{number}.s.{until}.{sig}",  # another action
        f"{number}.{letter}.{int(until, 16) + 365:x}.{sig}",  # a later expiry
        signing.link_token("2026-000123", "validate", replace(SETTINGS, signing_secret="x"), now=NOW),
        signing.reply_address("2026-000123", SETTINGS),
        "",
        "../../etc/passwd",
    ]
    for token in forged:
        with pytest.raises(DomainError) as refused:
            signing.read_link(token, SETTINGS, NOW)
        assert refused.value.status == 404, token
    # A forged token past its "expiry" is still a 404: the expiry is read only once the signature holds.
    with pytest.raises(DomainError) as old:
        signing.read_link(f"{number}.{letter}.1.{sig}", SETTINGS, NOW)
    assert old.value.status == 404


def test_a_reply_signature_is_no_link_signature():
    """The purposes are apart: a reply address's signature does not sign a link."""
    reply_sig = signing.signature("reply", "2026-000123", SETTINGS)
    assert reply_sig != signing.signature("link", "2026-000123", SETTINGS)
