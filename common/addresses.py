"""What counts as one e-mail address, for the hub (the ticket's recipients,
the portal's contact) and the action server (the addresses a customer types
to be copied on a ticket's e-mails): one rule, so the form never accepts what
the hub will refuse."""

from __future__ import annotations

import re
from email.utils import parseaddr
from typing import List

# The most extra recipients a ticket copies (the guides' "E-MAILS ADICIONAIS").
CC_MAX = 5

# Anything with an @ between non-space characters: a candidate, judged by is_one_address.
_CANDIDATE = re.compile(r"[^\s,;<>()\[\]\"']*@[^\s,;<>()\[\]\"']*")


def is_one_address(text: object) -> bool:
    """Whether `text` is exactly one bare address (local@domain): no list, no
    display name, no spaces, commas, semicolons, angle brackets or second @."""
    if not isinstance(text, str) or not 3 <= len(text) <= 254 or not text.isprintable():
        return False
    if any(c.isspace() or c in ',;<>()[]\\"' for c in text) or text.count("@") != 1:
        return False
    local, domain = text.split("@")
    return bool(local) and "." in domain.strip(".") and parseaddr(text)[1] == text


def written_addresses(text: str) -> List[str]:
    """The words of `text` that try to be addresses ("ana@x.com, joao@y" gives
    both; a full stop ending the sentence is not part of one), in order."""
    return [found.rstrip(".") for found in _CANDIDATE.findall(text or "") if found.strip(".@")]
