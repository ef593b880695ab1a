"""A test LMS: lti1p3platform (an LTI platform we did not write) behind a real local HTTP server.

The HTTP server serves what a platform serves to a tool (its JWKS now; token, NRPS and
registration endpoints are added per test through ``routes``). The tool fetches keys from it over
real HTTP, exactly as it would from Canvas or Moodle.

lti1p3platform 0.1.8 quirks handled here: its JWKs carry no ``kid`` (we add the RFC 7638
thumbprint) and its launch renders HTML through a framework adapter (we return the data instead).
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LEARNER = LIS + "membership#Learner"
INSTRUCTOR = LIS + "membership#Instructor"
ADMIN = LIS + "institution/person#Administrator"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"

Handler = Callable[[str, dict[str, str], bytes, dict[str, str]], tuple[int, dict[str, str], bytes]]


def rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def jwk_with_kid(private_pem: str) -> dict[str, Any]:
    key = JWK.from_pem(private_pem.encode())
    public = json.loads(key.export_public())
    public.update({"kid": key.thumbprint(), "alg": "RS256", "use": "sig"})
    return public


class KidRegistration(Registration):
    """lti1p3platform's Registration, with the kid its JWKS and JWT headers lack."""

    def get_kid(self) -> str | None:
        private = self.get_platform_private_key()
        return JWK.from_pem(private.encode()).thumbprint() if private else None

    def get_jwks(self) -> list[dict[str, Any]]:
        private = self.get_platform_private_key()
        return [jwk_with_kid(private)] if private else []


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._registration


class DictRequest(Request):
    def build_metadata(self, request: Any) -> Any:
        return {
            "method": "GET",
            "form_data": {},
            "get_data": request,
            "headers": {},
            "content_type": None,
            "path": "/auth",
            "json": None,
        }


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return launch_data


class HintRefused(Exception):
    """The platform's auth endpoint refused the login (Moodle: "Invalid request")."""


@dataclass
class Person:
    sub: str
    name: str
    roles: list[str]
    email: str | None = None
    locale: str = "nl-BE"


PROGRAMME = "Educatief graduaat secundair onderwijs"


@dataclass
class TestLMS:
    __test__ = False  # a helper, not a test class

    """One platform registration: issuer = the local server's URL."""

    tool_base: str
    client_id: str = "driehoek-client"
    deployment_id: str = "deployment-1"
    # The LMS link names the course's programme (custom parameter), as a college configures
    # it; None: the coach is asked at the course's first launch.
    programme: str | None = PROGRAMME
    routes: dict[str, Handler] = field(default_factory=dict)
    requests_seen: list[tuple[str, str]] = field(default_factory=list)
    # Like Moodle: each login's lti_message_hint names a launch kept for the person signed in to
    # the LMS, and the auth endpoint forgets it on first use (a second use: "Invalid request").
    # The LMS then also has Moodle's launch page of the activity, /mod/lti/launch.php?id=<cmid>.
    one_time_hints: bool = False
    course_module: int = 42
    # Who is signed in to the LMS in "the browser" (Moodle's $USER): the person of the last login.
    signed_in: Person | None = None

    def __post_init__(self) -> None:
        self.private_pem = rsa_pem()
        self.kid = JWK.from_pem(self.private_pem.encode()).thumbprint()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.registration = KidRegistration()
        (
            self.registration.set_iss(self.issuer)
            .set_client_id(self.client_id)
            .set_deployment_id(self.deployment_id)
            .set_oidc_login_url(self.tool_base + "/lti/login")
            .set_launch_url(self.tool_base + "/lti/launch")
            .set_deeplink_launch_url(self.tool_base + "/lti/launch")
            .set_platform_private_key(self.private_pem)
            .set_platform_public_key(public_pem(self.private_pem))
            .set_tool_key_set_url(self.tool_base + "/.well-known/jwks.json")
        )
        self.config = PlatformConf(registration=self.registration)
        self.routes.setdefault("/jwks.json", self._jwks)
        self.routes.setdefault("/mod/lti/launch.php", self._moodle_launch_page)
        self._launches: dict[str, str] = {}  # Moodle's $SESSION->$launchid: launch id -> sub
        self._launches_lock = threading.Lock()

    # -- HTTP side ---------------------------------------------------------------------------
    def _jwks(
        self, method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> Any:
        return 200, {"Content-Type": "application/json"}, json.dumps(self.jwks()).encode()

    def _moodle_launch_page(
        self, method: str, query: dict[str, str], body: bytes, headers: dict[str, str]
    ) -> Any:
        """Moodle's mod/lti/launch.php: a page that posts a new login (with a new hint) to the
        tool, for whoever is signed in to the LMS."""
        if not self.one_time_hints or query.get("id") != str(self.course_module):
            return 404, {}, b"Invalid course module ID"
        if self.signed_in is None:
            return 401, {}, b"You are not logged in"
        fields = self.login_params(self.signed_in)
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in fields.items()
        )
        page = (
            f'<form action="{html.escape(self.registration.get_oidc_login_url())}" '
            f'name="ltiInitiateLoginForm" method="post">{inputs}</form>'
            "<script>document.ltiInitiateLoginForm.submit();</script>"
        )
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    def jwks(self) -> dict[str, Any]:
        return {"keys": [jwk_with_kid(self.private_pem)]}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        lms = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                lms.requests_seen.append((self.command, parts.path))
                handler = lms.routes.get(parts.path)
                if handler is None:
                    status, headers, payload = 404, {}, b"not found"
                else:
                    status, headers, payload = handler(
                        self.command, dict(parse_qsl(parts.query)), body, dict(self.headers)
                    )
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

            def log_message(self, *args: Any) -> None:
                pass

        return _Handler

    def url(self, path: str) -> str:
        return self.issuer + path

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- registering with the tool -------------------------------------------------------------
    def tool_registration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": [self.deployment_id],
            "auth_login_url": self.url("/auth"),
            "auth_token_url": self.url("/token"),
            "key_set_url": self.url("/jwks.json"),
            "name": "Test LMS",
        }

    # -- the launch ----------------------------------------------------------------------------
    def login_params(self, person: Person, hint: str = "resource-link-1") -> dict[str, str]:
        self.signed_in = person
        if self.one_time_hints:
            launch_id = f"ltilaunch7_{secrets.randbelow(2**31)}"
            with self._launches_lock:
                self._launches[launch_id] = person.sub
            hint = json.dumps({"cmid": self.course_module, "launchid": launch_id})
        login = Login(None, self.config)
        login.set_lti_message_hint(hint=hint)
        url = login.prepare_preflight_url(person.sub)
        return dict(parse_qsl(urlsplit(url).query))

    def authorize(
        self,
        auth_query: dict[str, str],
        person: Person,
        *,
        deep_link: bool = False,
        context: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, str]:
        """Answer the tool's auth redirect as the platform: the id_token and state to post.

        :raise HintRefused: with ``one_time_hints``, a hint already used (or never issued, or
            issued to someone else), as Moodle refuses it.
        """
        if self.one_time_hints:
            self._spend_hint(auth_query)
        launch = Launch(DictRequest(auth_query), self.config)
        launch.set_user_data(person.sub, person.roles, person.name, person.email)
        launch.set_resource_link_claim("resource-link-1", title="Driehoek")
        launch.set_launch_context_claim(
            **(
                context
                or {"context_id": "course-1", "context_title": "Stage SO", "context_label": "SO"}
            )
        )
        launch.set_launch_presentation_claim("iframe", "https://lms.example/return")
        launch.set_extra_claims(
            {CLAIM + "launch_presentation": {"document_target": "iframe", "locale": person.locale}}
        )
        if deep_link:
            launch.set_dl(
                self.url("/deep-link-return"), title="Driehoek", accept_types={"ltiResourceLink"}
            )
        if self.programme:
            launch.set_extra_claims({CLAIM + "custom": {"programme": self.programme}})
        launch.set_nrps(self.url("/nrps/course-1"))
        launch.set_ags(self.url("/ags/course-1/lineitems"))
        if extra:
            launch.set_extra_claims(extra)
        data = launch.lti_launch()
        return {
            "id_token": data["id_token"],
            "state": data["state"],
            "launch_url": data["launch_url"],
        }

    def _spend_hint(self, auth_query: dict[str, str]) -> None:
        try:
            launch_id = json.loads(auth_query.get("lti_message_hint", "")).get("launchid")
        except (ValueError, AttributeError):
            launch_id = None
        with self._launches_lock:
            owner = self._launches.pop(launch_id, None) if isinstance(launch_id, str) else None
        if owner is None or owner != auth_query.get("login_hint"):
            raise HintRefused("Invalid request")

    def sign(
        self,
        claims: dict[str, Any],
        *,
        headers: dict[str, Any] | None = None,
        key: str | None = None,
        algorithm: str = "RS256",
    ) -> str:
        """Sign arbitrary claims (for adversarial tokens)."""
        head = {"kid": self.kid} if headers is None else headers
        return jwt.encode(claims, key or self.private_pem, algorithm=algorithm, headers=head)

    def claims(self, person: Person, nonce: str, **overrides: Any) -> dict[str, Any]:
        """Valid resource-link claims, built by hand, for tests that then break one thing."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": person.sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": person.name,
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": self.deployment_id,
            CLAIM + "target_link_uri": self.tool_base + "/lti/launch",
            CLAIM + "resource_link": {"id": "resource-link-1"},
            CLAIM + "roles": person.roles,
            CLAIM + "context": {"id": "course-1", "title": "Stage SO"},
            "jti": uuid.uuid4().hex,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def validate_deep_linking_response(
        self, jwt_value: str, tool_jwks: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """lti1p3platform checks the tool's signature against the tool's JWKS and the message type."""
        self.registration.set_tool_key_set(tool_jwks)
        return self.config.validate_deeplinking_resp({"JWT": jwt_value})
