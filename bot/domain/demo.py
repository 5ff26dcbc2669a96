"""Sample customers for trying Carolina without a portal: in demo mode (the
default of `make run`, off once an operator sets CAROLINA_IDENTITY_SECRET) the
demo page lets a newcomer chat as one of them, so the ticket and handoff flows
can be tried without writing a JWT by hand. The hub signs their identities
with a secret made at start-up, so these tokens are good on this hub only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from bot.domain.identity import Identity, sign
from bot.settings import Settings


@dataclass(frozen=True)
class SampleCustomer:
    key: str
    label: str  # as the demo page lists it
    identity: Optional[Identity]  # None: anonymous


SAMPLE_CUSTOMERS: Tuple[SampleCustomer, ...] = (
    SampleCustomer(
        "maria",
        "Maria — Padaria Pão Bom (can open tickets)",
        Identity(
            external_id="demo-maria",
            name="Maria Souza",
            email="maria@padariapaobom.example",
            company="Padaria Pão Bom",
            company_code="DEMO-PAOBOM",
            language="pt",
        ),
    ),
    SampleCustomer(
        "lucia",
        "Lucía — Ferretería El Tornillo (pending financial issues: blocked)",
        Identity(
            external_id="demo-lucia",
            name="Lucía Pérez",
            email="lucia@eltornillo.example",
            company="Ferretería El Tornillo",
            company_code="DEMO-TORNILLO",
            language="es",
            can_open_tickets=False,
        ),
    ),
    SampleCustomer(
        "john",
        "John — Northwind Foods (can open tickets)",
        Identity(
            external_id="demo-john",
            name="John Miller",
            email="john@northwind.example",
            company="Northwind Foods",
            company_code="DEMO-NORTHWIND",
            language="en",
        ),
    ),
    SampleCustomer("anonymous", "Anonymous visitor (not logged in)", None),
)


def token_for(key: str, settings: Settings) -> Optional[str]:
    """The signed identity of a sample customer ("" for the anonymous one), for
    this hub's secret, audience and issuer; None when there is no such sample."""
    sample = next((s for s in SAMPLE_CUSTOMERS if s.key == key), None)
    if sample is None:
        return None
    if sample.identity is None or not settings.identity_secret:
        return ""
    return sign(
        sample.identity,
        settings.identity_secret,
        ttl_seconds=min(12 * 3600, settings.identity_max_lifetime_seconds),
        audience=settings.identity_audience,
        issuer=settings.identity_issuer,
    )
