"""Driehoek: an LTI 1.3 tool for placements, mentor feedback and reflection journals."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from lti_app import clock, db
from lti_app.config import load_settings
from lti_app.extensions import babel, cache, csrf, limiter, login_manager

LANGUAGES = ("nl", "en")
ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``overrides`` replace environment settings (tests use this)."""
    overrides = dict(overrides or {})
    app = Flask(
        __name__,
        instance_path=str(overrides.pop("INSTANCE_PATH", None) or ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    configure(app, overrides)
    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_commands(app)
    register_notices()
    return app


def configure(app: Flask, overrides: Mapping[str, Any]) -> None:
    settings = load_settings(instance_path=Path(app.instance_path), overrides=overrides)
    app.config.update(settings.values)
    clock.set_shift(timedelta(seconds=settings.CLOCK_SHIFT_SECONDS))
    secure = settings.https
    app.config.update(
        IS_PRODUCTION=settings.is_production,
        COOKIE_SECURE=secure,
        LANGUAGES=LANGUAGES,
        BABEL_DEFAULT_LOCALE="nl",
        BABEL_DEFAULT_TIMEZONE="Europe/Brussels",
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "lti_app" / "translations"),
        # Inside an LMS iframe the session cookie is third-party: it needs SameSite=None,
        # Secure, and Partitioned (CHIPS) for browsers that block unpartitioned ones.
        SESSION_COOKIE_NAME="driehoek_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_SAMESITE="None" if secure else "Lax",
        SESSION_COOKIE_PARTITIONED=secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.SESSION_HOURS),
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session; a coach may keep a form open all day
        WTF_CSRF_SSL_STRICT=False,  # Referer is often stripped inside LMS iframes
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=4 * 1024 * 1024,
        # Without Redis: process memory, swept inline rather than by a thread per request.
        RATELIMIT_STORAGE_URI=settings.REDIS_URL or "driehoek-memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        CACHE_TYPE="RedisCache" if settings.REDIS_URL else "SimpleCache",
        CACHE_REDIS_URL=settings.REDIS_URL,
        CACHE_DEFAULT_TIMEOUT=300,
        TESTING=settings.DRIEHOEK_ENV == "test",
    )
    if settings.TRUST_PROXY:
        n = settings.TRUST_PROXY
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]


def register_logging(app: Flask) -> None:
    level = getattr(logging, str(app.config["LOG_LEVEL"]).upper(), logging.INFO)
    app.logger.setLevel(level)
    if not app.logger.handlers or app.config["IS_PRODUCTION"]:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        app.logger.handlers = [handler]
        app.logger.propagate = False
    from lti_app.core.logs import redact_logs

    redact_logs(app)  # no record carries a sign-in or other token


def register_extensions(app: Flask) -> None:
    from lti_app.lti.state import DatabaseStateStore, RedisStateStore

    db.init_app(app)
    from lti_app.lti.known import Registrations, forget_on_commit

    app.extensions["registrations"] = Registrations()
    forget_on_commit(app.extensions["db_sessionmaker"], app.extensions["registrations"])
    if app.config["REDIS_URL"]:
        import redis

        app.extensions["state_store"] = RedisStateStore(
            redis.Redis.from_url(app.config["REDIS_URL"])
        )
    else:
        app.extensions["state_store"] = DatabaseStateStore(app.extensions["db_sessionmaker"])
    babel.init_app(app, locale_selector=select_locale)
    from lti_app.core import formats

    formats.register(app)  # dates day-first in both languages (en_GB, nl_BE conventions)
    cache.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    @login_manager.user_loader
    def _load_user(user_id: str) -> Any:
        from lti_app.roster.models import Person

        kind, _, raw = user_id.partition(":")
        if kind == "guest":
            # A school mentor (guest) is known by a live guest session's secret, not by their
            # id: a bare "mentor:<id>" signs nobody in, so an ended session's cookie is dead.
            from lti_app.guests.views import load_guest

            return load_guest(raw)
        if kind != "person" or not raw.isdigit():
            return None
        return db.session().get(Person, int(raw))


def select_locale() -> str | None:
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "nl"


def register_blueprints(app: Flask) -> None:
    # Pages that hang on another package's blueprint (its endpoint names, its rules) are imported
    # before that blueprint is registered: the CSV import and the coach's pipeline on the
    # placements blueprint, the coach's invitation buttons and the mentor's portal on mentors.
    from lti_app.core.views import bp as core_bp
    from lti_app.guests import coach_views  # noqa: F401
    from lti_app.homes import student_home  # noqa: F401
    from lti_app.launch.views import bp as launch_bp
    from lti_app.lti.views import bp as lti_bp
    from lti_app.pipeline import mentor_portal, views  # noqa: F401
    from lti_app.placements import import_views  # noqa: F401
    from lti_app.placements.views import bp as placements_bp
    from lti_app.roster.views import bp as roster_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(lti_bp)
    app.register_blueprint(launch_bp)
    from lti_app.notifications.views import bp as notices_bp

    app.register_blueprint(notices_bp)
    app.register_blueprint(placements_bp)
    from lti_app.schools.views import bp as schools_bp

    app.register_blueprint(schools_bp)
    from lti_app.guests.views import bp as mentors_bp

    app.register_blueprint(mentors_bp)
    from lti_app.hours.views import bp as hours_bp

    app.register_blueprint(hours_bp)
    app.register_blueprint(roster_bp)
    from lti_app.roster.programme_views import bp as programmes_bp

    app.register_blueprint(programmes_bp)
    from lti_app.agreements import (
        follow,  # noqa: F401 (agreements follow placement changes)
        voiding,  # noqa: F401 (and say what a change would void)
    )
    from lti_app.agreements.template_views import bp as agreement_templates_bp
    from lti_app.agreements.verify_views import bp as verify_bp
    from lti_app.agreements.views import bp as agreements_bp

    app.register_blueprint(agreements_bp)
    app.register_blueprint(agreement_templates_bp)
    app.register_blueprint(verify_bp)
    from lti_app.feedback.views import bp as feedback_bp

    app.register_blueprint(feedback_bp)
    from lti_app.grading.views import bp as grading_bp
    from lti_app.journals.views import bp as journals_bp

    app.register_blueprint(journals_bp)
    app.register_blueprint(grading_bp)
    if not app.config["IS_PRODUCTION"]:
        # The sandbox LMS is a development aid and never exists in production.
        from lti_app.sandbox.views import bp as sandbox_bp

        app.register_blueprint(sandbox_bp)


def register_notices() -> None:
    """Notices reach mentors through the package that issues their sign-in links; that package
    imports notifications, so it is wired in here rather than imported there."""
    from lti_app.guests.invitations import mail_with_sign_in_link
    from lti_app.notifications.notice_mail import register_guest_mail
    from lti_app.schools.models import Mentor

    register_guest_mail(
        lambda session, mentor_id: session.get(Mentor, mentor_id), mail_with_sign_in_link
    )


def register_request_hooks(app: Flask) -> None:
    from lti_app.core.input import refuse_unstorable_input
    from lti_app.lti.framing import protect
    from lti_app.security import check_view_declared, current_college_id

    app.before_request(check_view_declared)
    app.before_request(refuse_unstorable_input)  # NUL and other control characters: 400

    @app.context_processor
    def _template_helpers() -> dict[str, Any]:
        from flask_babel import get_locale

        from lti_app.security import current_permissions

        return {
            "current_permissions": current_permissions,
            "current_locale": lambda: str(get_locale() or "nl"),
        }

    @app.after_request
    def _security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        # LMSs embed us in iframes, so no X-Frame-Options; CSP keeps scripts our own.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            "script-src 'self'; form-action *; frame-ancestors *; base-uri 'none'",
        )
        if app.config["COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return protect(response, db.session(), current_college_id())


def register_errorhandlers(app: Flask) -> None:
    from lti_app.errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from lti_app.cli import register

    register(app)
