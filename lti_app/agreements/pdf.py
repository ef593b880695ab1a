"""The PDF of a signed agreement or addendum: the college's name (and logo) on top, its canonical
text, the signature block and the SHA-256 of the text, with where to verify it.

Made once, when the last party signs, and stored with the document: a download always returns
those same bytes, so the SHA-256 of the PDF itself identifies a signed version too: a college
renamed later, or a new logo, changes only PDFs made after; the file name is made per download.
The font is Noto Sans from the fontpkg-noto-sans package (every name a Flemish class list holds,
and more).
"""

from __future__ import annotations

import io
import unicodedata
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote

import fontpkg_noto_sans
from babel.dates import format_datetime
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF

from lti_app import clock
from lti_app.agreements.models import AgreementDocument, DocumentKind, Signature
from lti_app.agreements.text import PARTY_LABELS
from lti_app.colleges.models import College

FAMILY = "NotoSans"


@cache
def _font_file() -> str:
    files = Path(fontpkg_noto_sans.ROOT) / "files"
    found = sorted(p for p in files.glob("NotoSans*.ttf") if "Italic" not in p.name)
    if not found:
        raise RuntimeError(f"Noto Sans is missing from {files}")
    return str(found[0])


@cache
def _covered() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(_font_file()).getBestCmap())


def _lacks_glyphs(text: str) -> bool:
    covered = _covered()
    return any(ord(c) not in covered for c in set(text) if c not in "\n\t")


@cache
def _fallback_font() -> str | None:
    """DejaVu Sans where the system has it (Debian's fonts-dejavu-core)."""
    path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    return str(path) if path.is_file() else None


def verify_url(digest: str) -> str:
    return f"{str(current_app.config['BASE_URL']).rstrip('/')}/verify/{digest}"


def download_name(document: AgreementDocument) -> str:
    """The file name a party saves the PDF as, in the language of its text: what it is and whose.

    Computed at download time; the stored bytes stay as they were signed.
    """
    agreement = document.agreement
    student = agreement.placement.student.display_name
    with force_locale(agreement.template.language):
        if document.kind == DocumentKind.ADDENDUM:
            name = _(
                "Addendum %(number)d to the placement agreement %(student)s",
                number=document.number,
                student=student,
            )
        else:
            name = _("Placement agreement %(student)s", student=student)
    # A name is no path: nothing that would make a folder or an invisible character.
    cleaned = "".join(" " if c in "/\\" or unicodedata.category(c)[0] == "C" else c for c in name)
    return " ".join(cleaned.split()) + ".pdf"


def attachment(filename: str) -> str:
    """A Content-Disposition for ``filename`` (RFC 6266): UTF-8 for browsers that read RFC 5987,
    an ASCII approximation ("Claes", "Celine" for "Céline") for those that do not."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = ascii_name.replace('"', "'").replace("\\", "") or "document.pdf"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _when(value: datetime, language: str) -> str:
    return str(format_datetime(clock.in_brussels(value), "d MMMM yyyy HH:mm", locale=language))


def _signature_lines(signature: Signature, language: str) -> list[str]:
    email = f" <{signature.signer_email}>" if signature.signer_email else ""
    return [
        f"{str(PARTY_LABELS[signature.party.value]).capitalize()}: {signature.signer_name}{email}",
        _(
            "as %(role)s, on %(when)s (Brussels time)",
            role=role_label(signature.signer_role),
            when=_when(signature.signed_at, language),
        ),
        f"SHA-256: {signature.text_sha256}",
    ]


def role_label(role: str) -> str:
    labels = {
        "student": _("student"),
        "mentor": _("mentor"),
        "contact": _("contact person of the school"),
        "coach": _("coach (stagebegeleider)"),
        "coordinator": _("coordinator"),
    }
    return labels.get(role, role)


def _heading(pdf: FPDF, size: float) -> None:
    pdf.set_font(FAMILY, "", size)
    pdf.set_text_color(11, 110, 79)  # the stylesheet's accent green


def _letterhead(pdf: FPDF, college: College) -> None:
    """The college's logo (when it has one) and name above the text, as on its own letters."""
    if college.logo:
        # A logo fpdf2 cannot read (whatever it raises) must not stop a signed PDF being made.
        try:
            pdf.image(io.BytesIO(college.logo), h=14, keep_aspect_ratio=True)
        except Exception:
            current_app.logger.warning("college %s: logo is not an image fpdf2 reads", college.id)
        pdf.ln(1)
    _heading(pdf, 10.5)
    pdf.multi_cell(0, 5, college.name, new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.ln(3)


def _body(pdf: FPDF) -> None:
    pdf.set_font(FAMILY, "", 10)
    pdf.set_text_color(20, 20, 20)


class _Pdf(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def render_pdf(document: AgreementDocument) -> bytes:
    """The PDF of a signed document, in the language its text was written in."""
    agreement = document.agreement
    language = agreement.template.language
    valid = [s for s in document.signatures if s.voided_at is None]
    with force_locale(language):
        title = (
            _(
                "Addendum %(number)d to agreement %(agreement)d",
                number=document.number,
                agreement=agreement.id,
            )
            if document.kind == DocumentKind.ADDENDUM
            else _("Placement agreement %(number)d", number=agreement.id)
        )
        pdf = _Pdf(format="A4")
        pdf.footer_text = f"Driehoek · {title} · SHA-256 {document.text_sha256[:16]}…"
        pdf.set_title(title)
        pdf.set_author("Driehoek")
        pdf.set_creator("Driehoek")
        pdf.set_lang(language)
        if document.signed_at is not None:
            pdf.set_creation_date(document.signed_at)
        # One weight only: making a bold instance of the variable font costs seconds a PDF;
        # headings stand out by size and colour instead.
        pdf.add_font(FAMILY, "", _font_file())
        fallback = _fallback_font()
        college = agreement.placement.course.platform.college
        drawn = document.text + college.name + "".join(s.signer_name for s in valid)
        if fallback and _lacks_glyphs(drawn):
            # For what people type that Noto Sans lacks (arrows, symbols); loading it costs.
            pdf.add_font("Fallback", "", fallback)
            pdf.set_fallback_fonts(["Fallback"], exact_match=False)
        pdf.set_auto_page_break(auto=True, margin=18)
        pdf.set_margins(18, 18, 18)
        pdf.add_page()
        _letterhead(pdf, college)

        pdf.set_font(FAMILY, "", 10)
        first, *rest = document.text.rstrip("\n").split("\n")
        _heading(pdf, 15)
        pdf.multi_cell(0, 8, first, new_x="LMARGIN", new_y="NEXT", align="L")
        _body(pdf)
        pdf.set_font(FAMILY, "", 10)
        parties_heading = _("Parties")
        for line in rest:
            heading = line == parties_heading or (
                bool(line) and line[0].isdigit() and ". " in line[:4]
            )
            if heading:
                pdf.ln(1)
                _heading(pdf, 11.5)
            pdf.multi_cell(
                0, 5.5 if heading else 5, line or " ", new_x="LMARGIN", new_y="NEXT", align="L"
            )
            if heading:
                _body(pdf)

        pdf.ln(4)
        # The signature block and the hash stay together on one page.
        needed = 12 + 17 * len(valid) + 40
        if pdf.get_y() + needed > pdf.h - pdf.b_margin:
            pdf.add_page()
        _heading(pdf, 12.5)
        pdf.multi_cell(0, 7, _("Signatures"), new_x="LMARGIN", new_y="NEXT", align="L")
        _body(pdf)
        for signature in valid:
            for line in _signature_lines(signature, language):
                pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT", align="L")
            pdf.ln(2)

        pdf.ln(2)
        _heading(pdf, 10.5)
        pdf.multi_cell(
            0, 5, _("SHA-256 of the signed text:"), new_x="LMARGIN", new_y="NEXT", align="L"
        )
        _body(pdf)
        pdf.multi_cell(0, 5, document.text_sha256, new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.ln(2)
        pdf.multi_cell(
            0,
            5,
            _(
                "Check whether this document matches the signed version at %(url)s, or upload "
                "this PDF there.",
                url=verify_url(document.text_sha256),
            ),
            new_x="LMARGIN",
            new_y="NEXT",
            align="L",
        )
        return bytes(pdf.output())
