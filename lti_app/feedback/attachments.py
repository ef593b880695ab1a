"""Attachments on a placement's feedback (a lesson plan with a request, a document or photo with
a form): what a file is, told from its bytes, and storing it in the database.

What a file is comes from its content alone, never from its name or the Content-Type the browser
sent: both are whatever the sender wants them to be. Seven kinds are taken — PDF, Word (DOCX),
OpenDocument text (ODT) and PNG, JPEG, GIF and WebP images — and everything else is refused,
a program or script with a message of its own. The two ZIP-based kinds are read with ``zipfile``
without extracting anything: only the central directory is read (after checking from its end
record that it holds a sane number of entries), and for ODT the few bytes of its stored
``mimetype`` entry.

A hand-written check of seven signatures rather than python-magic (it needs libmagic on every
app server, and names DOCX inconsistently across libmagic versions) or a pure-Python sniffing
package (not installed, and they look at the first bytes only, so any ZIP would pass as DOCX).
"""

from __future__ import annotations

import hashlib
import io
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.feedback.models import FeedbackAttachment
from lti_app.placements.models import Placement

MB = 1024 * 1024
NAME_LIMIT = 120  # characters of a stored file name, its extension included
ZIP_MEMBER_LIMIT = 2000  # a real DOCX or ODT has tens of entries; a ZIP bomb has many thousands


@dataclass(frozen=True)
class Kind:
    mime: str
    extensions: tuple[str, ...]  # the first is the one given to a name without a fitting one
    label: str  # what people call it, in the list of kinds taken


PDF = Kind("application/pdf", ("pdf",), "PDF")
DOCX = Kind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",), "Word"
)
ODT = Kind("application/vnd.oasis.opendocument.text", ("odt",), "OpenDocument")
PNG = Kind("image/png", ("png",), "PNG")
JPEG = Kind("image/jpeg", ("jpg", "jpeg"), "JPEG")
GIF = Kind("image/gif", ("gif",), "GIF")
WEBP = Kind("image/webp", ("webp",), "WebP")
KINDS = (PDF, DOCX, ODT, PNG, JPEG, GIF, WEBP)
# For the file chooser's accept attribute: a hint to the browser only, never trusted.
ACCEPT = ",".join(
    [f".{ext}" for kind in KINDS for ext in kind.extensions] + [kind.mime for kind in KINDS]
)

# Programs and scripts: refused with a message that says so (they are not allowed anyway).
_PROGRAMS = (
    b"\x7fELF",  # Linux
    b"MZ",  # Windows (.exe, .dll)
    b"#!",  # a script
    b"\xca\xfe\xba\xbe",  # macOS universal
    b"\xcf\xfa\xed\xfe",  # macOS 64-bit
    b"\xce\xfa\xed\xfe",  # macOS 32-bit
)


class AttachmentRefused(ValueError):
    """A file that is not stored; ``message`` (translated when shown) says why to the sender."""

    def __init__(self, reason: str, message: Any):
        super().__init__(reason)
        self.reason = reason  # for the log
        self.message = message


def kinds_taken() -> str:
    return ", ".join(kind.label for kind in KINDS)


def sniff(data: bytes) -> Kind:
    """What ``data`` is.

    :raise AttachmentRefused: empty, a program or script, or none of the kinds taken.
    """
    if not data:
        raise AttachmentRefused("empty", _l("The file is empty. Choose another file."))
    if data.startswith(_PROGRAMS):
        raise AttachmentRefused(
            "program",
            _l(
                "This file is a program or a script, whatever its name says, and is never "
                "accepted. Attach a document (%(kinds)s) instead.",
                kinds=kinds_taken(),
            ),
        )
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"PK\x03\x04"):
        found = _zip_kind(data)
        if found is not None:
            return found
    raise AttachmentRefused(
        "not allowed",
        _l(
            "This kind of file is not accepted. Attach a PDF, Word or OpenDocument text, or a "
            "photo (%(kinds)s).",
            kinds=kinds_taken(),
        ),
    )


def _zip_kind(data: bytes) -> Kind | None:
    """DOCX or ODT, or None for any other ZIP (or a damaged one)."""
    if _zip_entries(data) is None:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {entry.filename for entry in entries}
            first = entries[0] if entries else None
            # ODF: the archive's first entry, stored uncompressed, names the kind.
            if (
                first is not None
                and data[30:38] == b"mimetype"
                and first.filename == "mimetype"
                and first.compress_type == zipfile.ZIP_STORED
                and first.file_size < 100
            ):
                # Stored and tiny: reading it decompresses nothing.
                if archive.read(first).strip() == ODT.mime.encode("ascii"):
                    return ODT
                return None
            word = any(name.startswith("word/") for name in names)
            # A macro-carrying document (.docm) renamed .docx is not a Word document to open.
            macros = any(name.lower().endswith("vbaproject.bin") for name in names)
            if "[Content_Types].xml" in names and word and not macros:
                return DOCX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError):
        return None
    return None


def _zip_entries(data: bytes) -> int | None:
    """The number of entries the ZIP's end record announces, before zipfile reads them all;
    None for no end record, a ZIP64 one (no lesson plan needs one) or too many entries."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or len(data) < end + 22:
        return None
    (count,) = struct.unpack("<H", data[end + 10 : end + 12])
    if count == 0xFFFF or count > ZIP_MEMBER_LIMIT:
        return None
    return int(count)


def shown_name(name: str) -> str:
    """A sent file name as it may be shown or stored: no folders, no control or
    direction-changing characters, accents kept, at most NAME_LIMIT characters."""
    return _plain(name)[:NAME_LIMIT]


def _plain(name: str) -> str:
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # C*: controls, format characters (a right-to-left override makes "fdp.exe" look like
    # "exe.pdf"), unassigned and private-use code points.
    name = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in name)
    return " ".join(name.split()).strip(" .")


def clean_name(name: str, kind: Kind) -> str:
    """The name to store and offer on download: ``shown_name``, with an extension that fits what
    the file is (a PDF sent as "lesplan.docx" downloads as "lesplan.docx.pdf")."""
    name = _plain(name)
    stem, dot, extension = name.rpartition(".")
    if not dot or extension.lower() not in kind.extensions:
        stem, extension = name, kind.extensions[0]
    stem = stem.strip(" .") or "attachment"
    return stem[: NAME_LIMIT - len(extension) - 1].rstrip(" .") + "." + extension.lower()


def store(
    session: Session,
    placement: Placement,
    filename: str,
    data: bytes,
    uploaded_by: str,
    *,
    max_bytes: int,
    request_id: int | None = None,
    form_id: int | None = None,
) -> FeedbackAttachment:
    """Keep ``data`` as an attachment of a request or form of the placement (the caller checked
    that the uploader may, and that the request or form is of this placement); flushed, not
    committed.

    :raise AttachmentRefused: too big, empty, or not a kind taken; nothing is stored.
    """
    if (request_id is None) == (form_id is None):
        raise ValueError("an attachment belongs to a request or to a form")
    if len(data) > max_bytes:
        raise AttachmentRefused(
            "too big",
            _l(
                "This file is larger than %(limit)d MB, the most an attachment may be. Make it "
                "smaller (a PDF rather than photos of pages, or a smaller photo) and try again.",
                limit=max_bytes // MB,
            ),
        )
    kind = sniff(data)
    attachment = FeedbackAttachment(
        placement_id=placement.id,
        request_id=request_id,
        form_id=form_id,
        uploaded_by=uploaded_by,
        filename=clean_name(filename, kind),
        mime=kind.mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
    )
    session.add(attachment)
    session.flush()
    return attachment


def attachments_of(session: Session, kind: str, owner_id: int) -> list[FeedbackAttachment]:
    """A request's (``kind`` "request") or form's ("form") attachments, oldest first; their
    bytes are not loaded."""
    if kind not in ("request", "form"):
        raise ValueError(f"attachments belong to a request or a form, not to {kind!r}")
    column = FeedbackAttachment.request_id if kind == "request" else FeedbackAttachment.form_id
    return list(
        session.scalars(
            select(FeedbackAttachment)
            .where(column == owner_id)
            .order_by(FeedbackAttachment.created_at, FeedbackAttachment.id)
        )
    )


def attachments_of_many(
    session: Session, kind: str, owner_ids: list[int]
) -> dict[int, list[FeedbackAttachment]]:
    """``attachments_of`` for many requests or forms in one statement: owner id → its list
    (every id given has one, empty when it has none)."""
    if kind not in ("request", "form"):
        raise ValueError(f"attachments belong to a request or a form, not to {kind!r}")
    column = FeedbackAttachment.request_id if kind == "request" else FeedbackAttachment.form_id
    found: dict[int, list[FeedbackAttachment]] = {owner: [] for owner in owner_ids}
    if owner_ids:
        for item in session.scalars(
            select(FeedbackAttachment)
            .where(column.in_(owner_ids))
            .order_by(FeedbackAttachment.created_at, FeedbackAttachment.id)
        ):
            owner = item.request_id if kind == "request" else item.form_id
            if owner is not None:
                found[owner].append(item)
    return found
