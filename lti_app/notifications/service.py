"""Mail: written now in the recipient's language, delivered by the job worker, bounces remembered.

``send_mail`` renders the message, stores it as an ``OutgoingMail`` and enqueues a "mail.send"
job, all in the caller's transaction. The worker delivers it; an unreachable server means a
retry later (the message waits in the database), a recipient the server refuses for good means
the mail is marked bounced and the address goes into ``BouncedAddress``.
"""

from __future__ import annotations

import re
import secrets
from email.utils import parseaddr
from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lti_app.db import utcnow
from lti_app.jobs.service import (
    JobError,
    PermanentJobError,
    ProgressCallback,
    enqueue,
    job_handler,
)
from lti_app.notifications.mailer import (
    MailPermanentError,
    MailTransientError,
    RecipientRefused,
    build_message,
    mailer_from_config,
)
from lti_app.notifications.models import BouncedAddress, MailState, OutgoingMail

MAIL_JOB = "mail.send"

# Patterns of one-time secrets (personal sign-in links) that a mail must carry but the database
# must not keep once the mail server has its copy. Features register theirs at import.
REDACTIONS: list[re.Pattern[str]] = []
REDACTED = "[…]"


def redact_after_delivery(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """Have every stored mail body forget what ``pattern`` matches once delivery is settled."""
    if pattern not in REDACTIONS:
        REDACTIONS.append(pattern)
    return pattern


def _forget_secrets(mail: OutgoingMail) -> None:
    for pattern in REDACTIONS:
        mail.body_text = pattern.sub(REDACTED, mail.body_text)
        if mail.body_html is not None:
            mail.body_html = pattern.sub(REDACTED, mail.body_html)


# About 5 hours of retries (10 s doubling, at most an hour apart): a mail server's afternoon
# of maintenance loses nothing.
MAIL_MAX_ATTEMPTS = 12
DEFAULT_LOCALE = "nl"

_ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+\.[^@\s<>(),;:\"\[\]\\]+$")


class InvalidAddress(ValueError):
    """Not one plain e-mail address (forms check this first; this guards the mail headers)."""


def normalise_address(address: str) -> str:
    """The bare address, or InvalidAddress: one recipient, no display name, no line breaks."""
    candidate = address.strip()
    if not _ADDRESS.match(candidate) or parseaddr(candidate)[1] != candidate:
        raise InvalidAddress(f"not an e-mail address: {address!r}")
    return candidate


def mail_locale(locale: str | None) -> str:
    """The language to write to someone in: theirs when Driehoek speaks it, else Dutch."""
    languages = current_app.config.get("LANGUAGES", ("nl", "en"))
    if locale:
        language = locale.replace("_", "-").split("-")[0].lower()
        if language in languages:
            return language
    return DEFAULT_LOCALE


def send_mail(
    session: Session,
    to: str,
    subject_template: Any,
    body_template: str,
    context: dict[str, Any] | None = None,
    locale: str | None = None,
) -> OutgoingMail:
    """Write a message to ``to`` in their ``locale`` and queue its delivery (the caller commits).

    ``subject_template`` is an English msgid, marked with ``_l`` so it is translated, with
    ``%(name)s`` placeholders filled from ``context``. ``body_template`` names a template under
    ``templates/mail/`` that defines a ``text`` block and an ``html`` one (see test_message.html).

    :raise InvalidAddress: ``to`` is not one plain e-mail address.
    """
    address = normalise_address(to)
    language = mail_locale(locale)
    context = dict(context or {})
    with force_locale(language):
        subject = _render_subject(subject_template, context)
        body_text, body_html = _render_body(body_template, context)
    mail = OutgoingMail(
        to_address=address,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        locale=language,
        state=MailState.QUEUED,
        # Short enough that the header is never folded onto a second line.
        message_id=f"<{secrets.token_hex(12)}@{_sender_domain()}>",
    )
    session.add(mail)
    session.flush()
    job = enqueue(session, MAIL_JOB, {"mail_id": mail.id}, max_attempts=MAIL_MAX_ATTEMPTS)
    mail.job_id = job.id
    return mail


def send_test_mail(session: Session, to: str, locale: str | None = None) -> OutgoingMail:
    """A message that only says mail works: for operators checking ``MAIL_URL``."""
    return send_mail(
        session,
        to,
        _l("Test message from Driehoek"),
        "mail/test_message.html",
        {"base_url": current_app.config["BASE_URL"]},
        locale,
    )


def _render_subject(subject_template: Any, context: dict[str, Any]) -> str:
    if isinstance(subject_template, LazyString):
        subject = str(subject_template)
        if context:
            subject = subject % context
    else:
        subject = gettext(str(subject_template), **context)
    return " ".join(subject.split())  # a header: one line, whatever a name contains


def _render_body(template_name: str, context: dict[str, Any]) -> tuple[str, str]:
    """The text and the HTML part of one template: its ``text`` block alone, and the whole page."""
    template = current_app.jinja_env.get_template(template_name)
    variables = dict(context)
    current_app.update_template_context(variables)
    html = template.render(variables)
    text = "".join(template.blocks["text"](template.new_context(variables)))
    return _tidy(text), html


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidied: list[str] = []
    for line in lines:
        if line or (tidied and tidied[-1]):
            tidied.append(line)
    return "\n".join(tidied) + "\n"


def _sender_domain() -> str:
    sender = parseaddr(str(current_app.config.get("MAIL_FROM") or ""))[1]
    return sender.rpartition("@")[2] or "localhost"


def is_bounced(session: Session, address: str) -> bool:
    """Whether the mail server once refused this address for good."""
    return (
        session.scalar(
            select(BouncedAddress.id).where(BouncedAddress.address == address.strip().lower())
        )
        is not None
    )


def record_bounce(session: Session, address: str, reason: str) -> BouncedAddress:
    key = address.strip().lower()
    bounced = session.scalars(select(BouncedAddress).where(BouncedAddress.address == key)).first()
    if bounced is None:
        bounced = BouncedAddress(address=key, reason=reason[:500])
        session.add(bounced)
    else:
        bounced.reason = reason[:500]
        bounced.at = utcnow()
    session.flush()
    return bounced


def _attempt_failed(session: Session, payload: dict[str, Any], error: str, gave_up: bool) -> None:
    values: dict[str, Any] = {"attempts": OutgoingMail.attempts + 1, "last_error": error}
    if gave_up:
        values["state"] = MailState.FAILED
        failed = session.get(OutgoingMail, payload.get("mail_id"))
        if failed is not None:
            _forget_secrets(failed)  # a retry by hand needs a new link anyway
    session.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.id == payload.get("mail_id"),
            OutgoingMail.state.in_([MailState.QUEUED, MailState.FAILED]),
        )
        .values(**values),
        execution_options={"synchronize_session": False},
    )


@job_handler(MAIL_JOB, on_failure=_attempt_failed)
def deliver_mail(
    session: Session, payload: dict[str, Any], progress: ProgressCallback
) -> dict[str, Any]:
    """The "mail.send" job: hand one stored message to the mail server (or the mail folder)."""
    # Locked (PostgreSQL) and checked in this transaction: a mail already sent or bounced is
    # never sent again, even if two workers came to hold its job.
    mail = session.get(OutgoingMail, int(payload["mail_id"]), with_for_update=True)
    if mail is None:
        raise PermanentJobError(f"mail {payload['mail_id']} no longer exists")
    if mail.state in (MailState.SENT, MailState.BOUNCED):
        return {"outcome": f"already {mail.state.value}"}
    try:
        mailer = mailer_from_config(current_app.config, current_app.instance_path)
    except ValueError as exc:
        raise JobError(str(exc)) from None  # the operator fixes MAIL_URL; then it goes out
    try:
        mailer.send(build_message(mail, str(current_app.config["MAIL_FROM"])))
    except RecipientRefused as exc:
        mail.state = MailState.BOUNCED
        mail.attempts += 1
        mail.last_error = str(exc)[:500]
        record_bounce(session, mail.to_address, str(exc))
        _forget_secrets(mail)
        return {"outcome": "bounced", "code": exc.code}
    except MailPermanentError as exc:
        raise PermanentJobError(str(exc)) from None
    except MailTransientError as exc:
        raise JobError(str(exc)) from None
    mail.state = MailState.SENT
    mail.attempts += 1
    mail.sent_at = utcnow()
    _forget_secrets(mail)
    return {"outcome": "sent"}
