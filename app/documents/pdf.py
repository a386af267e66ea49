"""PDF documents the portal writes for people to keep: completion letters, certificates.

fpdf2 draws them with DejaVu Sans (Debian's fonts-dejavu-core, which scripts/bootstrap
installs), one font with the Latin letters of Portuguese and French and the Arabic ones;
HarfBuzz (uharfbuzz) shapes the text, so Arabic letters join, and fpdf2's bidirectional
algorithm runs them right to left. A right-to-left document also aligns its lines to the
right and puts a row's label on the right of its value.

    doc = PdfDocument(title="Completion letter", lang="ar")
    doc.heading("...")
    doc.paragraph("...")
    doc.facts([("Expert", "..."), ("Dates", "...")])
    data = doc.output()
"""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
LINE = 6.5  # mm, for 11 pt text
LABEL_WIDTH = 55  # mm, the label column of facts


class FontMissing(RuntimeError):
    """The PDF font is not installed (a setup problem, not a person's input)."""


class PdfDocument:
    """An A4 document (landscape for certificates) in one language."""

    def __init__(self, title: str, lang: str, landscape: bool = False, author: str = ""):
        # Imported here: fpdf2 with fontTools and Pillow adds about 45 MB to every web
        # process, and only the few pages that hand out a PDF need it.
        from fpdf import FPDF

        self.rtl = lang.split("-")[0] in RTL_LANGUAGES
        self.align = "R" if self.rtl else "L"
        pdf = FPDF(orientation="landscape" if landscape else "portrait", format="A4")
        for style, name in FONT_FILES.items():
            path = FONT_DIR / name
            if not path.is_file():
                raise FontMissing(f"{path} is missing: install Debian's fonts-dejavu-core")
            pdf.add_font(FONT, style, str(path))
        pdf.set_text_shaping(use_shaping_engine=True)
        pdf.set_margins(22, 22, 22)
        pdf.set_auto_page_break(True, margin=22)
        pdf.set_title(title)
        pdf.set_lang(lang)
        pdf.set_creator("Diaspora Bridge")
        if author:
            pdf.set_author(author)
        pdf.add_page()
        pdf.set_font(FONT, size=11)
        self.pdf = pdf

    def _write(self, text: str, size: float, bold: bool = False, align: str | None = None,
               line: float | None = None) -> None:
        self.pdf.set_font(FONT, "B" if bold else "", size)
        self.pdf.multi_cell(0, line or size * 0.55, text, align=align or self.align,
                            new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str, size: float = 18, centred: bool = False) -> None:
        self._write(text, size, bold=True, align="C" if centred else None)
        self.space(3)

    def paragraph(self, text: str, size: float = 11, centred: bool = False) -> None:
        """One paragraph; line breaks in the text are kept."""
        self._write(text, size, align="C" if centred else None, line=LINE * size / 11)
        self.space(2.5)

    def facts(self, rows: list[tuple[str, str]]) -> None:
        """Label and value, one row each; the value wraps in its column."""
        pdf = self.pdf
        width = pdf.w - pdf.l_margin - pdf.r_margin
        for label, value in rows:
            top = pdf.get_y()
            label_x = pdf.w - pdf.r_margin - LABEL_WIDTH if self.rtl else pdf.l_margin
            value_x = pdf.l_margin if self.rtl else pdf.l_margin + LABEL_WIDTH
            pdf.set_font(FONT, "B", 11)
            pdf.set_xy(label_x, top)
            pdf.multi_cell(LABEL_WIDTH - 3, LINE, label, align=self.align, new_x="LMARGIN",
                           new_y="NEXT")
            after_label = pdf.get_y()
            pdf.set_font(FONT, "", 11)
            pdf.set_xy(value_x, top)
            pdf.multi_cell(width - LABEL_WIDTH, LINE, value or "—", align=self.align,
                           new_x="LMARGIN", new_y="NEXT")
            pdf.set_y(max(after_label, pdf.get_y()) + 1)
        self.space(2)

    def space(self, mm: float) -> None:
        self.pdf.ln(mm)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
