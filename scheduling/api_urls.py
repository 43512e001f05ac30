"""Routes of scheduling (filled by the scheduling issue)."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []
