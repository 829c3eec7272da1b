"""The security baseline of every response: CSP, content sniffing, referrer, cookie flags."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

#: Everything comes from this site; no inline script or style; nobody may frame us.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


log = logging.getLogger(__name__)


def warn_of_untrusted_proxy(app: Flask) -> None:
    """With ``PROXY_FIX_X_FOR`` at 0, warn once per process at the first request that carries ``X-Forwarded-For``.

    Such a request came through a proxy whose forwarded address the app ignores: every visitor then has the
    proxy's address, and the sign-in lock-out and the rate limits count them all as one.
    """
    if app.config["PROXY_FIX_X_FOR"]:
        return
    warned = False

    def check() -> None:
        nonlocal warned
        if not warned and request.headers.get("X-Forwarded-For"):
            warned = True
            log.warning(
                "A request from %s carries X-Forwarded-For but PROXY_FIX_X_FOR is 0: every visitor behind this "
                "proxy has its address, and sign-in lock-outs and rate limits count them as one. Set "
                "PROXY_FIX_X_FOR to the number of trusted proxies (docs/operations.md).",
                request.remote_addr,
            )

    app.before_request(check)


class SessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, marked Secure whenever the request itself came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def add_security_headers(response: Response) -> Response:
    """Add the headers of :data:`SECURITY_HEADERS` unless a view set its own."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    """Install the session interface, the response hook and the warning about an untrusted proxy."""
    app.session_interface = SessionInterface()
    app.after_request(add_security_headers)
    warn_of_untrusted_proxy(app)
