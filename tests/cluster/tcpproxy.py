"""A TCP proxy on 127.0.0.1 that a test can cut and restore, to make a server unreachable.

``cut()`` closes the listening socket and every proxied connection, so clients see their
connections drop and new ones refused, as when a database host goes away; ``restore()`` listens
again on the same port. ``lose_reply_to(marker)`` loses the answer to one request: the next
client chunk holding ``marker`` is forwarded, and once the server's reply comes back the reply is
dropped and that connection cut both ways, as when a network path fails mid-operation.
"""

from __future__ import annotations

import asyncio
import contextlib


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._marker: bytes | None = None
        self._held: set[asyncio.StreamWriter] = set()  # clients whose next reply is lost

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def lose_reply_to(self, marker: bytes) -> None:
        """Lose the reply to the next request holding ``marker`` (forwarded), and cut its link."""
        self._marker = marker

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        await self.cut()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        pipes = [
            asyncio.create_task(self._pipe(reader, up_writer, writer)),
            asyncio.create_task(self._pipe(up_reader, writer, writer)),
        ]
        self._tasks.update(pipes)
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for task in pipes:
            task.cancel()
            self._tasks.discard(task)
        self._held.discard(writer)
        for end in (writer, up_writer):
            self._writers.discard(end)
            end.transport.abort()

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        client: asyncio.StreamWriter,
    ) -> None:
        """Copy ``reader`` to ``writer`` on the link of ``client`` (its end towards the client)."""
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                if writer is client and client in self._held:
                    return  # the reply to the marked request: dropped, and the link cut
                if writer is not client and self._marker is not None and self._marker in data:
                    self._marker = None
                    self._held.add(client)
                writer.write(data)
                await writer.drain()
