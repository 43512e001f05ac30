"""What both sockets say when they refuse: one error base and one set of close codes.

A refusal has a ``code`` that is part of the protocol (docs/protocol.md) and parameters
for its sentence; each socket words its codes for its own people (a participant's page,
a viewer's page) in its ``errors.py``, in the connection's language. The close codes are
one vocabulary: the watch page uses the live room's numbers for the same reasons.
"""

from __future__ import annotations

# WebSocket close codes (docs/protocol.md): 4000 + the nearest HTTP status.
CLOSE_PROTOCOL = 4400  # frames that are not the protocol
CLOSE_TOKEN = 4401  # the join token or the session was not accepted
CLOSE_REFUSED = 4403  # not allowed: locked, removed, not let in, not a host
CLOSE_NO_ROOM = 4404  # no such room (or nothing to watch in it)
CLOSE_TIMEOUT = 4408  # no hello in time
CLOSE_REPLACED = 4409  # the same person joined from another tab
CLOSE_ENDED = 4410  # the meeting ended
CLOSE_TOO_FAST = 4429  # too many refused frames or joins
CLOSE_SERVER_ERROR = 1011  # RFC 6455: the server failed


class RealtimeError(Exception):
    """A refused action; ``code`` is part of the protocol, ``message`` is for people."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        """The sentence to show, in the active language."""
        return self.wording(self.code, self.params)

    @staticmethod
    def wording(code: str, params: dict[str, object]) -> str:
        """The sentence for ``code`` (each socket's subclass words its own codes)."""
        return code
