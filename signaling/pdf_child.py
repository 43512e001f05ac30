"""Render an untrusted PDF in a child process: ``python -m signaling.pdf_child``.

The web process never opens an uploaded PDF itself. It starts this module with the PDF on
stdin and waits a bounded wall time (signaling/services/slides.py); this process first caps
its own address space and CPU time (``resource.setrlimit``), then renders each page to
``<out>/<n>.png`` with its text in ``<out>/pages.json``. A malicious, huge or slow PDF
costs this one process. No Django here: the child starts fast and holds little.

Arguments: ``<out directory> <max pages> <address space bytes> <cpu seconds>``.
Exit status 0 with ``pages.json`` written, or a refusal code on stdout (``not_pdf``,
``too_many_pages``, ``slides_too_heavy``).
"""

from __future__ import annotations

import json
import resource
import sys
import unicodedata
from pathlib import Path
from typing import Any

from signaling.domain.png import encode_png

PAGE_MAX_WIDTH_PX = 1600
PAGE_MAX_HEIGHT_PX = 1600
PAGE_MAX_SCALE = 3.0
PAGE_TEXT_MAX_CHARS = 20_000
EXIT_REFUSED = 2


def _limit(address_space_bytes: int, cpu_secs: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (address_space_bytes, address_space_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_secs, cpu_secs))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _page_text(page: Any) -> str:
    textpage = page.get_textpage()
    try:
        text = str(textpage.get_text_bounded())
    finally:
        textpage.close()
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.strip()[:PAGE_TEXT_MAX_CHARS]


def _render_page(page: Any, number: int, out: Path) -> dict[str, Any]:
    width_pt, height_pt = page.get_size()
    scale = min(
        PAGE_MAX_WIDTH_PX / max(width_pt, 1.0),
        PAGE_MAX_HEIGHT_PX / max(height_pt, 1.0),
        PAGE_MAX_SCALE,
    )
    bitmap = page.render(scale=scale, rev_byteorder=True)
    try:
        png = encode_png(
            bitmap.buffer, width=bitmap.width, height=bitmap.height, stride=bitmap.stride
        )
        (out / f"{number}.png").write_bytes(png)
        return {"number": number, "width": bitmap.width, "height": bitmap.height}
    finally:
        bitmap.close()


def render(data: bytes, *, max_pages: int, out: Path) -> str:
    """Render every page into ``out``; return "" or a refusal code."""
    import pypdfium2  # type: ignore[import-untyped]

    if not data.startswith(b"%PDF-"):
        return "not_pdf"
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        return "not_pdf"
    count = len(document)
    if count == 0:
        return "not_pdf"
    if count > max_pages:
        return "too_many_pages"
    pages = []
    for index in range(count):
        page = document[index]
        try:
            rendered = _render_page(page, index + 1, out)
            rendered["text"] = _page_text(page)
            pages.append(rendered)
        finally:
            page.close()
    (out / "pages.json").write_text(json.dumps(pages), encoding="utf-8")
    return ""


def main(argv: list[str]) -> int:
    """Cap this process, read the PDF from stdin, render it."""
    out, max_pages, address_space, cpu_secs = argv
    _limit(int(address_space), int(cpu_secs))
    try:
        refusal = render(sys.stdin.buffer.read(), max_pages=int(max_pages), out=Path(out))
    except MemoryError:
        refusal = "slides_too_heavy"
    if refusal:
        sys.stdout.write(refusal)
        return EXIT_REFUSED
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
