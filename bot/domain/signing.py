"""What the hub signs so it can trust it later without storing it: a ticket's
reply address (reply+<number>.<signature>@<reply_domain>, matched by the
inbound SMTP server) and the links e-mails carry to validate a ticket or answer
its survey. One secret (settings.signing_secret), HMAC-SHA256 over a purpose
and the value, so a signature made for one purpose proves nothing for another,
and a ticket number alone (sequential, guessable) never opens anything."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timezone
from email.utils import parseaddr
from typing import Optional, Tuple

from bot.domain.errors import DomainError
from bot.settings import Settings

# 20 base32 characters: 100 bits of the HMAC, far past guessing (the contract's floor is 80).
SIGNATURE_CHARS = 20
NUMBER = r"\d{4}-\d{6}"
REPLY = re.compile(rf"^reply\+({NUMBER})\.([a-z2-7]{{{SIGNATURE_CHARS}}})$")
# What an e-mailed link lets its holder do, by the one letter its token carries.
ACTIONS = {"validate": "v", "survey": "s"}
LINK = re.compile(rf"^({NUMBER})\.([a-z])\.([0-9a-f]{{1,12}})\.([a-z2-7]{{{SIGNATURE_CHARS}}})$")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def signature(purpose: str, value: str, settings: Settings) -> str:
    mac = hmac.new(settings.signing_secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode("ascii").lower()[:SIGNATURE_CHARS]


def same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def reply_address(number: str, settings: Settings) -> str:
    """The address a ticket's e-mails ask the customer to reply to."""
    return f"reply+{number}.{signature('reply', number, settings)}@{settings.reply_domain}"


def ticket_of_address(address: str, settings: Settings) -> Optional[str]:
    """The ticket number a signed reply address stands for; None for any other
    address (another local part or domain, no signature, a wrong one)."""
    _, bare = parseaddr(address or "")
    if bare.count("@") != 1:
        return None
    local, domain = bare.rsplit("@", 1)
    if domain.lower().rstrip(".") != settings.reply_domain.lower():
        return None
    # Mail systems may change the case of a local part; the signature's alphabet has one case.
    found = REPLY.match(local.lower())
    if found is None:
        return None
    number, given = found.groups()
    return number if same(given, signature("reply", number, settings)) else None


def _days(moment: datetime) -> int:
    """Whole days since 1970 (UTC): a link's expiry needs no finer grain."""
    return (moment.astimezone(timezone.utc) - EPOCH).days


def link_token(
    number: str, action: str, settings: Settings, expires_days: int = 30, now: Optional[datetime] = None
) -> str:
    """A URL-safe token that lets its holder `action` ("validate" or "survey")
    ticket `number` until `expires_days` after `now` (the hub's clock)."""
    letter = ACTIONS[action]
    until = _days(now or settings.clock.now()) + expires_days
    signed = f"{number}.{letter}.{until:x}"
    return f"{signed}.{signature('link', signed, settings)}"


def read_link(token: str, settings: Settings, now: datetime) -> Tuple[str, str]:
    """(number, action) of a token this hub signed: 404 for anything else, 410
    once it expired (checked after the signature, so a forged token says nothing more)."""
    found = LINK.match(token or "")
    action = next((name for name, letter in ACTIONS.items() if found and letter == found.group(2)), None)
    if found is None or action is None:
        raise DomainError(404, "bad_link", "this link is not one of ours")
    number, letter, until, given = found.groups()
    if not same(given, signature("link", f"{number}.{letter}.{until}", settings)):
        raise DomainError(404, "bad_link", "this link is not one of ours")
    if _days(now) > int(until, 16):
        raise DomainError(410, "expired", "this link has expired")
    return number, action
