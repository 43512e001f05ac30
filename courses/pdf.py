"""A certificate as a one-page A4 PDF, set in Be Vietnam Pro (SIL OFL, fontpkg)."""

from __future__ import annotations

from importlib import resources

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from courses.models import Certificate


def _font(name: str) -> str:
    return str(resources.files("fontpkg_be_vietnam_pro") / "files" / f"BeVietnamPro-{name}.ttf")


def certificate_pdf(certificate: Certificate, *, verify_url: str) -> bytes:
    """The certificate: who, which course, how many hours, who organised it, when, and the
    code and address that verify it."""
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(_("Certificate of completion"))
    pdf.set_author(certificate.organiser_name)
    pdf.add_font("BeVietnamPro", "", _font("Regular"))
    pdf.add_font("BeVietnamPro", "B", _font("Bold"))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_draw_color(20, 70, 140)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    width = 257

    def line(text: str, size: int, *, bold: bool = False, gap: float = 4) -> None:
        pdf.set_font("BeVietnamPro", "B" if bold else "", size)
        pdf.set_x(20)
        pdf.multi_cell(width, size * 0.55, text, align="C")
        pdf.ln(gap)

    pdf.set_y(24)
    line(certificate.organiser_name.upper(), 13, bold=True, gap=10)
    line(_("CERTIFICATE OF COMPLETION"), 26, bold=True, gap=8)
    line(_("This certifies that"), 13)
    line(certificate.teacher_name, 22, bold=True, gap=2)
    if certificate.school_name:
        line(certificate.school_name, 12)
    line(_("has completed the training course"), 13)
    line(certificate.course_title, 17, bold=True)
    hours = f"{certificate.hours:g}".replace(".", ",")
    issued = timezone.localtime(certificate.issued_at)
    line(
        _("Duration: %(hours)s hours · Issued on %(date)s")
        % {"hours": hours, "date": issued.strftime("%d/%m/%Y")},
        12,
        gap=14,
    )
    line(_("Verification code: %(code)s") % {"code": certificate.code}, 12, bold=True, gap=2)
    line(_("Verify at %(url)s") % {"url": verify_url}, 11)
    return bytes(pdf.output())
