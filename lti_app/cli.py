"""Command-line interface: `flask --app lti_app …` (database, platforms, keys, sandbox)."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import urlsplit

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app

from lti_app import db
from lti_app.jobs.worker import Worker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def register(app: Flask) -> None:
    @app.cli.group("db")
    def db_group() -> None:
        """The database schema (Alembic migrations)."""

    @db_group.command("upgrade")
    @click.argument("revision", default="head")
    def db_upgrade(revision: str) -> None:
        """Bring the schema up to REVISION (default: the newest)."""
        command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
        click.echo(f"Database at {revision}.")

    @db_group.command("downgrade")
    @click.argument("revision")
    def db_downgrade(revision: str) -> None:
        """Step the schema back to REVISION."""
        command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)

    @app.cli.group("platform")
    def platform_group() -> None:
        """LMS registrations."""

    @platform_group.command("add")
    @click.option("--issuer", required=True, help="The platform's issuer (iss), a URL.")
    @click.option("--client-id", required=True, help="Client id the platform gave Driehoek.")
    @click.option("--deployment-id", "deployment_ids", multiple=True, required=True)
    @click.option("--auth-login-url", required=True, help="Platform OIDC authorization endpoint.")
    @click.option("--auth-token-url", required=True, help="Platform OAuth2 token endpoint.")
    @click.option("--key-set-url", required=True, help="Platform JWKS URL.")
    @click.option(
        "--auth-audience", default=None, help="Audience for token requests, if not the token URL."
    )
    @click.option("--name", default=None, help="A name to recognise the platform by.")
    def platform_add(
        issuer: str,
        client_id: str,
        deployment_ids: tuple[str, ...],
        auth_login_url: str,
        auth_token_url: str,
        key_set_url: str,
        auth_audience: str | None,
        name: str | None,
    ) -> None:
        """Register a platform, or update it (and add deployments) when it exists."""
        from lti_app.lti.registration import RegistrationError, add_platform

        s = db.session()
        try:
            platform = add_platform(
                s,
                issuer=issuer,
                client_id=client_id,
                deployment_ids=list(deployment_ids),
                auth_login_url=auth_login_url,
                auth_token_url=auth_token_url,
                key_set_url=key_set_url,
                auth_audience=auth_audience,
                name=name,
            )
        except RegistrationError as exc:
            raise click.UsageError(str(exc)) from exc
        s.commit()
        deployments = ", ".join(d.deployment_id for d in platform.deployments)
        click.echo(f"Registered {platform.name}: {platform.issuer} client {platform.client_id}")
        click.echo(f"Deployments: {deployments}")

    @platform_group.command("list")
    def platform_list() -> None:
        """Every registration with its deployments."""
        from lti_app.lti.registration import list_platforms

        platforms = list_platforms(db.session())
        if not platforms:
            click.echo("No platforms registered yet. Use `platform add` or dynamic registration.")
        for p in platforms:
            deployments = ", ".join(d.deployment_id for d in p.deployments) or "(none)"
            click.echo(
                f"{p.id}\t{p.name}\t{p.issuer}\tclient={p.client_id}\tdeployments={deployments}"
            )

    @app.cli.group("keys")
    def keys_group() -> None:
        """The tool's signing keys."""

    @keys_group.command("rotate")
    def keys_rotate() -> None:
        """Make a new signing key; the old public key stays published for KEY_GRACE_DAYS."""
        from lti_app.lti.keys import rotate

        key = rotate(db.session())
        days = current_app.config["KEY_GRACE_DAYS"]
        click.echo(f"New signing key {key.kid}; retired keys stay published for {days} days.")

    @app.cli.group("sandbox")
    def sandbox_group() -> None:
        """The local sandbox LMS (development only)."""

    @sandbox_group.command("run")
    @click.option("--host", default="127.0.0.1", help="Interface to listen on.")
    def sandbox_run(host: str) -> None:
        """Register the sandbox LMS and serve tool and sandbox together on BASE_URL's port."""
        if current_app.config["IS_PRODUCTION"]:
            raise click.UsageError("The sandbox LMS does not run in production mode.")
        from werkzeug.serving import run_simple

        from lti_app.sandbox.platform import ensure_registered

        ensure_registered(db.session())
        db.session().commit()
        port = urlsplit(current_app.config["BASE_URL"]).port or 80
        click.echo(
            f"Driehoek with its sandbox LMS: open {current_app.config['SANDBOX_URL']}/sandbox/"
        )
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        worker = start_background_worker(app)
        where = "the mail server in MAIL_URL" if app.config["MAIL_URL"] else "instance/mail/"
        click.echo(f"A worker in this process sends mail to {where} and runs roster syncs.")
        try:
            run_simple(host, port, app, threaded=True, use_reloader=False)
        finally:
            worker.stop()

    from lti_app.jobs.cli import register as register_jobs
    from lti_app.notifications.cli import register as register_mail

    register_jobs(app)
    register_mail(app)


def start_background_worker(app: Flask) -> Worker:
    """The job worker on a thread of the sandbox's own process, so one command is enough in
    development: invitations appear in the sandbox's mailbox without a separate `jobs run`."""
    worker = Worker(app.extensions["db_sessionmaker"], poll_seconds=1.0)

    def work() -> None:
        with app.app_context():
            worker.run()

    threading.Thread(target=work, name="driehoek-worker", daemon=True).start()
    return worker
