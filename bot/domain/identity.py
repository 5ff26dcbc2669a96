"""Who the customer is, as the portal signed it.

The portal puts an HS256 JWT, signed with CAROLINA_IDENTITY_SECRET, in the page;
the widget passes it when the session starts. Required claims: `sub` (the
portal's contact id), `aud` (CAROLINA_IDENTITY_AUDIENCE, "carolina"), `iss`
(CAROLINA_IDENTITY_ISSUER, "portal"), `iat` and `exp`, at most
CAROLINA_IDENTITY_MAX_LIFETIME seconds apart (a day). Optional: `name`, `email`
(exactly one address), `company`, `company_code`, `language`,
`can_open_tickets` (false for a company with pending financial issues). No
token: an anonymous customer. A bad or expired token is refused, never treated
as anonymous, so a tampered page cannot pose as someone else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Dict, Optional

import jwt

from bot.adapters.mailer import is_one_address
from bot.settings import Settings

ALGORITHM = "HS256"
REQUIRED = ["exp", "iat", "sub", "aud", "iss"]


class IdentityError(Exception):
    """The token is not one the portal signed, or no longer valid."""


@dataclass(frozen=True)
class Identity:
    external_id: str
    name: Optional[str] = None
    email: Optional[str] = None
    company: Optional[str] = None
    company_code: Optional[str] = None
    language: Optional[str] = None
    can_open_tickets: bool = True

    def as_metadata(self) -> Dict[str, Any]:
        """What Rasa and the actions see of the customer (message metadata), which
        Rasa's tracker store keeps with every event of the conversation: only what
        the actions need, no name, e-mail or company (LGPD: personal data only as
        far as the request needs it). The actions ask the hub for the rest when a
        reply must carry it (the ticket's e-mail address comes back with the ticket)."""
        return {
            "contact_id": self.external_id,
            "company_code": self.company_code,
            "can_open_tickets": self.can_open_tickets,
        }


def verify(token: str, settings: Settings) -> Identity:
    """The identity the portal signed for this hub (its audience, issuer, lifetime), or IdentityError."""
    if not settings.identity_secret:
        raise IdentityError("this hub has no CAROLINA_IDENTITY_SECRET, so it accepts no identity tokens")
    try:
        claims = jwt.decode(
            token,
            settings.identity_secret,
            algorithms=[ALGORITHM],
            audience=settings.identity_audience,
            issuer=settings.identity_issuer,
            options={"require": REQUIRED, "strict_aud": True},
        )
    except jwt.PyJWTError as error:
        raise IdentityError(str(error)) from error
    if not isinstance(claims["iat"], (int, float)) or not isinstance(claims["exp"], (int, float)):
        raise IdentityError("iat and exp must be numbers")
    if claims["exp"] - claims["iat"] > settings.identity_max_lifetime_seconds:
        raise IdentityError(f"the token lives longer than {settings.identity_max_lifetime_seconds} seconds")
    email = claims.get("email")
    if email is not None and not is_one_address(email):
        raise IdentityError("email must be exactly one address")
    return Identity(
        external_id=str(claims["sub"]),
        name=claims.get("name"),
        email=claims.get("email"),
        company=claims.get("company"),
        company_code=claims.get("company_code"),
        language=claims.get("language"),
        can_open_tickets=bool(claims.get("can_open_tickets", True)),
    )


def sign(
    identity: Identity,
    secret: str,
    ttl_seconds: int = 3600,
    audience: str = Settings.identity_audience,
    issuer: str = Settings.identity_issuer,
) -> str:
    """What a portal does (and the demo page and tests)."""
    now = int(time.time())
    claims = {
        "aud": audience,
        "iss": issuer,
        "iat": now,
        "sub": identity.external_id,
        "name": identity.name,
        "email": identity.email,
        "company": identity.company,
        "company_code": identity.company_code,
        "language": identity.language,
        "can_open_tickets": identity.can_open_tickets,
        "exp": now + ttl_seconds,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm=ALGORITHM)
