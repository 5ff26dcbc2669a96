"""Names both processes use for the same things: a ticket's statuses."""

from __future__ import annotations

from typing import Tuple

# A ticket's life, in order; the seeds name "awaiting customer" and "customer
# validation" (DESIGN.md).
STATUSES: Tuple[str, ...] = ("open", "in_progress", "awaiting_customer", "customer_validation", "closed")
