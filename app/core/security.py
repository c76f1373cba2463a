"""Passwords, CSRF, flash messages and the security headers every response carries."""

import base64
import hashlib
import hmac
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db import SAFE_METHODS

_hasher = PasswordHasher()
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


_dummy_hash: str | None = None


def spend_password_time(password: str) -> None:
    """Verify against a throwaway hash, so an unknown email takes as long as a wrong password."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    verify_password(_dummy_hash, password)


def keyed_digest(key: str, value: str) -> str:
    """A stable pseudonym for a value we must count but should not store (an email, an address)."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


class CsrfError(Exception):
    pass


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def mask_token(token: str) -> str:
    """The token under a fresh random mask, so compressed pages never repeat it (the BREACH attack)."""
    raw = token.encode()
    mask = secrets.token_bytes(len(raw))
    return base64.urlsafe_b64encode(mask + bytes(a ^ b for a, b in zip(raw, mask, strict=True))).decode()


def unmask_token(sent: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(sent.encode())
    except (ValueError, UnicodeEncodeError):
        return None
    half = len(raw) // 2
    if not raw or len(raw) % 2:
        return None
    return bytes(a ^ b for a, b in zip(raw[half:], raw[:half], strict=True)).decode(errors="replace")


class LazyCsrfToken:
    """Made into the session only when a page prints it, so pages without forms set no cookie.

    Printed masked, differently each time: pages are compressed, and a secret repeated in a
    compressed page can be guessed from its size.
    """

    def __init__(self, request: Request) -> None:
        self._request = request

    def __str__(self) -> str:
        return mask_token(csrf_token(self._request))

    def __html__(self) -> str:
        return str(self)


async def verify_csrf(request: Request) -> None:
    """App-wide dependency: every state-changing request carries the session's token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent:
        raise CsrfError
    unmasked = unmask_token(sent) or ""
    if not (hmac.compare_digest(str(expected), sent) or hmac.compare_digest(str(expected), unmasked)):
        raise CsrfError


def flash(request: Request, message: str) -> None:
    """A one-time success message shown on the next page."""
    request.session.setdefault("flashes", []).append(message)
    request.session["flashes"] = request.session["flashes"]


def pop_flashes(request: Request) -> list[str]:
    return list(request.session.pop("flashes", []))


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    """Adds the security headers to every response; no inline script is allowed anywhere."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers: list[tuple[bytes, bytes]] = [
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in existing]
                # Pages may hold personal data and staff share computers: never cache them.
                if not scope["path"].startswith("/static/") and b"cache-control" not in existing:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def client_address(request: Request) -> str:
    """The client's address as uvicorn saw it (after trusted proxy headers)."""
    client: Any = request.client
    return str(client.host) if client else "unknown"
