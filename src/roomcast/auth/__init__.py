"""Who is talking: accounts, passwords, login sessions, API tokens and signed JWT identities.

``identity.Authenticator`` turns what a request presents (a session cookie, an API token, a JWT,
the server's API key) into an ``Identity``; ``access`` says what an identity may do in a room.

May import ``wire`` (errors), ``store`` (accounts and credentials), ``clock``, ``record`` and
``ops.config``.
"""

from roomcast.auth.access import Role, role_in
from roomcast.auth.identity import (
    API_KEY_IDENTITY,
    GUEST,
    SESSION_COOKIE,
    Authenticator,
    AuthError,
    Identity,
)

__all__ = [
    "API_KEY_IDENTITY",
    "GUEST",
    "SESSION_COOKIE",
    "AuthError",
    "Authenticator",
    "Identity",
    "Role",
    "role_in",
]
