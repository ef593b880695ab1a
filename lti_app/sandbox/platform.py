"""The sandbox LMS: a small, real LTI 1.3 platform for development, apart from the tool's code.

It plays the LMS side of the OIDC launch (LTI 1.3 §5.1.1): its buttons send the browser to the
tool's login URL; its auth endpoint signs an id_token for the chosen demo person and posts it to
the tool; it receives deep-linking responses. It talks to the tool only over HTTP and through the
registration that an administrator would make (``ensure_registered``), never by calling tool code.

It also plays the LMS's services: a token endpoint (client_credentials with a JWT client
assertion the tool signs, checked against the tool's published JWKS; LTI Security 1.0 §4.1) and
Names and Role Provisioning (NRPS 2.0) for the demo course, whose roster is ``PEOPLE`` plus some
thirty generated students, so a coach sees a realistic course.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import current_app
from jwcrypto.jwk import JWK
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti_app.sandbox.demo import (
    COLLEGES,
    COURSE,
    INACTIVE_IDS,
    LEARNER,
    LIS,
    MAIN,
    PEOPLE,
    RESOURCE_LINK,
    ROSTER_STUDENTS,
    DemoCollege,
    DemoPerson,
    college_of,
    person,
)

__all__ = [
    "COLLEGES",
    "COURSE",
    "INACTIVE_IDS",
    "LEARNER",
    "LIS",
    "MAIN",
    "PEOPLE",
    "RESOURCE_LINK",
    "ROSTER_STUDENTS",
    "DemoPerson",
    "college_of",
    "person",
]

CLIENT_ID = MAIN.client_id
DEPLOYMENT_ID = MAIN.deployment_id
KID = "sandbox-key-1"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DEMO_COLLEGE_NAME = "Hogeschool De Driehoek (demo)"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
)
SCOPES = (NRPS_SCOPE, *AGS_SCOPES)
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ACCESS_TOKEN_SECONDS = 3600


def issuer() -> str:
    return str(current_app.config["SANDBOX_URL"]) + "/sandbox"


def tool_launch_url() -> str:
    return str(current_app.config["BASE_URL"]) + "/lti/launch"


def tool_login_url() -> str:
    return str(current_app.config["BASE_URL"]) + "/lti/login"


def _key_path() -> Path:
    return Path(current_app.instance_path) / "sandbox_platform_key.pem"


def private_key_pem() -> str:
    """The sandbox's signing key, made once and kept in instance/ (development only)."""
    path = _key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(pem)
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text()


def jwks() -> dict[str, Any]:
    public = json.loads(JWK.from_pem(private_key_pem().encode()).export_public())
    public.update({"kid": KID, "alg": "RS256", "use": "sig"})
    return {"keys": [public]}


def ensure_registered(session: Session) -> None:
    """Register the sandbox with the tool the way an administrator would with `platform add`:
    once for each of its colleges."""
    from lti_app.lti.models import Platform
    from lti_app.lti.registration import add_platform

    base = str(current_app.config["SANDBOX_URL"]) + "/sandbox"
    for demo in COLLEGES:
        existing = session.scalars(
            select(Platform).where(
                Platform.issuer == issuer(), Platform.client_id == demo.client_id
            )
        ).first()
        add_platform(
            session,
            issuer=issuer(),
            client_id=demo.client_id,
            deployment_ids=[demo.deployment_id],
            auth_login_url=base + "/auth",
            auth_token_url=base + "/token",
            key_set_url=base + "/jwks.json",
            name="Sandbox LMS" if demo is MAIN else f"Sandbox LMS ({demo.name})",
            source="sandbox",
            college=existing.college if existing else _college(session, demo),
        )


def _college(session: Session, demo: DemoCollege) -> Any:
    """The college a demo registration belongs to: on a database that already serves exactly one
    college (and none of the sandbox's), the main registration joins it."""
    from lti_app.colleges.service import add_college, colleges, find_college

    name = demo.name or str(current_app.config.get("COLLEGE_NAME") or "") or DEMO_COLLEGE_NAME
    found = find_college(session, name)
    if found is not None:
        return found
    existing = colleges(session)
    if demo is MAIN and len(existing) == 1:
        return existing[0]
    return add_college(session, name)


def message_hint(kind: str, **extra: Any) -> str:
    """Opaque to the tool, meaningful to us: which message the login should end in (``kind``:
    resource, deeplink, review) and what it is about (a link, a line item, a student)."""
    return jwt.encode(
        {"kind": kind, **extra, "exp": int(time.time()) + 600},
        current_app.config["SECRET_KEY"] + ":sandbox",
        algorithm="HS256",
    )


def read_hint(hint: str) -> dict[str, Any] | None:
    """What a hint of :func:`message_hint` says, or None for a bad or expired one."""
    try:
        data: dict[str, Any] = jwt.decode(
            hint, current_app.config["SECRET_KEY"] + ":sandbox", algorithms=["HS256"]
        )
    except jwt.InvalidTokenError:
        return None
    return data if data.get("kind") in {"resource", "deeplink", "review"} else None


def read_message_hint(hint: str) -> str | None:
    data = read_hint(hint)
    return str(data["kind"]) if data else None


# -- services: the token endpoint and NRPS -------------------------------------------------------


class TokenRequestError(Exception):
    """A token request refused as RFC 6749 §5.2 says: an error code, a description, a status."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def token_url() -> str:
    return issuer() + "/token"


def memberships_url(course_id: str) -> str:
    return f"{issuer()}/nrps/{course_id}/memberships"


def _token_secret() -> str:
    return str(current_app.config["SECRET_KEY"]) + ":sandbox-access-token"


def grant_token(form: Mapping[str, str]) -> dict[str, Any]:
    """Answer a client_credentials grant whose client assertion the tool signed (RFC 7523 §2.2).

    :raise TokenRequestError: a missing parameter, another grant type, a bad assertion.
    """
    grant_type = form.get("grant_type")
    if not grant_type:
        raise TokenRequestError("invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        raise TokenRequestError("unsupported_grant_type", "only client_credentials is supported")
    if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
        raise TokenRequestError(
            "invalid_request", "client_assertion_type must be jwt-bearer, with a client_assertion"
        )
    check_client_assertion(form["client_assertion"])
    requested = (form.get("scope") or "").split()
    granted = [s for s in requested if s in SCOPES]
    if not granted:
        raise TokenRequestError("invalid_scope", "no scope this platform offers was requested")
    now = int(time.time())
    token = jwt.encode(
        {
            "iss": issuer(),
            "sub": CLIENT_ID,
            "aud": issuer(),
            "scope": " ".join(granted),
            "iat": now,
            "exp": now + ACCESS_TOKEN_SECONDS,
            "jti": uuid.uuid4().hex,
        },
        _token_secret(),
        algorithm="HS256",
    )
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
        "scope": " ".join(granted),
    }


def check_client_assertion(assertion: str) -> dict[str, Any]:
    """The assertion's claims, if the tool's published key signed it for this token endpoint.

    :raise TokenRequestError: ``invalid_client`` (401) for any signature or claim problem.
    """
    tool_jwks = str(current_app.config["BASE_URL"]) + "/.well-known/jwks.json"
    try:
        client = jwt.PyJWKClient(
            tool_jwks, cache_keys=False, timeout=current_app.config["HTTP_TIMEOUT_SECONDS"]
        )
        key = client.get_signing_key_from_jwt(assertion)
        claims: dict[str, Any] = jwt.decode(
            assertion,
            key.key,
            algorithms=["RS256", "RS384", "RS512"],
            audience=token_url(),
            issuer=CLIENT_ID,
            leeway=30,
            options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]},
        )
    except jwt.PyJWKClientConnectionError as exc:
        raise TokenRequestError(
            "invalid_client", f"the tool's key set could not be fetched: {exc}", 401
        ) from exc
    except jwt.PyJWTError as exc:
        raise TokenRequestError("invalid_client", f"client assertion rejected: {exc}", 401) from exc
    if claims.get("sub") != CLIENT_ID:
        raise TokenRequestError("invalid_client", "client assertion sub is not the client id", 401)
    return claims


def read_access_token(token: str) -> dict[str, Any] | None:
    """The claims of an access token this sandbox issued and that has not expired, or None."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _token_secret(),
            algorithms=["HS256"],
            audience=issuer(),
            issuer=issuer(),
            options={"require": ["exp", "scope"]},
        )
    except jwt.PyJWTError:
        return None
    return claims


def roster(course_id: str) -> list[dict[str, Any]] | None:
    """The course's members as NRPS lists them (NRPS 2.0 §2.3), or None for an unknown course."""
    if course_id != COURSE["id"]:
        return None
    return [
        {
            "user_id": p.id,
            "status": "Inactive" if p.id in INACTIVE_IDS else "Active",
            "name": p.name,
            "given_name": p.given_name,
            "family_name": p.family_name,
            "email": p.email,
            "roles": list(p.roles),
        }
        for p in (*PEOPLE, *ROSTER_STUDENTS)
    ]
