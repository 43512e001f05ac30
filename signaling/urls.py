"""Routes of signaling (filled by the signaling issue)."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []
