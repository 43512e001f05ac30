"""Hostile PDFs for tests: tiny files that cost a renderer much memory or much time."""

from __future__ import annotations

from tests.signaling.pdf import pdf_file


def _document(objects: list[bytes], page_body: bytes) -> bytes:
    """A one-page PDF: ``objects`` first, then the page (``page_body`` names the parent)."""
    objects = list(objects)
    pages_id = len(objects) + 2
    objects.append(b"<< /Type /Page /Parent %d 0 R " % pages_id + page_body + b" >>")
    objects.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (pages_id - 1))
    objects.append(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    return pdf_file(objects, root=len(objects))


def nested_forms_pdf(depth: int, fan: int = 10) -> bytes:
    """A page drawing a form that draws the next form ``fan`` times, ``depth`` levels deep:
    ``fan ** depth`` little squares from a 2 KB file (depth 6: a million, seconds of CPU
    and about a gigabyte of memory in PDFium)."""
    objects: list[bytes] = []
    for level in range(depth + 1):
        if level == 0:
            content, resources = b"0 0 3 3 re f", b""
        else:
            content = b" ".join([b"/F Do"] * fan)
            resources = b"/Resources << /XObject << /F %d 0 R >> >>" % len(objects)
        objects.append(
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 640 360] %s /Length %d >>\nstream\n"
            % (resources, len(content))
            + content
            + b"\nendstream"
        )
    top = len(objects)
    objects.append(b"<< /Length 5 >>\nstream\n/F Do\nendstream")
    return _document(
        objects,
        b"/MediaBox [0 0 640 360] /Contents %d 0 R /Resources << /XObject << /F %d 0 R >> >>"
        % (top + 1, top),
    )
