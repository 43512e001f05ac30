"""Form fields every app's forms share (rooms is the app below them all)."""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms


class NfcField(forms.CharField):
    """Text stored as Unicode NFC, whatever the keyboard sent (C53 Art. 17.3)."""

    def to_python(self, value: Any) -> str:
        return unicodedata.normalize("NFC", super().to_python(value) or "")
