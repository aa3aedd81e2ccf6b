"""A lean HTTP/1.1 load generator: one keep-alive connection per worker, nothing else.

On a two-core machine the client shares the CPU with the server it measures. httpx spends
several milliseconds of CPU per request under 32-way concurrency (measured: 5 to 6 ms), more than
a bare FastAPI endpoint spends answering it (about 1 ms), so with httpx the baseline measured the
client. This client spends a few tens of microseconds per request, so both rows measure servers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit


class Connection:
    """Requests in sequence over one keep-alive connection; bodies by Content-Length."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, bytes]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        lines.append(f"Content-Length: {len(body)}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status_line = await self._reader.readline()
        if not status_line:
            raise ConnectionError(f"{self.host}:{self.port} closed the connection")
        status = int(status_line.split()[1])
        length = 0
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self._reader.readexactly(length)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()
            self._reader = self._writer = None


async def drive(
    base_url: str,
    count: int,
    workers: int,
    request: Callable[[int], tuple[str, str, Mapping[str, str]]],
    expect: int,
) -> None:
    """Send `request(n)` (method, path, headers) for n in range(count), `workers` in flight."""
    queue = iter(range(count))

    async def worker() -> None:
        connection = Connection(base_url)
        try:
            for n in queue:
                method, path, headers = request(n)
                status, body = await connection.request(method, path, headers)
                if status != expect:
                    raise RuntimeError(f"{method} {path}: {status} {body[:300]!r}")
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(workers)))
