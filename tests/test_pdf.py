"""The shared PDF module: Arabic shaped (joined letters, the lam-alef ligature) and laid out
right to left, Portuguese and French letters present, a real PDF out."""

from __future__ import annotations

from app.documents import _is_pdf
from app.documents.pdf import PdfDocument


def glyphs(doc: PdfDocument) -> set[str]:
    """The glyphs drawn so far, in every style of the font."""
    return {name for font in doc.pdf.fonts.values()
            for name in font.subset.get_all_glyph_names()}


def test_arabic_letters_join_and_run_right_to_left():
    doc = PdfDocument("شهادة", "ar")
    doc.heading("السلام")
    used = glyphs(doc)
    # Shaped: lam in its initial form, seen in its medial form, lam-alef as one ligature;
    # unshaped text would use the isolated letters (U+0644 lam, U+0633 seen).
    assert {"uniFEDF", "uniFEB4", "uniFEFC"} <= used
    assert not {"uni0644", "uni0633"} & used
    assert doc.rtl and doc.align == "R"
    data = doc.output()
    assert _is_pdf(data) and b"/Lang (ar)" in data


def test_portuguese_and_french_letters_are_in_the_font():
    doc = PdfDocument("Carta", "pt-BR")
    doc.paragraph("Formação em acção social — São Tomé")
    doc.facts([("Pedido", "#12 Criança"), ("Référence", "Élève à l'école")])
    assert {"ccedilla", "atilde"} <= glyphs(doc)
    assert {"eacute", "agrave", "Eacute"} <= glyphs(doc)
    assert not doc.rtl
    assert _is_pdf(doc.output())
