"""Transport: WebSocket connections on asyncio transports, the outbox, admission limits."""
