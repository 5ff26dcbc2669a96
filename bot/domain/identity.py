"""Who the customer is, as the portal signed it.

The portal puts an HS256 JWT, signed with CAROLINA_IDENTITY_SECRET, in the page;
the widget passes it when the session starts. Claims: `sub` (the portal's
contact id, required), `name`, `email`, `company`, `company_code`, `language`,
`can_open_tickets` (false for a company with pending financial issues) and `exp`
(required). No token: an anonymous customer. A bad or expired token is refused,
never treated as anonymous, so a tampered page cannot pose as someone else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Dict, Optional

import jwt

ALGORITHM = "HS256"


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
        """What Rasa and the actions see of the customer (message metadata)."""
        return {
            "contact_id": self.external_id,
            "name": self.name,
            "email": self.email,
            "company": self.company,
            "company_code": self.company_code,
            "can_open_tickets": self.can_open_tickets,
        }


def verify(token: str, secret: Optional[str]) -> Identity:
    if not secret:
        raise IdentityError("this hub has no CAROLINA_IDENTITY_SECRET, so it accepts no identity tokens")
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError as error:
        raise IdentityError(str(error)) from error
    return Identity(
        external_id=str(claims["sub"]),
        name=claims.get("name"),
        email=claims.get("email"),
        company=claims.get("company"),
        company_code=claims.get("company_code"),
        language=claims.get("language"),
        can_open_tickets=bool(claims.get("can_open_tickets", True)),
    )


def sign(identity: Identity, secret: str, ttl_seconds: int = 3600) -> str:
    """What a portal does (and the demo page and tests)."""
    claims = {
        "sub": identity.external_id,
        "name": identity.name,
        "email": identity.email,
        "company": identity.company,
        "company_code": identity.company_code,
        "language": identity.language,
        "can_open_tickets": identity.can_open_tickets,
        "exp": int(time.time()) + ttl_seconds,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm=ALGORITHM)
