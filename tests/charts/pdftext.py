"""The words of a PDF, read back with pdfium (as a reader's copy-paste would get them)."""

from __future__ import annotations

import pypdfium2  # type: ignore[import-untyped]


def pdf_text(data: bytes) -> str:
    """Every page's text, joined, with runs of white space made one space."""
    document = pypdfium2.PdfDocument(data)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    return " ".join(text.split())
