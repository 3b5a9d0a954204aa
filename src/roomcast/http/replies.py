"""JSON answers: bodies encoded from their Structs, the standard error body, the ``Refused``
exception a handler raises to answer with one, and the middleware that turns every failure under
``/api`` into that body.

Every error is ``{"error": {"code": "...", "message": "..."}}`` with a 4xx or 5xx status, also for
unknown paths, wrong methods and server bugs, and each one is counted in the metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

import msgspec
from aiohttp import web

from roomcast.auth import AuthError
from roomcast.http.bodies import Body, Error, ErrorDetail
from roomcast.http.keys import HUB_KEY
from roomcast.store import StoreUnavailable
from roomcast.wire.protocol import ErrorCode, ProtocolError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The error code of aiohttp's own refusals (no route, wrong method, body too large, ...).
_HTTP_CODES: Final = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}

# HTTP status of each protocol error code a domain call can give; any other is a 400.
PROTOCOL_STATUS: Final = {
    ErrorCode.LOGIN_REQUIRED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.BANNED: 403,
    ErrorCode.MUTED: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.ROOM_EXISTS: 409,
    ErrorCode.NICK_TAKEN: 409,
    ErrorCode.NICK_REGISTERED: 409,
}


class Refused(Exception):
    """An answer other than success: the middleware turns it into the JSON error body."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    @classmethod
    def from_protocol(cls, exc: ProtocolError, status: int | None = None) -> Refused:
        """A domain refusal, with the status its code maps to unless ``status`` is given."""
        return cls(status or PROTOCOL_STATUS.get(exc.code, 400), str(exc.code), exc.message)


def reply(body: Body, status: int = 200) -> web.Response:
    """A JSON answer encoded from ``body``."""
    return web.Response(
        body=msgspec.json.encode(body),
        status=status,
        content_type="application/json",
        charset="utf-8",
    )


def json_error(status: int, code: str, message: str) -> web.Response:
    """The standard error answer. (Encoded ASCII-only: a message may quote what was sent.)"""
    body = msgspec.to_builtins(Error(ErrorDetail(code, message)))
    return web.json_response(body, status=status)


def _refusal(exc: Refused) -> web.Response:
    response = json_error(exc.status, exc.code, exc.message)
    response.headers.update(exc.headers)
    return response


def _http_error(exc: web.HTTPException) -> web.Response:
    response = json_error(exc.status, _HTTP_CODES.get(exc.status, "error"), exc.reason.lower())
    if "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under ``/api``: every failure as a JSON error, each 4xx/5xx counted in the metrics."""
    if request.path != "/api" and not request.path.startswith("/api/"):
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = _http_error(exc)
    except Refused as exc:
        response = _refusal(exc)
    except ProtocolError as exc:
        response = _refusal(Refused.from_protocol(exc))
    except AuthError as exc:
        response = json_error(exc.status, exc.code, exc.message)
    except StoreUnavailable as exc:
        response = json_error(503, "store_unavailable", str(exc))
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        response = json_error(500, "internal", "internal server error")
    if response.status >= 400:
        request.app[HUB_KEY].metrics.http_error(response.status)
    return response
