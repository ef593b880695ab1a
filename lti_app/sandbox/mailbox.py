"""The sandbox's mailbox: the .eml files Driehoek writes to instance/mail/ without MAIL_URL.

A newcomer invites a mentor, opens the mailbox and follows the link in the mail, as the mentor
would. Only files the FileMailer wrote are read, by a name that cannot leave the folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import cast

from markupsafe import Markup, escape

# FileMailer's names: 20250301T101502123456Z-1a2b3c4d.eml
MAIL_NAME = re.compile(r"^[0-9]{8}T[0-9]{12}Z-[0-9a-f]{8}\.eml$")
URL = re.compile(r"https?://[^\s<>\"']+")
LISTED = 200


@dataclass(frozen=True)
class Mail:
    name: str
    subject: str
    to: str
    sender: str
    date: str
    text: str = ""


def _parse(path: Path, headers_only: bool) -> EmailMessage:
    with path.open("rb") as f:
        return cast(
            EmailMessage, BytesParser(policy=policy.default).parse(f, headersonly=headers_only)
        )


def _mail(path: Path, message: EmailMessage, text: str = "") -> Mail:
    return Mail(
        name=path.name,
        subject=str(message.get("Subject", "")),
        to=str(message.get("To", "")),
        sender=str(message.get("From", "")),
        date=str(message.get("Date", "")),
        text=text,
    )


def list_mail(directory: Path) -> list[Mail]:
    """The newest messages first (their names start with the time they were written)."""
    if not directory.is_dir():
        return []
    names = sorted((p.name for p in directory.iterdir() if MAIL_NAME.match(p.name)), reverse=True)
    return [_mail(directory / n, _parse(directory / n, True)) for n in names[:LISTED]]


def read_mail(directory: Path, name: str) -> Mail | None:
    """One message with its plain-text part, or None for a name that is no mail of ours."""
    if not MAIL_NAME.match(name):
        return None
    path = directory / name
    if not path.is_file():
        return None
    message = _parse(path, False)
    body = message.get_body(("plain",))
    text = cast(EmailMessage, body).get_content() if body is not None else ""
    return _mail(path, message, text.replace("\r\n", "\n"))


def linkify(text: str) -> Markup:
    """The text, escaped, with its web addresses as links a newcomer can follow."""
    parts: list[str] = []
    last = 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(".,;:)")
        parts.append(str(escape(text[last : match.start()])))
        parts.append(f'<a href="{escape(url)}" rel="noreferrer">{escape(url)}</a>')
        last = match.start() + len(url)
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))  # noqa: S704  # every piece above is escaped
