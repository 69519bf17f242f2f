"""Logging in: a volunteer's credentials, their login sessions, and the phone index.

Only hashes are kept: argon2 for passwords, SHA-256 for refresh tokens and one-time codes (both
are long random secrets or short-lived), a keyed hash for phones. Every login, failure, refresh
and revocation is an event, so security-relevant actions are audited like everything else.
"""

from __future__ import annotations

import hmac
import math
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from timebank.domain.errors import Conflict, TooManyAttempts
from timebank.domain.ids import natural_id

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 5
KEPT_FAILURES = 20


class LockedOut(TooManyAttempts):
    """Too many failed logins: wait until `retry_after` (seconds)."""


class Credentials(Aggregate):
    """A volunteer's password hash, one-time code and recent failures (for lockout)."""

    @staticmethod
    def create_id(volunteer_id: UUID) -> UUID:
        return natural_id("credentials", str(volunteer_id))

    @event("Created")
    def __init__(self, volunteer_id: UUID, actor: str, at: datetime) -> None:
        self.volunteer_id = volunteer_id
        self.password_hash: str | None = None
        self.code_hash: str | None = None
        self.code_expires_at: datetime | None = None
        self.code_attempts = 0
        self.failures: list[datetime] = []

    # Passwords -----------------------------------------------------------------------
    @event("PasswordSet")
    def set_password(self, password_hash: str, actor: str, at: datetime) -> None:
        self.password_hash = password_hash
        self.failures = []

    # One-time codes -------------------------------------------------------------------
    @event("CodeIssued")
    def issue_code(self, code_hash: str, expires_at: datetime, actor: str, at: datetime) -> None:
        self.code_hash = code_hash
        self.code_expires_at = expires_at
        self.code_attempts = 0

    def code_matches(self, code_hash: str, at: datetime) -> bool:
        return bool(
            self.code_hash and self.code_expires_at and at < self.code_expires_at
            and self.code_attempts < MAX_CODE_ATTEMPTS and hmac.compare_digest(self.code_hash, code_hash)
        )

    @event("CodeUsed")
    def use_code(self, actor: str, at: datetime) -> None:
        self.code_hash = None
        self.code_expires_at = None

    # Failures and lockout --------------------------------------------------------------
    def check_not_locked(self, at: datetime) -> None:
        recent = [t for t in self.failures if at - t < FAILURE_WINDOW]
        if len(recent) >= MAX_FAILURES:
            until = recent[-MAX_FAILURES] + LOCKOUT
            wait = max(1, math.ceil((until - at).total_seconds()))
            raise LockedOut(f"too many failed logins; try again in {wait} s", field="login", retry_after=wait)

    @event("LoginFailed")
    def fail(self, method: str, actor: str, at: datetime) -> None:
        self.failures = [*self.failures, at][-KEPT_FAILURES:]
        if method == "code":
            self.code_attempts += 1

    @event("LoggedIn")
    def logged_in(self, method: str, session_id: UUID, actor: str, at: datetime) -> None:
        self.failures = []


class LoginSession(Aggregate):
    """One login: refresh tokens rotate on each use; presenting a used one revokes the session."""

    @event("Started")
    def __init__(
        self, volunteer_id: UUID, method: str, refresh_hash: str, expires_at: datetime, actor: str, at: datetime,
    ) -> None:
        self.volunteer_id = volunteer_id
        self.method = method
        self.refresh_hash = refresh_hash
        self.used_refresh_hashes: list[str] = []
        self.expires_at = expires_at
        self.revoked = False
        self.revoked_reason: str | None = None

    def is_active(self, at: datetime) -> bool:
        return not self.revoked and at < self.expires_at

    def was_used(self, refresh_hash: str) -> bool:
        return any(hmac.compare_digest(h, refresh_hash) for h in self.used_refresh_hashes)

    @event("Refreshed")
    def refresh(self, refresh_hash: str, actor: str, at: datetime) -> None:
        self.used_refresh_hashes = [*self.used_refresh_hashes, self.refresh_hash][-50:]
        self.refresh_hash = refresh_hash

    def revoke(self, reason: str, actor: str, at: datetime) -> None:
        if self.revoked:
            raise Conflict("this session is already revoked", field="session_id")
        self._revoked(reason=reason, actor=actor, at=at)

    @event("Revoked")
    def _revoked(self, reason: str, actor: str, at: datetime) -> None:
        self.revoked = True
        self.revoked_reason = reason


class LoginPhone(Aggregate):
    """Which volunteers registered a phone (by keyed hash). Family members may share one phone;
    such a phone cannot be used to log in, the volunteer number can."""

    @staticmethod
    def create_id(phone_key: str) -> UUID:
        return natural_id("login-phone", phone_key)

    @event("Created")
    def __init__(self, phone_key: str, actor: str, at: datetime) -> None:
        self.volunteer_ids: list[UUID] = []

    @event("Added")
    def add(self, volunteer_id: UUID, actor: str, at: datetime) -> None:
        self.volunteer_ids = [*self.volunteer_ids, volunteer_id]

    @event("Removed")
    def remove(self, volunteer_id: UUID, actor: str, at: datetime) -> None:
        self.volunteer_ids = [v for v in self.volunteer_ids if v != volunteer_id]
