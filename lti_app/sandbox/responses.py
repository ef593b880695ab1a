"""JSON answers of the sandbox's services (token endpoint, NRPS, AGS), never cached."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request

from lti_app.sandbox import platform


def json_response(body: Any, status: int, media_type: str = "application/json") -> Response:
    response = Response(json.dumps(body), status=status, content_type=media_type)
    # Tokens, rosters and grades are personal: no cache may keep them (RFC 6749 §5.1).
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def bearer_error(status: int, error: str | None) -> Response:
    challenge = 'Bearer realm="sandbox"' + (f', error="{error}"' if error else "")
    response = json_response({"error": error or "unauthorized"}, status)
    response.headers["WWW-Authenticate"] = challenge
    return response


def problem(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def bearer_claims(*scopes: str) -> dict[str, Any] | Response:
    """The access token's claims if the request carries one this sandbox issued with one of
    ``scopes``; otherwise the answer RFC 6750 §3.1 gives (401 without or with a bad token, 403
    for a token without the scope)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return bearer_error(401, None)  # no credentials, no error code
    claims = platform.read_access_token(token.strip())
    if claims is None:
        return bearer_error(401, "invalid_token")
    if not set(str(claims.get("scope", "")).split()) & set(scopes):
        return bearer_error(403, "insufficient_scope")
    return claims
