"""When a mail that the server refused is tried again: exponential back-off, capped."""

from __future__ import annotations


def retry_delay_secs(*, attempts: int, base_secs: int, max_secs: int) -> int:
    """Seconds to wait after ``attempts`` failed tries: base, 2×base, 4×base … up to max."""
    if attempts < 1:
        return 0
    # The exponent is bounded so a large attempt count cannot build a huge integer.
    return min(max_secs, base_secs * 2 ** min(attempts - 1, 32))


def gives_up(*, attempts: int, max_attempts: int) -> bool:
    """After this many failed tries the mail is recorded as failed for good."""
    return attempts >= max(1, max_attempts)
