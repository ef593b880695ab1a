"""Delivering one rendered message: over SMTP when ``MAIL_URL`` is set, else as an .eml file.

``MAIL_URL`` forms: ``smtp://host:25``, ``smtp://user:password@host:587?starttls=1`` and
``smtps://user:password@host:465`` (TLS from the first byte); ``timeout=SECONDS`` may be added
to the query (default 30). User and password are percent-decoded. Failures come out as
``MailTransientError`` (try again later) or ``MailPermanentError`` (this message will never go
through as it is; ``RecipientRefused`` when the server refused the address), with messages that
never contain the password.
"""

from __future__ import annotations

import os
import secrets
import smtplib
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from lti_app.db import utcnow
from lti_app.notifications.models import OutgoingMail

DEFAULT_TIMEOUT_SECONDS = 30.0


class MailError(Exception):
    """A delivery failure; the message is safe to store (no password)."""


class MailTransientError(MailError):
    """The server is unreachable, busy or refused for now: try again later."""


class MailPermanentError(MailError):
    """The server refused this message for good: sending it again changes nothing."""


class RecipientRefused(MailPermanentError):
    def __init__(self, address: str, code: int, reply: str):
        super().__init__(f"recipient refused by the mail server: {code} {reply}".strip())
        self.address = address
        self.code = code
        self.reply = reply


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def build_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at or utcnow())
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    message.set_content(mail.body_text, cte="quoted-printable")
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html", cte="quoted-printable")
    # After the parts: add_alternative moves every Content-* header into the first part.
    message["Content-Language"] = mail.locale
    return message


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())[:300]


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    implicit_tls: bool = False
    starttls: bool = False
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_url(cls, url: str) -> SmtpMailer:
        """:raise ValueError: the URL is malformed (the message never repeats the password)."""
        parts = urlsplit(url.strip())
        if parts.scheme not in {"smtp", "smtps"}:
            raise ValueError("MAIL_URL must start with smtp:// or smtps://")
        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            raise ValueError("MAIL_URL has a port that is not a number") from None
        if not host:
            raise ValueError("MAIL_URL names no host")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        starttls = query.get("starttls", "0").lower() in {"1", "true", "yes", "on"}
        implicit_tls = parts.scheme == "smtps"
        if implicit_tls and starttls:
            raise ValueError("MAIL_URL: smtps:// is TLS already; drop ?starttls=1")
        try:
            timeout = float(query.get("timeout", DEFAULT_TIMEOUT_SECONDS))
        except ValueError:
            raise ValueError("MAIL_URL: timeout must be a number of seconds") from None
        return cls(
            host=host,
            port=port or (465 if implicit_tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            implicit_tls=implicit_tls,
            starttls=starttls,
            timeout=timeout,
        )

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def send(self, message: EmailMessage) -> None:
        sender = parseaddr(str(message["From"]))[1]
        recipient = parseaddr(str(message["To"]))[1]
        try:
            with self._connect() as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            address, (code, reply) = next(iter(exc.recipients.items()))
            if 500 <= code < 600:
                raise RecipientRefused(address, code, _reply_text(reply)) from None
            raise MailTransientError(
                f"recipient refused for now by {self.where}: {code} {_reply_text(reply)}"
            ) from None
        except smtplib.SMTPDataError as exc:
            if 500 <= exc.smtp_code < 600:
                raise MailPermanentError(
                    f"message refused by {self.where}: {exc.smtp_code} {_reply_text(exc.smtp_error)}"
                ) from None
            raise MailTransientError(
                f"message refused for now by {self.where}: "
                f"{exc.smtp_code} {_reply_text(exc.smtp_error)}"
            ) from None
        except smtplib.SMTPResponseException as exc:
            # Sender refused, authentication failed, …: the configuration, not this message.
            raise MailTransientError(
                f"mail server {self.where} answered {exc.smtp_code} {_reply_text(exc.smtp_error)}"
            ) from None
        except smtplib.SMTPException as exc:  # disconnected mid-way, STARTTLS not offered, …
            raise MailTransientError(
                f"mail server {self.where}: {type(exc).__name__}: {_reply_text(str(exc))}"
            ) from None
        except OSError as exc:  # refused, timed out, name unknown, TLS handshake failed
            raise MailTransientError(
                f"mail server {self.where} not reachable: {type(exc).__name__}"
            ) from None

    def _connect(self) -> smtplib.SMTP:
        if self.implicit_tls:
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)


@dataclass(frozen=True)
class FileMailer:
    """Development and tests without a mail server: one .eml file per message."""

    directory: Path

    def send(self, message: EmailMessage) -> None:
        self.write(message)

    def write(self, message: EmailMessage) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.eml"
        # Written under a hidden temporary name and renamed: a reader never sees half a message.
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(message.as_bytes())
                f.flush()
                os.fsync(f.fileno())
            path = self.directory / name
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path


def mailer_from_config(config: Mapping[str, Any], instance_path: str | Path) -> Mailer:
    """The mailer ``MAIL_URL`` asks for.

    :raise ValueError: ``MAIL_URL`` is malformed.
    """
    url = config.get("MAIL_URL")
    if url:
        return SmtpMailer.from_url(str(url))
    return FileMailer(Path(instance_path) / "mail")
