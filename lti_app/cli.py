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
    @click.option(
        "--college",
        default=None,
        help="The college that owns it (may be left out while there is one college).",
    )
    @click.option(
        "--frame-origin",
        "frame_origins",
        multiple=True,
        help="An origin (https://lms.example) whose pages may frame Driehoek, besides those "
        "learnt from launches.",
    )
    def platform_add(
        issuer: str,
        client_id: str,
        deployment_ids: tuple[str, ...],
        auth_login_url: str,
        auth_token_url: str,
        key_set_url: str,
        auth_audience: str | None,
        name: str | None,
        college: str | None,
        frame_origins: tuple[str, ...],
    ) -> None:
        """Register a platform, or update it (and add deployments) when it exists."""
        from lti_app.colleges.service import CollegeError, college_named
        from lti_app.lti.framing import learn_origin, origin_of
        from lti_app.lti.registration import RegistrationError, add_platform

        s = db.session()
        try:
            owner = college_named(s, college, current_app.config["COLLEGE_NAME"])
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
                college=owner,
            )
        except (CollegeError, RegistrationError) as exc:
            raise click.UsageError(str(exc)) from exc
        for origin in frame_origins:
            if origin_of(origin) is None:
                raise click.UsageError(f"--frame-origin takes an http(s) origin, not {origin!r}.")
            learn_origin(platform, origin)
        s.commit()
        deployments = ", ".join(d.deployment_id for d in platform.deployments)
        click.echo(f"Registered {platform.name}: {platform.issuer} client {platform.client_id}")
        click.echo(f"College: {owner.name}")
        click.echo(f"Deployments: {deployments}")

    @platform_group.command("invite")
    @click.option("--college", required=True, help="The college the new registration belongs to.")
    @click.option(
        "--hours",
        type=click.IntRange(1, 24 * 30),
        default=None,
        help="How long the URL stays valid (default REGISTRATION_INVITE_HOURS).",
    )
    def platform_invite(college: str, hours: int | None) -> None:
        """A one-time dynamic-registration URL for a college's LMS administrator."""
        from lti_app.colleges.service import CollegeError, college_named
        from lti_app.lti.invites import make_invite

        s = db.session()
        try:
            owner = college_named(s, college)
        except CollegeError as exc:
            raise click.UsageError(str(exc)) from exc
        valid = hours or int(current_app.config["REGISTRATION_INVITE_HOURS"])
        token = make_invite(s, owner, valid)
        s.commit()
        click.echo(f"Registration URL for {owner.name}, valid {valid} hours, for one registration:")
        click.echo(f"{current_app.config['BASE_URL']}/lti/register/{token}")

    @platform_group.command("list")
    def platform_list() -> None:
        """Every registration with its deployments."""
        from lti_app.lti.registration import list_platforms

        platforms = list_platforms(db.session())
        if not platforms:
            click.echo("No platforms registered yet. Use `platform add` or `platform invite`.")
        for p in platforms:
            deployments = ", ".join(d.deployment_id for d in p.deployments) or "(none)"
            click.echo(
                f"{p.id}\t{p.name}\t{p.issuer}\tclient={p.client_id}\tdeployments={deployments}"
                f"\tcollege={p.college.name}"
            )

    register_college_commands(app)

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


def register_college_commands(app: Flask) -> None:
    @app.cli.group("college")
    def college_group() -> None:
        """The colleges this installation serves."""

    @college_group.command("add")
    @click.argument("name")
    def college_add(name: str) -> None:
        """A new college: its name appears in mails, pages, agreements and PDFs."""
        from lti_app.colleges.service import CollegeError, add_college

        s = db.session()
        try:
            college = add_college(s, name)
        except CollegeError as exc:
            raise click.UsageError(str(exc)) from exc
        s.commit()
        click.echo(f"College {college.name} added. Next: platform invite --college {name!r}")

    @college_group.command("rename")
    @click.argument("old")
    @click.argument("new")
    def college_rename(old: str, new: str) -> None:
        """Give a college another name (agreements already signed keep the name they carry)."""
        from lti_app.colleges.service import CollegeError, college_named, rename_college

        s = db.session()
        try:
            rename_college(s, college_named(s, old), new)
        except CollegeError as exc:
            raise click.UsageError(str(exc)) from exc
        s.commit()
        click.echo(f"Renamed to {' '.join(new.split())}.")

    @college_group.command("list")
    def college_list() -> None:
        """Every college with its number of registrations and programmes."""
        from lti_app.colleges.service import colleges
        from lti_app.lti.registration import list_platforms

        s = db.session()
        found = colleges(s)
        if not found:
            click.echo("No college yet. Add one: college add NAME")
        for c in found:
            platforms = len(list_platforms(s, c.id))
            click.echo(f"{c.id}\t{c.name}\tplatforms={platforms}\tprogrammes={len(c.programmes)}")
