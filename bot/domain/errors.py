"""The one error the domain raises for a request it refuses: an HTTP status, a
stable code for programs, and a message for people. bot/web/problems.py turns
it into the JSON problem response; the realtime layer into a refused socket."""

from __future__ import annotations


class DomainError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
