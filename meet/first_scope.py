"""Start a web process's companion task once, on daphne's own loop, at its first scope.

daphne has no ASGI lifespan: the first connection (a page, a socket, the health check) is
the first moment code runs on the loop that will serve every request.
"""

from __future__ import annotations

from typing import Any

Scope = dict[str, Any]


class StartOnFirstScope:
    """ASGI middleware: ``start()`` runs once, before the first scope is served."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.started = False

    def start(self) -> None:
        """What to start (subclasses)."""
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if not self.started:
            self.started = True
            self.start()
        return await self.app(scope, receive, send)
