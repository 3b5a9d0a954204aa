"""The webhook client: the notifier's POSTs, through one aiohttp client session.

It follows no redirect (a 3xx is an answer the notifier retries, never a reason to send a signed
body elsewhere), keeps no cookies and reads no proxy settings from the environment; the answer's
body is not read, only its status.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from roomcast import __version__


class WebhookClient:
    """POSTs request bodies and gives back the status; the session opens at the first POST."""

    __slots__ = ("_session",)

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": f"roomcast/{__version__}"},
            )
        async with self._session.post(
            url, data=body, headers=dict(headers), allow_redirects=False
        ) as response:
            return response.status

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
