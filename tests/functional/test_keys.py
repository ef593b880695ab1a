"""The tool's signing keys: published as JWKS, rotated, signing deep-linking responses."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from lti_app import db
from lti_app.db import utcnow
from lti_app.lti.keys import rotate
from lti_app.lti.models import ToolKey
from tests.conftest import TOOL_BASE
from tests.launching import FlaskBrowser
from tests.lms import Person, TestLMS

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def published(client: FlaskClient) -> list[dict[str, Any]]:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    keys: list[dict[str, Any]] = response.get_json()["keys"]
    return keys


def test_jwks_publishes_one_public_rs256_key(client: FlaskClient) -> None:
    [key] = published(client)
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert key["use"] == "sig"
    assert key["kid"]
    assert key["n"] and key["e"] == "AQAB"
    assert not PRIVATE_MEMBERS & key.keys(), "private key material published"
    # The first request made the key; later ones publish the same one.
    assert published(client) == [key]


def test_rotated_key_is_published_next_to_the_old_one_and_signs_deep_links(
    app: Flask,
    client: FlaskClient,
    browser: FlaskBrowser,
    lms: TestLMS,
    coach: Person,
    launched: Any,
) -> None:
    [old] = published(client)
    with app.app_context():
        new_kid = rotate(db.session()).kid
    keys = published(client)
    assert [k["kid"] for k in keys] == [new_kid, old["kid"]]
    assert all(k["alg"] == "RS256" and not PRIVATE_MEMBERS & k.keys() for k in keys)

    page = launched(coach, deep_link=True)
    assert page.status == 200, page.text[:800]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf, page.text[:800]
    answer = browser.post(
        TOOL_BASE + "/lti/deep-link", {"csrf_token": csrf.group(1), "choice": "overview"}
    )
    assert answer.status == 200, answer.text[:800]
    token = re.search(r'name="JWT" value="([^"]+)"', answer.text)
    assert token, answer.text[:800]

    header = jwt.get_unverified_header(token.group(1))
    assert header["kid"] == new_kid
    assert header["alg"] == "RS256"
    # The platform (lti1p3platform) verifies the response against the published key set.
    items = lms.validate_deep_linking_response(token.group(1), {"keys": keys})
    assert items and items[0]["url"] == TOOL_BASE + "/lti/launch"
    # ... which the new key verifies and the retired one does not.
    by_kid = {k["kid"]: jwt.PyJWK(k).key for k in keys}
    jwt.decode(token.group(1), by_kid[new_kid], algorithms=["RS256"], audience=lms.issuer)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token.group(1), by_kid[old["kid"]], algorithms=["RS256"], audience=lms.issuer)


def test_key_retired_longer_than_grace_period_is_no_longer_published(
    app: Flask, client: FlaskClient
) -> None:
    grace = app.config["KEY_GRACE_DAYS"]
    [first] = published(client)
    with app.app_context():
        s = db.session()
        second = rotate(s).kid
        third = rotate(s).kid
        # first retired just over the grace period ago, second just inside it.
        now = utcnow()
        s.execute(
            update(ToolKey)
            .where(ToolKey.kid == first["kid"])
            .values(retired_at=now - timedelta(days=grace, minutes=1))
        )
        s.execute(
            update(ToolKey)
            .where(ToolKey.kid == second)
            .values(retired_at=now - timedelta(days=grace) + timedelta(minutes=5))
        )
        s.commit()
    assert [k["kid"] for k in published(client)] == [third, second]
