"""Load-generator process of bench/signaling.py: many WebSocket clients of one live room.

Driven over a multiprocessing pipe by the orchestrator. Commands (tuples):

* ("join", rate_per_sec, keep) → opens every client, paced at ``rate_per_sec`` (0: all at
  once), says hello and times open → ``welcome``; replies {"latencies_ms": [...],
  "errors": [...]}. With ``keep`` the clients stay in the room, reading every frame.
* ("chat", offsets_secs, duration_secs, start_at) → the first ``len(offsets_secs)`` clients
  each send one chat message a second for ``duration_secs``, client k from wall-clock
  ``start_at + offsets_secs[k]``; every client times each chat message from its send time
  (in the text) to its arrival; replies {"latencies_ms": [...], "sent": n, "first_sent": t,
  "last_received": t, "received": [per client], "loop_lag_ms": [...]} (how late this
  process's event loop woke for a 50-ms timer: a busy generator shows here).
* ("close",) → closes every client and replies {}.

``lean`` clients (bench/ws_lean.py) cost a fraction of the ``websockets`` client per
received frame; the cross-process run needs them to deliver 50,000 frames a second.
Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import json
import time
from array import array
from typing import Any

from bench import ws_lean

CONNECT_TIMEOUT_SECS = 60.0
CHAT_GRACE_SECS = 10.0
LAG_TICK_SECS = 0.05
CHAT_MARK = b'"chat.message"'
TEXT_MARK = b'"text":"t='


class Client:
    """One browser's socket: joins, then reads every frame until closed."""

    def __init__(self, url: str, origin: str, session_key: str, token: str) -> None:
        self.url, self.origin, self.session_key, self.token = url, origin, session_key, token
        self.ws: Any = None
        self.joined = False
        self.server = 0  # the index of this client's URL (its daphne process)
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

    async def send(self, text: str) -> None:
        await self.ws.send(text)

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        if self.ws is not None:
            await self.ws.close()


class LeanClient:
    """The same browser's socket on bench/ws_lean.py: chat frames found by their bytes."""

    def __init__(self, url: str, origin: str, session_key: str, token: str) -> None:
        self.url, self.origin, self.session_key, self.token = url, origin, session_key, token
        self.socket: ws_lean.LeanSocket | None = None
        self.joined = False
        self.server = 0  # the index of this client's URL (its daphne process)
        self.server_mark = b"0"
        self.remote_ms: array[float] = array("d")
        self.welcome: asyncio.Future[bytes] | None = None
        self.latencies_ms: array[float] = array("d")
        self.last_received = 0.0

    async def join(self) -> float:
        """Open, say hello, return milliseconds until the welcome."""
        self.welcome = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        headers = {"Cookie": f"sessionid={self.session_key}", "Origin": self.origin}
        self.socket = await ws_lean.connect(self.url, headers, self._on_text, CONNECT_TIMEOUT_SECS)
        self.socket.send_text(json.dumps({"type": "hello", "v": 1, "token": self.token}))
        first = await asyncio.wait_for(asyncio.shield(self.welcome), CONNECT_TIMEOUT_SECS)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if not first.startswith(b'{"type":"welcome"'):
            raise RuntimeError(f"not welcomed: {first[:200]!r}")
        return elapsed_ms

    def _on_text(self, payload: bytes) -> None:
        welcome = self.welcome
        if welcome is not None and not welcome.done():
            welcome.set_result(payload)
            return
        if CHAT_MARK not in payload:
            return  # presence and the rest: read, not parsed
        now = time.time()
        at = payload.find(TEXT_MARK)
        while at >= 0:
            start = at + len(TEXT_MARK)
            space = payload.index(b" ", start)
            latency_ms = (now - float(payload[start:space])) * 1000
            self.latencies_ms.append(latency_ms)
            if payload[space + 3 : space + 4] != self.server_mark:
                self.remote_ms.append(latency_ms)  # relayed from another process
            at = payload.find(TEXT_MARK, start)
        self.last_received = now

    def keep_reading(self) -> None:
        """Frames are read as they come (nothing to start)."""

    async def send(self, text: str) -> None:
        assert self.socket is not None
        self.socket.send_text(text)

    async def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
            await asyncio.wait_for(asyncio.shield(self.socket.closed), CONNECT_TIMEOUT_SECS)


async def _join_all(clients: list[Any], rate: float, keep: bool) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []

    async def one(client: Client, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            latencies.append(await client.join())
            client.joined = True
            if keep:
                client.keep_reading()
            else:
                await client.close()
        except Exception as exc:
            errors.append(repr(exc)[:200])
            # A page that gave up closes its socket: a late welcome must not make it a
            # member that the chat then counts (or misses).
            await asyncio.gather(client.close(), return_exceptions=True)

    started = time.time()
    await asyncio.gather(
        *(one(client, index / rate if rate else 0.0) for index, client in enumerate(clients))
    )
    return {"latencies_ms": latencies, "errors": errors, "started": started, "ended": time.time()}


async def _loop_lag(lags: list[float]) -> None:
    """How late the loop wakes for a timer, every ``LAG_TICK_SECS``, until cancelled."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + LAG_TICK_SECS
        await asyncio.sleep(LAG_TICK_SECS)
        lags.append((loop.time() - due) * 1000)


async def _chat(
    clients: list[Any], offsets: list[float], duration: float, start_at: float
) -> dict[str, Any]:
    for client in clients:
        del client.latencies_ms[:]
        if isinstance(client, LeanClient):
            del client.remote_ms[:]
    lags: list[float] = []
    lag_task = asyncio.ensure_future(_loop_lag(lags))
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
            # s=: the sender's server, so a member tells a message relayed over Redis
            # from one its own process delivered.
            text = f"t={now:.6f} s={client.server} tin nhắn thử {second}"
            try:
                await client.send(json.dumps({"type": "chat.send", "text": text}))
            except Exception:
                failed += 1
                return
            sent += 1

    await asyncio.gather(*(speak(c, offset) for c, offset in zip(clients, offsets, strict=False)))
    await asyncio.sleep(CHAT_GRACE_SECS)
    lag_task.cancel()
    latencies = [value for client in clients for value in client.latencies_ms]
    last = max((client.last_received for client in clients), default=0.0)
    return {
        "latencies_ms": latencies,
        "sent": sent,
        "send_failures": failed,
        "first_sent": first_sent,
        "last_received": last,
        # -1: never joined (its join error is counted already)
        "received": [len(client.latencies_ms) if client.joined else -1 for client in clients],
        "loop_lag_ms": lags,
        "remote_latencies_ms": [
            value for client in clients for value in getattr(client, "remote_ms", ())
        ],
    }


async def _serve(conn: Any, clients: list[Any]) -> None:
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


def run(conn: Any, urls: list[str], credentials: list[tuple[str, str]], lean: bool = False) -> None:
    """Process entry point: one client per (session key, token), client k on ``urls[k % n]``
    (each URL's origin is its own server's)."""
    kind = LeanClient if lean else Client
    clients = []
    for index, (key, token) in enumerate(credentials):
        url = urls[index % len(urls)]
        origin = "http://" + url.split("://", 1)[1].split("/", 1)[0]
        client = kind(url, origin, key, token)
        client.server = index % len(urls)
        if isinstance(client, LeanClient):
            client.server_mark = str(client.server).encode()
        clients.append(client)
    asyncio.run(_serve(conn, clients))
