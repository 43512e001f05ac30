"""Seats held for participants whose connection dropped (issue 13, item 5).

A socket that closes without the page saying goodbye (close code 1000) is most often a
mobile link that vanished for a few seconds. Its participant stays in the meeting — in
the list, with the raised hand, the poll votes and an open attendance — for
``conf.reconnect_grace_secs()``: a page that comes back meanwhile resumes the same
participant (``hello.resume``) as one continuous presence. When the time is up, the
leave runs with the moment the connection vanished, so attendance counts the person
as gone from then.

The seat is held where the connection was: this process keeps vouching for the peer
(signaling/presence.py) until the leave. If the page comes back through another process,
the leave finds another channel on the participant and leaves it alone
(``services.joins.participants_leave``); if this process dies, the stale sweep does it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

_held: dict[str, asyncio.Task[None]] = {}


def hold(peer: str, *, secs: float, leave: Callable[[], Awaitable[None]]) -> None:
    """Keep ``peer``'s seat for ``secs``, then run ``leave`` unless ``release``d first."""
    release(peer)
    _held[peer] = asyncio.get_running_loop().create_task(_wait_then_leave(peer, secs, leave))


def release(peer: str) -> bool:
    """The participant is back (or gone for good): drop the pending leave, if any."""
    task = _held.pop(peer, None)
    if task is None:
        return False
    task.cancel()
    return True


def held() -> list[str]:
    """The peers whose seats this process holds now."""
    return sorted(_held)


async def _wait_then_leave(peer: str, secs: float, leave: Callable[[], Awaitable[None]]) -> None:
    # Held until the leave is done: a page that comes back meanwhile cancels the leave,
    # whose database part then finds the participant taken over (or, if it ran first,
    # the page's join opens a new presence, as after any leave).
    try:
        await asyncio.sleep(secs)
        await leave()
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("the held seat of %s was not given up", peer)
    finally:
        if _held.get(peer) is asyncio.current_task():
            del _held[peer]
