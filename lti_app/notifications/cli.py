"""`flask --app lti_app mail …`: check that mail leaves Driehoek."""

from __future__ import annotations

import click
from flask import Flask

from lti_app import db


def register(app: Flask) -> None:
    @app.cli.group("mail")
    def mail_group() -> None:
        """Outgoing mail (MAIL_URL; without it, .eml files in instance/mail/)."""

    @mail_group.command("test")
    @click.argument("address")
    @click.option("--locale", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
    def mail_test(address: str, locale: str) -> None:
        """Queue a test message to ADDRESS; the worker (`jobs run`) delivers it."""
        from lti_app.notifications.service import InvalidAddress, send_test_mail

        session = db.session()
        try:
            mail = send_test_mail(session, address, locale)
        except InvalidAddress as exc:
            raise click.BadParameter(str(exc), param_hint="ADDRESS") from exc
        session.commit()
        click.echo(f"Test message {mail.id} to {mail.to_address} queued as job {mail.job_id}.")
        click.echo("`flask --app lti_app jobs run --once` sends it now.")
