"""Web admin sign-in: argon2 password hashes, sessions kept as token hashes, CSRF tokens, a login rate limit.

Nothing here knows about HTTP: the pages in `bot.admin.web` call these functions inside a transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import messages as msg
from bot.errors import BotError
from storage import access, roles
from storage.models import AdminSession, AuditEvent, Staff, StaffToken, as_utc, utcnow

LOGIN_FAILED = "login_failed"
RATE_WINDOW = timedelta(minutes=15)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()


class AuthError(BotError, ValueError):
    """A sign-in or password problem the person at the keyboard can fix."""


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against for unknown usernames, so they take as long as known ones.
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """Whether a password matches; always does the full argon2 work, even without a hash."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def digest(token: str) -> str:
    """The sha256 of a secret token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two tokens."""
    return hmac.compare_digest(a.encode(), b.encode())


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_new_credentials(username: str, password: str, repeat: str) -> str:
    """Validate a chosen username and password; returns the normalised username or raises AuthError."""
    name = normalise_username(username)
    if not USERNAME.match(name):
        raise AuthError(msg.ADMIN_BAD_USERNAME)
    if len(password) < MIN_PASSWORD:
        raise AuthError(msg.ADMIN_SHORT_PASSWORD.format(n=MIN_PASSWORD))
    if password != repeat:
        raise AuthError(msg.ADMIN_PASSWORDS_DIFFER)
    return name


# ---------------------------------------------------------------- login, sessions, logout


@dataclass
class Login:
    """The result of a login attempt: a session token, or why not."""

    token: str | None = None
    staff: Staff | None = None
    throttled: bool = False


async def audit(s: AsyncSession, action: str, staff_id: int | None = None, subject: str | None = None,
                detail: str | None = None) -> None:
    """Record an admin action in the audit log."""
    s.add(AuditEvent(action=action, staff_id=staff_id, subject=(subject or "")[:120] or None,
                     detail=(detail or "")[:400] or None))


async def _recent_failures(s: AsyncSession, subject: str, now: datetime) -> int:
    return await access.count_events(s, LOGIN_FAILED, subject, now - RATE_WINDOW)


async def _one_at_a_time(s: AsyncSession, subjects: tuple[str, ...], now: datetime) -> None:
    """Attempts for the same username or address wait for each other until commit, so parallel attempts
    cannot all count the failures before any is recorded (30 at once would otherwise check 10 passwords).

    PostgreSQL: a transaction-scoped advisory lock per subject, taken in a fixed order. SQLite: the
    transaction writes first (expired sessions go), which makes it wait for any other writer to commit."""
    if not await access.lock_subjects(s, (f"login:{subject}" for subject in subjects)):
        await purge_expired(s, now)


async def login(s: AsyncSession, username: str, password: str, address: str, max_attempts: int,
                session_hours: int, now: datetime | None = None) -> Login:
    """Check a username and password; on success open a session (audited either way).

    After `max_attempts` failures in 15 minutes for the username or from the address, every attempt is
    refused without checking the password.
    """
    now = now or utcnow()
    name = normalise_username(username)[:40]
    ip = f"ip:{address}"[:120]
    await _one_at_a_time(s, (name, ip), now)
    if max(await _recent_failures(s, name, now), await _recent_failures(s, ip, now)) >= max_attempts:
        await audit(s, "login_throttled", subject=name, detail=ip)
        return Login(throttled=True)
    staff = None
    if name:
        staff = await roles.staff_by_username(s, name)
    ok = check_password(staff.password_hash if staff else None, password)
    if not ok or staff is None or not staff.active or staff.role not in roles.STATS_ROLES:
        await audit(s, LOGIN_FAILED, staff.id if staff else None, name, ip)
        await audit(s, LOGIN_FAILED, staff.id if staff else None, ip, name)
        return Login()
    token = secrets.token_urlsafe(32)
    s.add(AdminSession(token_hash=digest(token), staff_id=staff.id, csrf=secrets.token_urlsafe(32),
                       created_at=now, expires_at=now + timedelta(hours=session_hours)))
    await audit(s, "login", staff.id, name, ip)
    await purge_expired(s, now)
    if _hasher.check_needs_rehash(staff.password_hash or ""):
        staff.password_hash = hash_password(password)
    return Login(token=token, staff=staff)


async def session_of(s: AsyncSession, token: str | None,
                     now: datetime | None = None) -> tuple[AdminSession, Staff] | None:
    """The open session of a cookie token and its staff member; None when missing, expired or disabled."""
    if not token:
        return None
    now = now or utcnow()
    row = await access.session_by_hash(s, digest(token))
    if row is None:
        return None
    session, staff = row
    if as_utc(session.expires_at) <= now or not staff.active or staff.role not in roles.STATS_ROLES:
        await access.end_session(s, session)
        return None
    return session, staff


async def logout(s: AsyncSession, token: str | None) -> None:
    """End the session of a cookie token (its row is deleted, so the cookie is worthless)."""
    found = await session_of(s, token)
    if found is None:
        return
    session, staff = found
    await access.end_session(s, session)
    await audit(s, "logout", staff.id, staff.username)


async def purge_expired(s: AsyncSession, now: datetime | None = None) -> None:
    """Delete sessions past their expiry."""
    await access.purge_sessions(s, now or utcnow())


# ---------------------------------------------------------------- CSRF before a session exists


class FormSigner:
    """Signed double-submit tokens for forms shown before login (login, password setup).

    The same random token goes into a cookie and a hidden field, with an HMAC under a server key, so a
    forged form needs both a cookie it cannot set and a signature it cannot make.
    """

    def __init__(self, key: bytes | None = None) -> None:
        self.key = key or secrets.token_bytes(32)

    def _sign(self, nonce: str) -> str:
        return hmac.new(self.key, nonce.encode(), hashlib.sha256).hexdigest()

    def new(self) -> str:
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._sign(nonce)}"

    def valid(self, cookie: str | None, field: str | None) -> bool:
        if not cookie or not field or not same(cookie, field):
            return False
        nonce, _, signature = cookie.partition(".")
        return bool(nonce) and same(signature, self._sign(nonce))


# ---------------------------------------------------------------- one-time links to set a password
# (issued by storage.volunteers.password_link: the chat's "Vào trang quản trị" button)


async def password_token(s: AsyncSession, code: str | None) -> tuple[StaffToken, Staff] | None:
    """The unused, unexpired password link of a code and its staff member."""
    if not code:
        return None
    row = await access.password_link(s, digest(code))
    if row is None:
        return None
    token, staff = row
    if token.used_at is not None or as_utc(token.expires_at) <= utcnow() or not staff.active:
        return None
    return token, staff


async def set_credentials(s: AsyncSession, staff: Staff, username: str, password: str, repeat: str) -> None:
    """Give a staff member a username and password (raises AuthError with a kind message)."""
    name = check_new_credentials(username, password, repeat)
    if await access.username_taken(s, name, staff.id):
        raise AuthError(msg.ADMIN_USERNAME_TAKEN)
    staff.username, staff.password_hash = name, hash_password(password)
    # A new password ends every open session of the account.
    await access.end_sessions(s, staff.id)
    await audit(s, "password_set", staff.id, name)
