"""Domain errors; the API maps each class to one HTTP status in one table."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a command was refused and nothing was written."""

    def __init__(self, message: str, *, field: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class NotFound(DomainError):
    """The named object does not exist."""


class Conflict(DomainError):
    """The command clashes with the current state (a duplicate, a second confirmation)."""


class RuleViolation(DomainError):
    """The command is well formed but a rule of the domain forbids it."""


class InvalidInput(DomainError):
    """A value is malformed or out of range; `field` names it."""


class Forbidden(DomainError):
    """The actor may not do this to this object."""


class ConcurrencyConflict(DomainError):
    """Another writer kept winning; the command was retried and gave up."""


class ServiceUnavailable(DomainError):
    """The service cannot decide now (e.g. the official calendar of a year is not known yet)."""


class Unauthenticated(DomainError):
    """The credentials (password, code, refresh token) are wrong, expired or revoked."""


class TooManyAttempts(DomainError):
    """Too many attempts in a short time; `retry_after` (seconds) says when to try again."""
