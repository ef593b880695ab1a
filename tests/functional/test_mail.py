"""Mail (lti_app/notifications/): written in the recipient's language, delivered by the worker.

A real SMTP server (aiosmtpd) listens on loopback. What people notice: the mail arrives, once,
in their language; a mail server that is down delays mail but loses none; an address the server
refuses is remembered as bounced and not tried again; without MAIL_URL each mail is a readable
.eml file in instance/mail/. Worker processes are started as the Procfile starts them.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app import create_app
from lti_app.db import utcnow
from lti_app.jobs import Job, JobState
from lti_app.jobs.worker import run_due
from lti_app.notifications.mailer import SmtpMailer
from lti_app.notifications.models import BouncedAddress, MailState, OutgoingMail
from lti_app.notifications.service import (
    MAIL_MAX_ATTEMPTS,
    InvalidAddress,
    is_bounced,
    send_mail,
    send_test_mail,
)
from tests.conftest import SECRET, TOOL_BASE, empty_tables, settings
from tests.servers import ROOT, child_env, closed_port, on_a_free_port

SENDER = "Driehoek Hogeschool <stage@hogeschool.example>"
MENTOR = "mentor@sint-jozef.example"


# -- a mail server on loopback ------------------------------------------------------------------


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what it receives and answers as a test tells it to."""

    envelopes: list[Envelope] = field(default_factory=list)
    rcpt_seen: list[str] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # lower-case address → reply
    data_reply: str | None = None
    data_delay: float = 0.0
    logins: list[tuple[str, str]] = field(default_factory=list)
    data_started: threading.Event = field(default_factory=threading.Event)
    # Seconds the first message's DATA waits for another session to reach DATA too (0: no wait).
    hold_first_data: float = 0.0
    overlapped: bool = False  # another session reached DATA while the first message was held
    _held: Any = field(default=None, init=False, repr=False)  # the session whose DATA waits
    _second: asyncio.Event | None = field(default=None, init=False, repr=False)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Envelope, address: str, options: Any
    ) -> str:
        self.rcpt_seen.append(address)
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.data_started.set()
        if self.hold_first_data:
            await self._meet(session)
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        if self.data_reply:
            return self.data_reply
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    async def _meet(self, session: Any) -> None:
        """Hold the first message until a message of another session is in DATA as well.

        A client sends one message at a time, so that other session is another client. All
        sessions share the server's event loop: the held one waits without blocking the rest.
        After ``hold_first_data`` seconds it goes on anyway, so a test fails rather than hangs.
        """
        if self._held is None:
            self._held, self._second = session, asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._second.wait(), self.hold_first_data)
            self._second = None
        elif session is not self._held and self._second is not None:
            self.overlapped = True
            self._second.set()

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            self.logins.append((data.login.decode(), data.password.decode()))
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def messages(self) -> list[EmailMessage]:
        return [
            cast(EmailMessage, message_from_bytes(e.original_content or b"", policy=policy.default))
            for e in self.envelopes
        ]


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int
    controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        # A Controller cannot be started twice; a restart is a new one on the same port.
        controller = Controller(
            self.mailbox,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self.mailbox.authenticate,
            auth_require_tls=False,
        )
        try:
            controller.start()
        except OSError:
            controller.loop.close()  # the port was taken: its thread ended without serving
            raise
        self.controller = controller
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = on_a_free_port(lambda port: SmtpServer(Mailbox(), port).start())
    yield server
    server.stop()


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Build the app with these settings on an emptied database; its engine is closed after."""
    apps: list[Flask] = []

    def _make(instance: Path, **extra: Any) -> Flask:
        empty_tables(database_url)
        apps.append(create_app(settings(database_url, instance, MAIL_FROM=SENDER, **extra)))
        return apps[-1]

    yield _make
    for application in apps:
        application.extensions["db_engine"].dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask], instance_dir: Path, smtp: SmtpServer) -> Flask:
    """The app sending through the loopback server (MAIL_URL set)."""
    return make_app(instance_dir, MAIL_URL=smtp.url)


def write(app: Flask, send: Callable[[Session], OutgoingMail]) -> int:
    """Write a mail the way a feature does: in a request's session, committed."""
    with app.test_request_context(), app.extensions["db_sessionmaker"]() as s:
        mail = send(s)
        s.commit()
        return mail.id


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def deliver(app: Flask, **kwargs: Any) -> int:
    with app.app_context():
        return run_due(app.extensions["db_sessionmaker"], "worker-1", **kwargs)


def mail_row(app: Flask, mail_id: int) -> OutgoingMail:
    with app.extensions["db_sessionmaker"]() as s:
        mail = s.get(OutgoingMail, mail_id)
        assert mail is not None
        return mail


def job_of(app: Flask, mail: OutgoingMail) -> Job:
    with app.extensions["db_sessionmaker"]() as s:
        job = s.get(Job, mail.job_id)
        assert job is not None
        return job


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    # On the wire lines end in CRLF; what a reader sees is lines.
    return tuple(  # type: ignore[return-value]
        cast(EmailMessage, part).get_content().replace("\r\n", "\n") for part in (text, html)
    )


# -- delivered, in the recipient's language -----------------------------------------------------


def test_mail_reaches_the_recipient_in_dutch_by_default(app: Flask, smtp: SmtpServer) -> None:
    mail_id = write(app, lambda s: send_test_mail(s, MENTOR))
    assert mail_row(app, mail_id).state == MailState.QUEUED
    assert smtp.mailbox.envelopes == []  # nothing goes out until the worker runs

    assert deliver(app) == 1

    [envelope] = smtp.mailbox.envelopes
    assert envelope.mail_from == "stage@hogeschool.example"
    assert envelope.rcpt_tos == [MENTOR]
    [message] = smtp.mailbox.messages()
    assert message["Subject"] == "Testbericht van Driehoek"
    assert message["To"] == MENTOR
    assert message["From"] == SENDER
    assert message["Content-Language"] == "nl"
    text, html = parts(message)
    assert "Dag,\n\nDit is een testbericht van Driehoek op http://tool.test." in text
    assert "Je hoeft niets te doen." in text
    assert "Verstuurd door Driehoek" in text
    assert "<p>Dag,</p>" in html
    assert 'lang="nl"' in html
    assert "Hello" not in text + html

    mail = mail_row(app, mail_id)
    assert mail.state == MailState.SENT
    assert mail.sent_at is not None
    assert mail.attempts == 1
    assert message["Message-ID"] == mail.message_id
    assert job_of(app, mail).state == JobState.DONE


@pytest.mark.parametrize("locale", ["en", "en-GB", "en_US"])
def test_mail_to_an_english_speaking_recipient_is_in_english(
    app: Flask, smtp: SmtpServer, locale: str
) -> None:
    write(app, lambda s: send_test_mail(s, MENTOR, locale=locale))
    deliver(app)

    [message] = smtp.mailbox.messages()
    assert message["Subject"] == "Test message from Driehoek"
    assert message["Content-Language"] == "en"
    text, html = parts(message)
    assert "Hello,\n\nThis is a test message from Driehoek at http://tool.test." in text
    assert "Sent by Driehoek, the placement tool of your teacher education programme." in text
    assert 'lang="en"' in html
    assert "Dag" not in text + html


def test_a_recipient_in_a_language_driehoek_does_not_speak_gets_dutch(
    app: Flask, smtp: SmtpServer
) -> None:
    write(app, lambda s: send_test_mail(s, MENTOR, locale="fr-BE"))
    deliver(app)
    assert smtp.mailbox.messages()[0]["Subject"] == "Testbericht van Driehoek"


def test_names_show_as_written_in_text_and_safely_in_html(app: Flask, smtp: SmtpServer) -> None:
    school = "Sint-Jozef & Maria <campus 2>"
    write(
        app,
        lambda s: send_mail(
            s,
            MENTOR,
            _l("Test message from Driehoek"),
            "mail/test_message.html",
            {"base_url": school},
            "en",
        ),
    )
    deliver(app)

    text, html = parts(smtp.mailbox.messages()[0])
    assert f"from Driehoek at {school}." in text
    assert "Sint-Jozef &amp; Maria &lt;campus 2&gt;" in html
    assert "<campus 2>" not in html


def test_a_malformed_address_is_refused_before_anything_is_written(app: Flask) -> None:
    for address in ["mentor@school.example\r\nBcc: all@school.example", "Mentor <m@s.example>", ""]:
        with pytest.raises(InvalidAddress):
            write(app, lambda s, a=address: send_test_mail(s, a))  # type: ignore[misc]
    with app.extensions["db_sessionmaker"]() as s:
        assert s.scalars(select(OutgoingMail)).all() == []
        assert s.scalars(select(Job)).all() == []


# -- the mail server is down, or refuses --------------------------------------------------------


def test_while_the_mail_server_is_down_mail_waits_and_goes_out_once_it_is_back(
    app: Flask, smtp: SmtpServer
) -> None:
    smtp.stop()
    mail_id = write(app, lambda s: send_test_mail(s, MENTOR))
    t0 = utcnow()

    assert deliver(app, clock=at(t0)) == 1
    mail = mail_row(app, mail_id)
    assert mail.state == MailState.QUEUED
    assert mail.attempts == 1
    assert (
        mail.last_error
        == f"mail server 127.0.0.1:{smtp.port} not reachable: ConnectionRefusedError"
    )
    job = job_of(app, mail)
    assert job.state == JobState.QUEUED
    assert job.run_after >= t0 + timedelta(seconds=5)
    assert job.last_error == mail.last_error
    assert deliver(app, clock=at(t0)) == 0  # not hammering the server meanwhile

    smtp.start()
    assert deliver(app, clock=at(job.run_after)) == 1
    assert deliver(app, clock=at(job.run_after + timedelta(days=1))) == 0

    assert len(smtp.mailbox.envelopes) == 1
    mail = mail_row(app, mail_id)
    assert (mail.state, mail.attempts) == (MailState.SENT, 2)
    assert job_of(app, mail).state == JobState.DONE


def test_mail_the_server_never_took_is_kept_as_failed_and_can_be_sent_later(
    app: Flask, smtp: SmtpServer
) -> None:
    smtp.stop()
    mail_id = write(app, lambda s: send_test_mail(s, MENTOR))
    now = utcnow()
    for _ in range(MAIL_MAX_ATTEMPTS):
        assert deliver(app, clock=at(now)) == 1
        now = job_of(app, mail_row(app, mail_id)).run_after
    mail = mail_row(app, mail_id)
    assert (mail.state, mail.attempts) == (MailState.FAILED, MAIL_MAX_ATTEMPTS)
    job = job_of(app, mail)
    assert job.state == JobState.FAILED
    # About five hours of trying before giving up.
    assert timedelta(hours=2) < job.finished_at - job.created_at  # type: ignore[operator]

    smtp.start()
    retried = app.test_cli_runner().invoke(args=["jobs", "retry", str(job.id)])
    assert retried.exit_code == 0, retried.output
    assert deliver(app) == 1
    assert len(smtp.mailbox.envelopes) == 1
    assert mail_row(app, mail_id).state == MailState.SENT


def test_an_address_the_server_refuses_for_good_is_marked_bounced_and_not_retried(
    app: Flask, smtp: SmtpServer
) -> None:
    smtp.mailbox.refuse["nobody@sint-jozef.example"] = (
        "550 5.1.1 <nobody@sint-jozef.example>: Recipient address rejected: User unknown"
    )
    mail_id = write(app, lambda s: send_test_mail(s, "Nobody@Sint-Jozef.example"))
    assert deliver(app) == 1
    assert deliver(app, clock=lambda: utcnow() + timedelta(days=1)) == 0

    assert smtp.mailbox.rcpt_seen == ["Nobody@Sint-Jozef.example"]  # asked once, never again
    assert smtp.mailbox.envelopes == []
    mail = mail_row(app, mail_id)
    assert mail.state == MailState.BOUNCED
    assert mail.last_error is not None and "550 5.1.1" in mail.last_error
    assert mail.sent_at is None
    job = job_of(app, mail)
    assert (job.state, job.attempts, job.result) == (
        JobState.DONE,
        1,
        {"outcome": "bounced", "code": 550},
    )
    with app.extensions["db_sessionmaker"]() as s:
        [bounced] = s.scalars(select(BouncedAddress)).all()
        assert bounced.address == "nobody@sint-jozef.example"
        assert "550 5.1.1" in bounced.reason and "User unknown" in bounced.reason
        assert bounced.at is not None
        assert is_bounced(s, "NOBODY@sint-jozef.example")
        assert not is_bounced(s, MENTOR)


def test_an_address_refused_for_now_is_tried_again_and_not_marked_bounced(
    app: Flask, smtp: SmtpServer
) -> None:
    smtp.mailbox.refuse[MENTOR] = "451 4.7.1 Greylisted, please try again later"
    mail_id = write(app, lambda s: send_test_mail(s, MENTOR))
    assert deliver(app) == 1

    mail = mail_row(app, mail_id)
    assert (mail.state, mail.attempts) == (MailState.QUEUED, 1)
    assert mail.last_error is not None and "451 4.7.1 Greylisted" in mail.last_error
    with app.extensions["db_sessionmaker"]() as s:
        assert not is_bounced(s, MENTOR)

    del smtp.mailbox.refuse[MENTOR]
    assert deliver(app, clock=at(job_of(app, mail).run_after)) == 1
    assert mail_row(app, mail_id).state == MailState.SENT
    assert len(smtp.mailbox.envelopes) == 1


def test_a_message_the_server_refuses_for_good_fails_without_retry(
    app: Flask, smtp: SmtpServer
) -> None:
    smtp.mailbox.data_reply = "554 5.6.0 Message content rejected"
    mail_id = write(app, lambda s: send_test_mail(s, MENTOR))
    assert deliver(app) == 1
    assert deliver(app, clock=lambda: utcnow() + timedelta(days=1)) == 0

    mail = mail_row(app, mail_id)
    assert (mail.state, mail.attempts) == (MailState.FAILED, 1)
    assert mail.last_error is not None and "554 5.6.0" in mail.last_error
    assert job_of(app, mail).state == JobState.FAILED
    with app.extensions["db_sessionmaker"]() as s:
        assert s.scalars(select(BouncedAddress)).all() == []


# -- MAIL_URL -----------------------------------------------------------------------------------


def test_the_user_and_password_in_mail_url_log_in(
    make_app: Callable[..., Flask], instance_dir: Path, smtp: SmtpServer
) -> None:
    password = "p@ss w:rd/%"
    url = f"smtp://driehoek%40hogeschool:{quote(password, safe='')}@127.0.0.1:{smtp.port}"
    app = make_app(instance_dir, MAIL_URL=url)
    write(app, lambda s: send_test_mail(s, MENTOR))
    deliver(app)
    assert smtp.mailbox.logins == [("driehoek@hogeschool", password)]
    assert len(smtp.mailbox.envelopes) == 1


def test_the_mail_password_never_shows_in_errors_or_the_job_list(
    make_app: Callable[..., Flask], instance_dir: Path
) -> None:
    with closed_port() as closed:  # nothing listens there while the mail is tried
        app = make_app(instance_dir, MAIL_URL=f"smtp://driehoek:geheim-0451@127.0.0.1:{closed}")
        mail_id = write(app, lambda s: send_test_mail(s, MENTOR))
        deliver(app)
    listed = app.test_cli_runner().invoke(args=["jobs", "list"])
    mail = mail_row(app, mail_id)
    assert mail.last_error and "not reachable" in mail.last_error
    assert "geheim" not in mail.last_error
    assert "not reachable" in listed.output
    assert "geheim" not in listed.output


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", ("mail.example", 25, None, None, False, False, 30.0)),
        (
            "smtp://u%40x:p%2Fw@mail.example:587?starttls=1",
            ("mail.example", 587, "u@x", "p/w", False, True, 30.0),
        ),
        ("smtps://u:p@mail.example", ("mail.example", 465, "u", "p", True, False, 30.0)),
        (
            "smtp://mail.example:2525?timeout=5",
            ("mail.example", 2525, None, None, False, False, 5.0),
        ),
    ],
)
def test_mail_url_forms(url: str, expected: tuple[Any, ...]) -> None:
    m = SmtpMailer.from_url(url)
    assert (m.host, m.port, m.username, m.password, m.implicit_tls, m.starttls, m.timeout) == (
        expected
    )


def test_the_mail_password_stays_out_of_the_mailers_repr() -> None:
    assert "geheim" not in repr(SmtpMailer.from_url("smtp://driehoek:geheim@mail.example"))


@pytest.mark.parametrize(
    "url",
    [
        "http://u:geheim@mail.example",
        "smtp://u:geheim@mail.example:port",
        "smtps://u:geheim@mail.example?starttls=1",
        "smtp://u:geheim@",
    ],
)
def test_a_malformed_mail_url_is_refused_without_repeating_the_password(url: str) -> None:
    with pytest.raises(ValueError, match="MAIL_URL") as refused:
        SmtpMailer.from_url(url)
    assert "geheim" not in str(refused.value)


# -- without MAIL_URL: files --------------------------------------------------------------------


def test_without_mail_url_each_mail_is_a_readable_eml_file(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(tmp_path)
    mail_id = write(app, lambda s: send_test_mail(s, MENTOR, locale="nl"))
    assert deliver(app) == 1

    files = list((tmp_path / "mail").iterdir())
    assert [f.suffix for f in files] == [".eml"]  # and no half-written leftovers
    with files[0].open("rb") as f:
        message = cast(EmailMessage, BytesParser(policy=policy.default).parse(f))
    assert message["Subject"] == "Testbericht van Driehoek"
    assert message["To"] == MENTOR
    assert message["From"] == SENDER
    text, html = parts(message)
    assert "Dit is een testbericht van Driehoek op http://tool.test." in text
    assert "<p>Dag,</p>" in html
    mail = mail_row(app, mail_id)
    assert mail.state == MailState.SENT
    assert message["Message-ID"] == mail.message_id


def test_mail_test_command_queues_a_test_message(app: Flask, smtp: SmtpServer) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mail", "test", MENTOR, "--locale", "en"])
    assert result.exit_code == 0, result.output
    assert f"to {MENTOR} queued" in result.output
    deliver(app)
    assert smtp.mailbox.messages()[0]["Subject"] == "Test message from Driehoek"

    refused = runner.invoke(args=["mail", "test", "not-an-address"])
    assert refused.exit_code == 2
    assert "not an e-mail address" in refused.output


# -- worker processes ---------------------------------------------------------------------------


def worker_settings(database_url: str, smtp: SmtpServer) -> dict[str, str]:
    return {
        "DRIEHOEK_ENV": "test",
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "BASE_URL": TOOL_BASE,
        "MAIL_URL": smtp.url,
        "MAIL_FROM": SENDER,
    }


def start_worker(settings: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """`flask --app lti_app jobs run …`, as the Procfile's worker line runs it."""
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "lti_app", "jobs", "run", *args],
        cwd=ROOT,
        env=child_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_worker_processes_send_every_mail_exactly_once(
    app: Flask, smtp: SmtpServer, database_url: str
) -> None:
    # The first mail either worker sends is held at the server until the other worker is
    # sending one too: both workers must have claimed work, whichever starts first.
    smtp.mailbox.hold_first_data = 30.0

    def thirty(s: Session) -> OutgoingMail:
        for n in range(30):
            last = send_test_mail(s, f"mentor{n}@sint-jozef.example", locale="nl")
        return last

    write(app, thirty)
    settings = worker_settings(database_url, smtp)
    settings["MAIL_URL"] = f"{smtp.url}?timeout=120"  # outlasts the hold
    workers = [start_worker(settings, "--once") for _ in range(2)]
    try:
        outputs = [w.communicate(timeout=180) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.communicate()
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err

    assert smtp.mailbox.overlapped, "one worker sent its first mail before the other sent any"
    ran = [int(out.rsplit(" after ", 1)[1].split(" ")[0]) for out, _ in outputs]
    assert all(n >= 1 for n in ran), outputs
    assert sum(ran) == 30, outputs
    with app.extensions["db_sessionmaker"]() as s:
        mails = s.scalars(select(OutgoingMail)).all()
    received = [m["Message-ID"] for m in smtp.mailbox.messages()]
    assert len(received) == 30
    assert sorted(received) == sorted(m.message_id for m in mails)  # each exactly once
    assert sorted(r for e in smtp.mailbox.envelopes for r in e.rcpt_tos) == sorted(
        f"mentor{n}@sint-jozef.example" for n in range(30)
    )
    assert {(m.state, m.attempts) for m in mails} == {(MailState.SENT, 1)}


def test_a_stopping_worker_finishes_the_mail_at_hand_and_leaves_the_rest(
    app: Flask, smtp: SmtpServer, database_url: str
) -> None:
    smtp.mailbox.data_delay = 1.0
    first = write(app, lambda s: send_test_mail(s, "first@sint-jozef.example"))
    second = write(app, lambda s: send_test_mail(s, "second@sint-jozef.example"))

    worker = start_worker(worker_settings(database_url, smtp), "--poll-seconds", "0.1")
    try:
        assert smtp.mailbox.data_started.wait(timeout=30), "the worker never started sending"
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    assert "stopped on request after 1 job(s)" in out

    assert [e.rcpt_tos for e in smtp.mailbox.envelopes] == [["first@sint-jozef.example"]]
    assert mail_row(app, first).state == MailState.SENT
    waiting = mail_row(app, second)
    assert (waiting.state, waiting.attempts) == (MailState.QUEUED, 0)
    assert job_of(app, waiting).state == JobState.QUEUED
