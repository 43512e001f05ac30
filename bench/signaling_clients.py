"""Load-generator process of bench/signaling.py: many WebSocket clients of one live room.

Driven over a multiprocessing pipe by the orchestrator. Commands (tuples):

* ("join", rate_per_sec, keep) → opens every client, paced at ``rate_per_sec`` (0: all at
  once), says hello and times open → ``welcome``; replies {"latencies_ms": [...],
  "errors": [...]}. With ``keep`` the clients stay in the room, reading every frame.
* ("chat", senders, duration_secs, start_at, stagger_secs) → the first ``senders`` clients each
  send one chat message a second for ``duration_secs`` from wall-clock ``start_at``; every
  client times each chat message from its send time (in the text) to its arrival; replies
  {"latencies_ms": [...], "sent": n, "first_sent": t, "last_received": t}.
* ("close",) → closes every client and replies {}.

Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

CONNECT_TIMEOUT_SECS = 30.0
CHAT_GRACE_SECS = 10.0


class Client:
    """One browser's socket: joins, then reads every frame until closed."""

    def __init__(self, url: str, origin: str, session_key: str, token: str) -> None:
        self.url, self.origin, self.session_key, self.token = url, origin, session_key, token
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.latencies_ms: list[float] = []
        self.last_received = 0.0

    async def join(self) -> float:
        """Open, say hello, return milliseconds until the welcome."""
        from websockets.asyncio.client import connect

        started = time.perf_counter()
        self.ws = await connect(
            self.url,
            additional_headers={"Cookie": f"sessionid={self.session_key}", "Origin": self.origin},
            max_size=None,
            compression=None,
            ping_interval=None,
            open_timeout=CONNECT_TIMEOUT_SECS,
        )
        await self.ws.send(json.dumps({"type": "hello", "v": 1, "token": self.token}))
        first = await asyncio.wait_for(self.ws.recv(), CONNECT_TIMEOUT_SECS)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if '"type":"welcome"' not in first[:40]:
            raise RuntimeError(f"not welcomed: {first[:200]}")
        return elapsed_ms

    def keep_reading(self) -> None:
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                if '"chat.message"' not in frame:
                    continue  # presence and the rest: read, not parsed
                now = time.time()
                data = json.loads(frame)
                messages = data["messages"] if data.get("type") == "batch" else [data]
                for message in messages:
                    if message.get("type") == "chat.message" and message["text"].startswith("t="):
                        sent = float(message["text"][2:].split(" ", 1)[0])
                        self.latencies_ms.append((now - sent) * 1000)
                        self.last_received = now
        except Exception:
            return

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        if self.ws is not None:
            await self.ws.close()


async def _join_all(clients: list[Client], rate: float, keep: bool) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []

    async def one(client: Client, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            latencies.append(await client.join())
            if keep:
                client.keep_reading()
            else:
                await client.close()
        except Exception as exc:
            errors.append(repr(exc)[:200])

    await asyncio.gather(
        *(one(client, index / rate if rate else 0.0) for index, client in enumerate(clients))
    )
    return {"latencies_ms": latencies, "errors": errors}


async def _chat(
    clients: list[Client], senders: int, duration: float, start_at: float, stagger: float
) -> dict[str, Any]:
    for client in clients:
        client.latencies_ms.clear()
    sent = 0
    failed = 0
    first_sent = 0.0

    async def speak(client: Client, offset: float) -> None:
        nonlocal sent, failed, first_sent
        for second in range(int(duration)):
            at = start_at + offset + second
            await asyncio.sleep(max(0.0, at - time.time()))
            now = time.time()
            first_sent = first_sent or now
            text = f"t={now:.6f} tin nhắn thử {second}"
            try:
                await client.ws.send(json.dumps({"type": "chat.send", "text": text}))
            except Exception:
                failed += 1
                return
            sent += 1

    await asyncio.gather(*(speak(c, i * stagger) for i, c in enumerate(clients[:senders])))
    await asyncio.sleep(CHAT_GRACE_SECS)
    latencies = [value for client in clients for value in client.latencies_ms]
    last = max((client.last_received for client in clients), default=0.0)
    return {
        "latencies_ms": latencies,
        "sent": sent,
        "send_failures": failed,
        "first_sent": first_sent,
        "last_received": last,
    }


async def _serve(conn: Any, clients: list[Client]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command[0] == "join":
            conn.send(await _join_all(clients, command[1], command[2]))
        elif command[0] == "chat":
            conn.send(await _chat(clients, *command[1:]))
        elif command[0] == "close":
            await asyncio.gather(*(client.close() for client in clients), return_exceptions=True)
            conn.send({})
            return


def run(conn: Any, url: str, origin: str, credentials: list[tuple[str, str]]) -> None:
    """Process entry point: one client per (session key, token)."""
    clients = [Client(url, origin, key, token) for key, token in credentials]
    asyncio.run(_serve(conn, clients))
