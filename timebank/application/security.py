"""Use cases of security and privacy: passwords, one-time codes, login sessions, erasure.

Volunteers log in with their volunteer number or phone and a password (argon2) or a one-time code,
and receive a short-lived access token (a JWT signed with a key derived from the service's secret)
and a refresh token that rotates on every use. A session can be revoked; a refresh token presented
twice revokes its session (it was stolen or replayed). Every login, failure, refresh, revocation
and erasure is an event with its actor.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from timebank.application.base import TimeBankBase, retrying
from timebank.domain.actors import Actor, Role
from timebank.domain.credentials import Credentials, LoginPhone, LoginSession
from timebank.domain.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from timebank.domain.permissions import permits
from timebank.domain.volunteer import Volunteer, VolunteerNumberClaim

ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(days=30)
CODE_LIFETIME = timedelta(minutes=5)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
VOLUNTEER_NUMBER = re.compile(r"^BJ\d{10}$")
WRONG_LOGIN = "the login or the password is wrong"
WRONG_CODE = "the login or the code is wrong or expired"


@dataclass(frozen=True)
class LoginResult:
    volunteer_id: UUID
    session_id: UUID
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class LoginCode:
    """A one-time code to deliver to the volunteer's phone (the caller sends it)."""

    volunteer_id: UUID
    phone: str
    code: str


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_password_strength(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters", field=field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"a password has at most {MAX_PASSWORD_LENGTH} characters", field=field)
    if password.isdigit() or len(set(password)) < 4:
        raise InvalidInput("this password is too easy to guess: mix letters and digits", field=field)


class Security(TimeBankBase):
    """Logins, sessions and erasure."""

    _dummy_hash: str | None = None

    def _equalize_timing(self) -> None:
        """Spend the time of one password check, so unknown logins cannot be told by speed."""
        if self._dummy_hash is None:
            self._dummy_hash = self.passwords.hash("timing-equalizer")
        self.passwords.verify(self._dummy_hash, "timing-equalizer")

    # Finding the volunteer -------------------------------------------------------------
    def _volunteer_for_login(self, login: str) -> UUID | None:
        login = login.strip().upper()
        if VOLUNTEER_NUMBER.match(login):
            try:
                claim: Any = self.repository.get(VolunteerNumberClaim.create_id(login))
            except AggregateNotFoundError:
                return None
            return UUID(str(claim.volunteer_id))
        try:
            index: Any = self.repository.get(LoginPhone.create_id(self.phone_key(login)))
        except AggregateNotFoundError:
            return None
        # A phone shared by family members does not say who logs in: use the volunteer number.
        return index.volunteer_ids[0] if isinstance(index, LoginPhone) and len(index.volunteer_ids) == 1 else None

    def volunteer_id_by_number(self, volunteer_number: str) -> UUID | None:
        """The volunteer with this number (for tokens of an external identity provider)."""
        number = volunteer_number.strip().upper()
        return self._volunteer_for_login(number) if VOLUNTEER_NUMBER.match(number) else None

    def _credentials(self, volunteer_id: UUID, actor: str, at: datetime) -> Credentials:
        make = lambda: Credentials(volunteer_id=volunteer_id, actor=actor, at=at)  # noqa: E731
        return self._get_or_new(Credentials, Credentials.create_id(volunteer_id), make)

    # Passwords ---------------------------------------------------------------------------
    @retrying
    def set_password(self, actor: Actor, password: str, current_password: str | None = None) -> None:
        """A volunteer sets their password; changing one needs the current one."""
        if not permits(actor, "login.password") or actor.id is None:
            raise Forbidden("only a volunteer has a password; admins and auditors use tokens")
        check_password_strength(password)
        now = self._now()
        credentials = self._credentials(actor.id, actor.ref, now)
        known = credentials.password_hash
        if known is not None and not (current_password and self._verify(known, current_password)):
            raise Unauthenticated("current_password is wrong", field="current_password")
        credentials.set_password(self.passwords.hash(password), actor=actor.ref, at=now)
        self.save(credentials)

    def _verify(self, password_hash: str, password: str) -> bool:
        return self.passwords.verify(password_hash, password)

    # One-time codes ------------------------------------------------------------------------
    @retrying
    def request_login_code(self, login: str) -> LoginCode | None:
        """Make a 6-digit code valid for 5 minutes; None if the login is unknown (the caller answers
        the same either way, so logins cannot be probed)."""
        volunteer_id = self._volunteer_for_login(login)
        if volunteer_id is None:
            return None
        volunteer = self.get_volunteer(volunteer_id)
        personal = self.personal_data_of(volunteer)
        if personal is None:
            return None
        now = self._now()
        credentials = self._credentials(volunteer_id, "system:login", now)
        credentials.check_not_locked(now)
        code = f"{secrets.randbelow(10**6):06d}"
        credentials.issue_code(self._code_hash(volunteer_id, code), now + CODE_LIFETIME, actor="system:login", at=now)
        self.save(credentials)
        return LoginCode(volunteer_id, str(personal["phone"]), code)

    def _code_hash(self, volunteer_id: UUID, code: str) -> str:
        return _sha256(f"{volunteer_id}:{code}:{self._identity_secret.hex()}")

    # Logging in ------------------------------------------------------------------------------
    @retrying
    def login(self, login: str, *, password: str | None = None, code: str | None = None) -> LoginResult:
        if (password is None) == (code is None):
            raise InvalidInput("send either a password or a one-time code", field="password")
        method = "password" if password is not None else "code"
        volunteer_id = self._volunteer_for_login(login)
        now = self._now()
        if volunteer_id is None:
            self._equalize_timing()
            raise Unauthenticated(WRONG_LOGIN if password is not None else WRONG_CODE, field="login")
        credentials = self._credentials(volunteer_id, "system:login", now)
        credentials.check_not_locked(now)
        if password is not None:
            ok = credentials.password_hash is not None and self._verify(credentials.password_hash, password)
        else:
            ok = credentials.code_matches(self._code_hash(volunteer_id, str(code)), now)
        actor = f"volunteer:{volunteer_id}"
        if not ok:
            credentials.fail(method=method, actor=actor, at=now)
            self.save(credentials)
            raise Unauthenticated(WRONG_LOGIN if password is not None else WRONG_CODE, field="login")
        refresh_secret = secrets.token_urlsafe(32)
        session = LoginSession(
            volunteer_id=volunteer_id, method=method, refresh_hash=_sha256(refresh_secret),
            expires_at=now + SESSION_LIFETIME, actor=actor, at=now,
        )
        if code is not None:
            credentials.use_code(actor=actor, at=now)
        credentials.logged_in(method=method, session_id=session.id, actor=actor, at=now)
        self.save(credentials, session)
        return self._issue(session, refresh_secret, now)

    def _issue(self, session: LoginSession, refresh_secret: str, now: datetime) -> LoginResult:
        access = self.tokens.sign({
            "sub": str(session.volunteer_id), "role": Role.VOLUNTEER.value, "sid": str(session.id), "jti": uuid4().hex,
            "iat": int(now.timestamp()), "exp": int((now + ACCESS_TOKEN_LIFETIME).timestamp()),
        })
        refresh = f"tbr_{session.id.hex}_{refresh_secret}"
        return LoginResult(session.volunteer_id, session.id, access, refresh, int(ACCESS_TOKEN_LIFETIME.total_seconds()))

    @retrying
    def refresh(self, refresh_token: str) -> LoginResult:
        """A new access token and a new refresh token; the old refresh token is spent."""
        session = self._session_of_refresh(refresh_token)
        now = self._now()
        presented = _sha256(refresh_token.split("_", 2)[2])
        if session.was_used(presented):
            session.revoke(reason="a spent refresh token was presented again", actor="system:login", at=now)
            self.save(session)
            raise Unauthenticated("this refresh token was already used; the session is revoked", field="refresh_token")
        if not session.is_active(now) or not secrets.compare_digest(presented, session.refresh_hash):
            raise Unauthenticated("this refresh token is unknown, expired or revoked", field="refresh_token")
        fresh = secrets.token_urlsafe(32)
        session.refresh(_sha256(fresh), actor=f"volunteer:{session.volunteer_id}", at=now)
        self.save(session)
        return self._issue(session, fresh, now)

    def _session_of_refresh(self, refresh_token: str) -> LoginSession:
        parts = refresh_token.split("_", 2)
        try:
            if len(parts) != 3 or parts[0] != "tbr":
                raise ValueError
            session: Any = self.repository.get(UUID(hex=parts[1]))
        except (ValueError, AggregateNotFoundError):
            raise Unauthenticated("this refresh token is unknown, expired or revoked", field="refresh_token") from None
        if not isinstance(session, LoginSession):
            raise Unauthenticated("this refresh token is unknown, expired or revoked", field="refresh_token")
        return session

    @retrying
    def revoke_session(self, actor: Actor, session_id: UUID, reason: str = "logged out") -> None:
        """The session's volunteer or an admin ends a session: its tokens stop working at once."""
        try:
            session: Any = self.repository.get(session_id)
        except AggregateNotFoundError:
            session = None
        if not isinstance(session, LoginSession) or not permits(actor, "session.revoke", about=session.volunteer_id):
            raise NotFound(f"session {session_id} not found", field="session_id")
        session.revoke(reason=reason, actor=actor.ref, at=self._now())
        self.save(session)

    # Authentication of requests ----------------------------------------------------------
    def authenticate(self, secret: str) -> Actor | None:
        """Opaque tokens (admins, auditors, registration) or this service's JWT access tokens."""
        if secret.count(".") != 2:
            return super().authenticate(secret)
        claims = self.tokens.verify(secret)
        if claims is None or claims.get("role") != Role.VOLUNTEER.value:
            return None
        try:
            session: Any = self.repository.get(UUID(str(claims.get("sid"))), deepcopy_from_cache=False)  # read, never changed
        except (ValueError, AggregateNotFoundError):
            return None
        now = self._now()
        if now.timestamp() >= claims["exp"] or not isinstance(session, LoginSession) or not session.is_active(now):
            return None
        if str(session.volunteer_id) != claims["sub"]:
            return None
        return Actor(Role.VOLUNTEER, session.volunteer_id)

    def session_of(self, secret: str) -> UUID | None:
        """The session id inside a valid access token (for logging out with it)."""
        claims = self.tokens.verify(secret) if secret.count(".") == 2 else None
        try:
            return UUID(str(claims["sid"])) if claims else None
        except (ValueError, KeyError):
            return None

    # Erasure (PIPL) -------------------------------------------------------------------------
    @retrying
    def erase_personal_data(self, actor: Actor, volunteer_id: UUID) -> None:
        """Destroy the volunteer's key: their name, ID number, phone and birth date become unreadable
        everywhere, including in past events. Balances, records and the audit trail remain."""
        if not permits(actor, "volunteer.erase", about=volunteer_id):
            raise NotFound(f"volunteer {volunteer_id} not found", field="volunteer_id")
        volunteer: Volunteer = self.get_volunteer(volunteer_id)
        now = self._now()
        changed: list[Any] = []
        personal = self.personal_data_of(volunteer)
        if personal is not None:
            try:
                index: Any = self.repository.get(LoginPhone.create_id(self.phone_key(str(personal["phone"]))))
            except AggregateNotFoundError:
                index = None
            if isinstance(index, LoginPhone) and volunteer_id in index.volunteer_ids:
                index.remove(volunteer_id, actor=actor.ref, at=now)
                changed.append(index)
        volunteer.erase_personal_data(actor=actor.ref, at=now)
        self.save(volunteer, *changed)
        # The event is the record; destroying the key makes it true. A retry finishes it.
        self.vault.erase(volunteer_id)
